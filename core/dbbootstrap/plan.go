package dbbootstrap

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Plan is what Apply would run, and what Plan found. It holds the passwords in unexported fields
// for Apply; its Text and JSON never show them.
type Plan struct {
	// Server is where PostgreSQL listens.
	Server Server `json:"server"`
	// MasterUser is the user the statements run as.
	MasterUser string `json:"masterUser"`
	// Database and AppRole are the names asked for.
	Database string `json:"database"`
	AppRole  string `json:"appRole"`
	// State is what was found.
	State State `json:"state"`
	// Steps are the statements to run, in order; empty when nothing is to change.
	Steps []Step `json:"steps"`
	// Notes are findings that are reported but not changed.
	Notes []string `json:"notes,omitempty"`

	spec     Spec
	verifier string
}

// Empty reports whether Apply would change nothing.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }

// PlanBootstrap reads the server's catalogs as the master user (and tries one login as the app role to see
// whether its password is already the wanted one) and returns the statements that would bring it
// to the wanted state. It changes nothing. Every input is checked before the first connection.
func PlanBootstrap(ctx context.Context, spec Spec) (*Plan, error) {
	spec.Server = spec.Server.withDefaults()
	if err := validate(spec); err != nil {
		return nil, err
	}
	secrets := []string{spec.Master.Password, spec.AppPassword}
	verifier, err := newScramVerifier(spec.AppPassword)
	if err != nil {
		return nil, err
	}
	secrets = append(secrets, verifier)

	st, err := observe(ctx, spec, secrets)
	if err != nil {
		return nil, err
	}
	return &Plan{
		Server:     spec.Server,
		MasterUser: spec.Master.Username,
		Database:   spec.Database,
		AppRole:    spec.AppRole,
		State:      st,
		Steps:      steps(spec, st, verifier),
		Notes:      notes(spec, st),
		spec:       spec,
		verifier:   verifier,
	}, nil
}

func validate(spec Spec) error {
	if strings.TrimSpace(spec.Server.Host) == "" {
		return errors.New("dbbootstrap: no database host given (the RDS endpoint's address)")
	}
	if spec.Server.Port < 1 || spec.Server.Port > 65535 {
		return fmt.Errorf("dbbootstrap: port %d is out of range", spec.Server.Port)
	}
	if err := CheckName("database", spec.Database); err != nil {
		return err
	}
	if err := CheckName("role", spec.AppRole); err != nil {
		return err
	}
	if spec.Master.Username == "" || spec.Master.Password == "" {
		return errors.New("dbbootstrap: master user name or password is empty (read them with MasterFromSecret)")
	}
	if spec.Master.Username == spec.AppRole {
		return fmt.Errorf("dbbootstrap: the app role %q must not be the master user", spec.AppRole)
	}
	if err := checkPassword("app role", spec.AppPassword); err != nil {
		return err
	}
	if spec.AppPassword == spec.Master.Password {
		return errors.New("dbbootstrap: the app role's password equals the master password; give the app role its own secret")
	}
	return nil
}

// observe reads everything steps needs.
func observe(ctx context.Context, spec Spec, secrets []string) (State, error) {
	s := spec.Server
	var st State
	conn, err := connect(ctx, s, spec.Master, s.MaintenanceDB, secrets...)
	if err != nil {
		return st, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	q := func(what string, err error) error {
		if err == nil || errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return &Error{msg: redact(fmt.Sprintf("dbbootstrap: read %s on %s: %s", what, s.Addr(), pgMessage(err)), secrets...), err: err}
	}

	var ver string
	if err := q("server version", conn.QueryRow(ctx, "SHOW server_version_num").Scan(&ver)); err != nil {
		return st, err
	}
	st.ServerVersionNum, _ = strconv.Atoi(ver)

	err = conn.QueryRow(ctx, `SELECT pg_encoding_to_char(encoding), pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1`,
		spec.Database).Scan(&st.DatabaseEncoding, &st.DatabaseOwner)
	st.DatabaseExists = err == nil
	if err := q("database", err); err != nil {
		return st, err
	}

	var roleOID uint32
	a := &st.Role
	err = conn.QueryRow(ctx, `SELECT oid, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls,
		       COALESCE(rolvaliduntil <> 'infinity', false)
		  FROM pg_roles WHERE rolname = $1`, spec.AppRole).
		Scan(&roleOID, &a.Login, &a.Superuser, &a.CreateDB, &a.CreateRole, &a.Replication, &a.BypassRLS, &a.Expires)
	st.RoleExists = err == nil
	if err := q("role", err); err != nil {
		return st, err
	}

	if st.RoleExists {
		var settings []string
		err := conn.QueryRow(ctx, `SELECT COALESCE((SELECT setconfig FROM pg_db_role_setting WHERE setrole = $1 AND setdatabase = 0), '{}')`,
			roleOID).Scan(&settings)
		if err := q("role settings", err); err != nil {
			return st, err
		}
		st.RoleSettings = map[string]string{}
		for _, kv := range settings {
			k, v, _ := strings.Cut(kv, "=")
			st.RoleSettings[strings.ToLower(k)] = v
		}
		if err := q("role memberships", queryStrings(ctx, conn, &st.MemberOf,
			`SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid WHERE m.member = $1 ORDER BY 1`, roleOID)); err != nil {
			return st, err
		}
	}

	if st.DatabaseExists {
		pub, role, err := privileges(ctx, conn, `SELECT a.grantee, a.privilege_type
			  FROM pg_database d, aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a
			 WHERE d.datname = $1`, spec.Database, roleOID)
		if err := q("database privileges", err); err != nil {
			return st, err
		}
		st.DatabasePublic, st.DatabaseRole = pub, role

		dbConn, err := connect(ctx, s, spec.Master, spec.Database, secrets...)
		if err != nil {
			return st, err
		}
		defer dbConn.Close(context.WithoutCancel(ctx))
		var n int
		if err := q("schema public", dbConn.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = 'public'`).Scan(&n)); err != nil {
			return st, err
		}
		if n == 0 {
			return st, fmt.Errorf("dbbootstrap: database %s has no schema public; create it (CREATE SCHEMA public) or restore it, then run again", QuoteIdent(spec.Database))
		}
		pub, role, err = privileges(ctx, dbConn, `SELECT a.grantee, a.privilege_type
			  FROM pg_namespace n, aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner))) a
			 WHERE n.nspname = $1`, "public", roleOID)
		if err := q("schema privileges", err); err != nil {
			return st, err
		}
		st.SchemaPublic, st.SchemaRole = pub, role
	}

	if st.RoleExists {
		probeDB := s.MaintenanceDB
		if st.DatabaseExists {
			probeDB = spec.Database
		}
		probe, err := connect(ctx, s, Credentials{Username: spec.AppRole, Password: spec.AppPassword}, probeDB, secrets...)
		switch {
		case err == nil:
			st.PasswordOK, st.PasswordCheck = true, "login succeeded"
			_ = probe.Close(context.WithoutCancel(ctx))
		case isAuthFailure(err):
			st.PasswordCheck = "login refused"
		default:
			st.PasswordCheck = "login failed: " + err.Error()
		}
	}
	return st, nil
}

// privileges runs an aclexplode query (grantee oid, privilege_type) and splits the rows into
// PUBLIC's privileges (grantee 0) and the role's.
func privileges(ctx context.Context, conn *pgx.Conn, sql, name string, roleOID uint32) (pub, role []string, err error) {
	rows, err := conn.Query(ctx, sql, name)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	p, r := map[string]bool{}, map[string]bool{}
	for rows.Next() {
		var grantee uint32
		var priv string
		if err := rows.Scan(&grantee, &priv); err != nil {
			return nil, nil, err
		}
		switch {
		case grantee == 0:
			p[priv] = true
		case roleOID != 0 && grantee == roleOID:
			r[priv] = true
		}
	}
	return sorted(p), sorted(r), rows.Err()
}

func queryStrings(ctx context.Context, conn *pgx.Conn, dst *[]string, sql string, args ...any) error {
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	*dst = out
	return err
}

func pgMessage(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return fmt.Sprintf("%s (SQLSTATE %s)", pg.Message, pg.Code)
	}
	return err.Error()
}
