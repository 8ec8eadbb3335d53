// Package dbbootstrap creates the application's PostgreSQL database and its login role, idempotently.
//
// It replaces steps 3–7 of the original runbook (psql through the bastion as the master user:
// CREATE DATABASE, CREATE USER, three ALTER ROLE … SET, GRANT ALL PRIVILEGES). What it converges to:
//
//   - the database exists (created by the master user, who therefore owns it);
//   - the app role exists, can LOG IN with the given password, and is NOSUPERUSER, NOCREATEDB,
//     NOCREATEROLE, NOREPLICATION, NOBYPASSRLS, with no password expiry;
//   - the role's settings: client_encoding 'utf8', default_transaction_isolation 'read committed',
//     timezone 'UTC' (what Django expects of its connection);
//   - least privileges that Django migrations need: CONNECT and TEMPORARY on its database (no
//     CREATE, so it cannot create schemas), USAGE and CREATE on schema public (it creates, and so
//     owns, its tables); PUBLIC loses every privilege on the database and CREATE on schema public.
//
// PlanBootstrap only reads (catalogs, and a login attempt as the app role to learn whether its password is
// already the wanted one); Apply runs the planned statements. Plan.Text shows every statement with
// the password REDACTED; no error or output of this package contains a password.
//
// The master user needs CREATEDB and CREATEROLE (the RDS master user has both); it need not be a
// superuser. Statements are built with QuoteIdent/QuoteLiteral; names are checked by CheckName.
package dbbootstrap

import (
	"encoding/json"
	"fmt"
	"time"
)

// Server says where PostgreSQL listens and how to talk to it.
type Server struct {
	// Host is the server's host name or address (the RDS endpoint without the port).
	Host string `json:"host"`
	// Port is the TCP port; 5432 when 0.
	Port int `json:"port"`
	// SSLMode is libpq's sslmode: "require" when empty (RDS for PostgreSQL 15+ refuses
	// unencrypted connections). "verify-full" with SSLRootCert checks the server's certificate.
	SSLMode string `json:"sslMode"`
	// SSLRootCert is a PEM file of CA certificates (the RDS CA bundle) for verify-ca/verify-full.
	SSLRootCert string `json:"sslRootCert,omitempty"`
	// MaintenanceDB is the database the master user connects to first; "postgres" when empty.
	MaintenanceDB string `json:"maintenanceDb"`
	// ConnectTimeout bounds each connection attempt; 15 s when 0.
	ConnectTimeout time.Duration `json:"-"`
}

func (s Server) withDefaults() Server {
	if s.Port == 0 {
		s.Port = 5432
	}
	if s.SSLMode == "" {
		s.SSLMode = "require"
	}
	if s.MaintenanceDB == "" {
		s.MaintenanceDB = "postgres"
	}
	if s.ConnectTimeout == 0 {
		s.ConnectTimeout = 15 * time.Second
	}
	return s
}

// Addr renders host:port for messages.
func (s Server) Addr() string {
	s = s.withDefaults()
	return fmt.Sprintf("%s:%d", s.Host, s.Port)
}

// Credentials are a user name and its password. The password never appears in String, %v, %#v
// or JSON.
type Credentials struct {
	// Username is the login role's name.
	Username string
	// Password is the secret; only ever sent to the server.
	Password string
}

// String renders the credentials with the password redacted.
func (c Credentials) String() string { return fmt.Sprintf("%s:%s", c.Username, Redacted) }

// GoString renders the credentials with the password redacted (for %#v).
func (c Credentials) GoString() string {
	return fmt.Sprintf("dbbootstrap.Credentials{Username:%q, Password:%s}", c.Username, Redacted)
}

// MarshalJSON writes only the user name.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Username string `json:"username"`
	}{c.Username})
}

// Redacted stands in for a password wherever a statement or message is shown.
const Redacted = "[REDACTED]"

// Spec is everything Plan needs: where, as whom, and what to create.
type Spec struct {
	// Server is where PostgreSQL listens.
	Server Server
	// Master are the master user's credentials (MasterFromSecret reads the RDS-managed secret).
	Master Credentials
	// Database is the application's database, e.g. "book_me_prod".
	Database string
	// AppRole is the application's login role, e.g. "book_me_prod_api".
	AppRole string
	// AppPassword is the app role's password (PasswordFromSecret reads it from its own secret).
	AppPassword string
}

// Settings are the role settings every app role gets (name → value), in the order they are set.
var Settings = []Setting{
	{Name: "client_encoding", Value: "utf8"},
	{Name: "default_transaction_isolation", Value: "read committed"},
	{Name: "timezone", Value: "UTC"},
}

// Setting is one ALTER ROLE … SET name TO 'value'.
type Setting struct {
	// Name is the configuration parameter.
	Name string `json:"name"`
	// Value is its wanted value.
	Value string `json:"value"`
}
