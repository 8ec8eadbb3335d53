package dbbootstrap

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxNameBytes is PostgreSQL's identifier limit (NAMEDATALEN-1). Longer names would be silently
// truncated by the server, so that the next Plan would look for a name that does not exist.
const MaxNameBytes = 63

// QuoteIdent quotes an identifier for SQL: wrapped in double quotes, inner double quotes doubled.
// Call CheckName first: it refuses the names no quoting can carry (NUL, too long).
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteLiteral quotes a string literal for SQL like PostgreSQL's quote_literal: single quotes
// doubled, and when the value holds a backslash the E” form with backslashes doubled, so the
// result is right whatever standard_conforming_strings says.
func QuoteLiteral(value string) string {
	q := "'" + strings.ReplaceAll(value, "'", "''") + "'"
	if strings.Contains(value, `\`) {
		q = "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// CheckName says why name cannot be used as a database or role name, or returns nil. kind is
// "database" or "role" (for the message and the role-only rules).
func CheckName(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("dbbootstrap: %s name is empty", kind)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("dbbootstrap: %s name %q contains a NUL byte", kind, name)
	case !utf8.ValidString(name):
		return fmt.Errorf("dbbootstrap: %s name %q is not valid UTF-8", kind, name)
	case len(name) > MaxNameBytes:
		return fmt.Errorf("dbbootstrap: %s name %q is %d bytes; PostgreSQL allows at most %d", kind, name, len(name), MaxNameBytes)
	}
	if kind == "role" {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "pg_") || lower == "public" || lower == "none" ||
			lower == "current_user" || lower == "session_user" || lower == "current_role" {
			return fmt.Errorf("dbbootstrap: role name %q is reserved by PostgreSQL; choose another", name)
		}
	}
	if kind == "database" {
		lower := strings.ToLower(name)
		if lower == "postgres" || lower == "template0" || lower == "template1" || lower == "rdsadmin" {
			return fmt.Errorf("dbbootstrap: database name %q is a system database; choose the application's own", name)
		}
	}
	return nil
}

// checkPassword refuses passwords the SCRAM verifier cannot be computed for exactly as the server
// would (PostgreSQL applies SASLprep, the identity on printable ASCII only).
func checkPassword(who, pw string) error {
	if pw == "" {
		return fmt.Errorf("dbbootstrap: the %s password is empty", who)
	}
	for i := 0; i < len(pw); i++ {
		if pw[i] < 0x20 || pw[i] > 0x7e {
			return fmt.Errorf("dbbootstrap: the %s password has a character outside printable ASCII; generate one without (Secrets Manager's generator does)", who)
		}
	}
	return nil
}
