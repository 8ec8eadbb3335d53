package dbbootstrap

import (
	"fmt"
	"sort"
	"strings"
)

// Step is one statement Apply runs.
type Step struct {
	// What says in a few words what the statement does ("create database").
	What string `json:"what"`
	// Database is the database the statement runs in (the maintenance database or the app's).
	Database string `json:"database"`
	// SQL is the statement as shown to people: any password or verifier is Redacted.
	SQL string `json:"sql"`
	// sql is the statement as sent to the server.
	sql string
}

// State is what Plan found on the server.
type State struct {
	// ServerVersionNum is server_version_num, e.g. 150008.
	ServerVersionNum int `json:"serverVersionNum"`
	// DatabaseExists says whether the app's database exists.
	DatabaseExists bool `json:"databaseExists"`
	// DatabaseEncoding is its encoding ("UTF8"), when it exists.
	DatabaseEncoding string `json:"databaseEncoding,omitempty"`
	// DatabaseOwner is its owner's name, when it exists.
	DatabaseOwner string `json:"databaseOwner,omitempty"`
	// RoleExists says whether the app role exists.
	RoleExists bool `json:"roleExists"`
	// Role holds the role's attributes, when it exists.
	Role RoleAttrs `json:"role"`
	// PasswordOK says a login as the app role with the wanted password succeeded.
	PasswordOK bool `json:"passwordOk"`
	// PasswordCheck says how PasswordOK was found ("login succeeded", "login refused", …).
	PasswordCheck string `json:"passwordCheck"`
	// RoleSettings are the role's settings for all databases (lower-case name → value).
	RoleSettings map[string]string `json:"roleSettings,omitempty"`
	// MemberOf lists the roles the app role is a member of (reported, not changed).
	MemberOf []string `json:"memberOf,omitempty"`
	// DatabasePublic and DatabaseRole are the privileges (CONNECT, TEMPORARY, CREATE) that PUBLIC
	// and the app role hold directly on the database.
	DatabasePublic []string `json:"databasePublic,omitempty"`
	DatabaseRole   []string `json:"databaseRole,omitempty"`
	// SchemaPublic and SchemaRole are the privileges (USAGE, CREATE) that PUBLIC and the app role
	// hold directly on schema public of the app's database.
	SchemaPublic []string `json:"schemaPublic,omitempty"`
	SchemaRole   []string `json:"schemaRole,omitempty"`
}

// RoleAttrs are the attributes of a role that least privilege cares about.
type RoleAttrs struct {
	Login       bool `json:"login"`
	Superuser   bool `json:"superuser"`
	CreateDB    bool `json:"createDb"`
	CreateRole  bool `json:"createRole"`
	Replication bool `json:"replication"`
	BypassRLS   bool `json:"bypassRls"`
	// Expires says the role has a finite VALID UNTIL (its password would stop working).
	Expires bool `json:"expires"`
}

// steps computes the statements that take the server from st to the wanted state. verifier is
// the SCRAM verifier of the app password (used only when the password must be set).
func steps(spec Spec, st State, verifier string) []Step {
	maint := spec.Server.withDefaults().MaintenanceDB
	db, role := QuoteIdent(spec.Database), QuoteIdent(spec.AppRole)
	var out []Step
	add := func(what, in, shown, real string) {
		out = append(out, Step{What: what, Database: in, SQL: shown, sql: real})
	}
	plain := func(what, in, sql string) { add(what, in, sql, sql) }

	if !st.DatabaseExists {
		plain("create database", maint, "CREATE DATABASE "+db+" WITH TEMPLATE template0 ENCODING 'UTF8'")
	}
	if !st.RoleExists {
		head := "CREATE ROLE " + role + " WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD "
		add("create app role", maint, head+Redacted, head+QuoteLiteral(verifier))
	} else {
		var fix []string
		a := st.Role
		if !a.Login {
			fix = append(fix, "LOGIN")
		}
		if a.Superuser {
			fix = append(fix, "NOSUPERUSER")
		}
		if a.CreateDB {
			fix = append(fix, "NOCREATEDB")
		}
		if a.CreateRole {
			fix = append(fix, "NOCREATEROLE")
		}
		if a.Replication {
			fix = append(fix, "NOREPLICATION")
		}
		if a.BypassRLS {
			fix = append(fix, "NOBYPASSRLS")
		}
		if a.Expires {
			fix = append(fix, "VALID UNTIL 'infinity'")
		}
		if len(fix) > 0 {
			plain("restrict app role attributes", maint, "ALTER ROLE "+role+" WITH "+strings.Join(fix, " "))
		}
		if !st.PasswordOK {
			head := "ALTER ROLE " + role + " WITH PASSWORD "
			add("set app role password", maint, head+Redacted, head+QuoteLiteral(verifier))
		}
	}
	for _, s := range Settings {
		if cur, ok := st.RoleSettings[strings.ToLower(s.Name)]; ok && strings.EqualFold(cur, s.Value) {
			continue
		}
		plain("set "+s.Name, maint, "ALTER ROLE "+role+" SET "+s.Name+" TO "+QuoteLiteral(s.Value))
	}

	// A database that does not exist yet will get the default ACL: PUBLIC may CONNECT and use
	// TEMPORARY; before PostgreSQL 15 PUBLIC may also CREATE in schema public.
	dbPublic, dbRole := st.DatabasePublic, st.DatabaseRole
	schemaPublic, schemaRole := st.SchemaPublic, st.SchemaRole
	if !st.DatabaseExists {
		dbPublic = []string{"CONNECT", "TEMPORARY"}
		schemaPublic = []string{"USAGE"}
		if st.ServerVersionNum < 150000 {
			schemaPublic = append(schemaPublic, "CREATE")
		}
	}
	if !st.RoleExists {
		dbRole, schemaRole = nil, nil
	}
	if len(dbPublic) > 0 {
		plain("revoke PUBLIC's privileges on the database", maint, "REVOKE ALL ON DATABASE "+db+" FROM PUBLIC")
	}
	if has(dbRole, "CREATE") {
		plain("revoke the app role's CREATE on the database", maint, "REVOKE CREATE ON DATABASE "+db+" FROM "+role)
	}
	if missing := lacking(dbRole, "CONNECT", "TEMPORARY"); len(missing) > 0 {
		plain("grant the app role "+strings.Join(missing, ", ")+" on the database", maint,
			"GRANT "+strings.Join(missing, ", ")+" ON DATABASE "+db+" TO "+role)
	}
	if has(schemaPublic, "CREATE") {
		plain("revoke PUBLIC's CREATE on schema public", spec.Database, "REVOKE CREATE ON SCHEMA public FROM PUBLIC")
	}
	if missing := lacking(schemaRole, "USAGE", "CREATE"); len(missing) > 0 {
		plain("grant the app role "+strings.Join(missing, ", ")+" on schema public", spec.Database,
			"GRANT "+strings.Join(missing, ", ")+" ON SCHEMA public TO "+role)
	}
	return out
}

// notes are the things Plan reports but does not change.
func notes(spec Spec, st State) []string {
	var n []string
	if st.DatabaseExists && !strings.EqualFold(st.DatabaseEncoding, "UTF8") {
		n = append(n, fmt.Sprintf("database %s has encoding %s, not UTF8 (not changed: that needs a dump and restore)", QuoteIdent(spec.Database), st.DatabaseEncoding))
	}
	if st.DatabaseExists && st.DatabaseOwner != "" && st.DatabaseOwner != spec.Master.Username {
		n = append(n, fmt.Sprintf("database %s is owned by %s, not by the master user %s: grants may fail", QuoteIdent(spec.Database), st.DatabaseOwner, spec.Master.Username))
	}
	if len(st.MemberOf) > 0 {
		n = append(n, fmt.Sprintf("app role %s is a member of %s: review those grants (not changed)", QuoteIdent(spec.AppRole), strings.Join(st.MemberOf, ", ")))
	}
	if st.RoleExists && !st.PasswordOK && st.PasswordCheck != "" && st.PasswordCheck != "login refused" {
		n = append(n, "app role password could not be checked ("+st.PasswordCheck+"): it will be set again")
	}
	return n
}

func has(list []string, p string) bool {
	for _, x := range list {
		if x == p {
			return true
		}
	}
	return false
}

func lacking(list []string, want ...string) []string {
	var out []string
	for _, w := range want {
		if !has(list, w) {
			out = append(out, w)
		}
	}
	return out
}

func sorted(set map[string]bool) []string {
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
