package dbbootstrap

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Error is every error of this package that involves the server: one line, no secret in it. It
// wraps the driver's error (errors.As finds a *pgconn.PgError) whose own text is not shown.
type Error struct {
	msg string
	err error
}

// Error returns the one-line message.
func (e *Error) Error() string { return e.msg }

// Unwrap returns the driver's error.
func (e *Error) Unwrap() error { return e.err }

// SQLState is the server's SQLSTATE code, or "" when the error did not come from the server.
func (e *Error) SQLState() string {
	var pg *pgconn.PgError
	if errors.As(e.err, &pg) {
		return pg.Code
	}
	return ""
}

// connect opens one connection to db on server as who. No connection string holding the password
// is ever built: the password goes straight into the config.
func connect(ctx context.Context, s Server, who Credentials, db string, secrets ...string) (*pgx.Conn, error) {
	s = s.withDefaults()
	conninfo := fmt.Sprintf("host=%s port=%d sslmode=%s", connValue(s.Host), s.Port, connValue(s.SSLMode))
	if s.SSLRootCert != "" {
		conninfo += " sslrootcert=" + connValue(s.SSLRootCert)
	}
	cfg, err := pgx.ParseConfig(conninfo)
	if err != nil {
		return nil, &Error{msg: fmt.Sprintf("dbbootstrap: bad server settings (host %q, sslmode %q): %s",
			s.Host, s.SSLMode, redact(err.Error(), secrets...)), err: err}
	}
	cfg.Database = db
	cfg.User = who.Username
	cfg.Password = who.Password
	cfg.ConnectTimeout = s.ConnectTimeout
	cfg.RuntimeParams["application_name"] = "bookme-dbbootstrap"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, connectError(s, who.Username, db, err, append(secrets, who.Password)...)
	}
	return conn, nil
}

// connectError turns a failed connection into one line that says what to check.
func connectError(s Server, user, db string, err error, secrets ...string) error {
	where := fmt.Sprintf("connect to %s database %q as %q", s.Addr(), db, user)
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		hint := ""
		switch pg.Code {
		case "28P01", "28000":
			hint = " — check the credentials secret for this user"
		case "3D000":
			hint = " — the database does not exist"
		case "42501":
			hint = " — the role lacks CONNECT on this database"
		case "53300":
			hint = " — too many connections; retry later"
		}
		return &Error{msg: redact(fmt.Sprintf("dbbootstrap: %s: %s (SQLSTATE %s)%s", where, pg.Message, pg.Code, hint), secrets...), err: err}
	}
	// Not the server's answer (DNS, TCP, TLS, timeout): the innermost cause is the useful part.
	cause := err
	for {
		next := errors.Unwrap(cause)
		if next == nil {
			break
		}
		cause = next
	}
	return &Error{msg: redact(fmt.Sprintf("dbbootstrap: %s: %s — check host, port, security groups and sslmode", where, cause.Error()), secrets...), err: err}
}

// statementError reports a failed statement by its redacted form.
func statementError(st Step, err error, secrets ...string) error {
	msg := err.Error()
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		msg = fmt.Sprintf("%s (SQLSTATE %s)", pg.Message, pg.Code)
	}
	return &Error{msg: redact(fmt.Sprintf("dbbootstrap: %s failed in database %q: %s; statement: %s", st.What, st.Database, msg, st.SQL), secrets...), err: err}
}

// connValue quotes a value for a libpq key=value connection string.
func connValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// isAuthFailure reports whether err is the server refusing the password (or the role).
func isAuthFailure(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "28P01" || pg.Code == "28000")
}
