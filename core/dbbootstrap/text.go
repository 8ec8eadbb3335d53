package dbbootstrap

import (
	"fmt"
	"strings"
)

// Text renders the plan for people (the dry-run form): what was found, then every statement
// that would run, passwords REDACTED.
func (p *Plan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "DB bootstrap of database %s and app role %s on %s (as %s, sslmode %s)\n",
		QuoteIdent(p.Database), QuoteIdent(p.AppRole), p.Server.Addr(), p.MasterUser, p.Server.SSLMode)
	s := p.State
	fmt.Fprintf(&b, "  database: %s\n", present(s.DatabaseExists))
	role := present(s.RoleExists)
	if s.RoleExists {
		role += ", password " + s.PasswordCheck
	}
	fmt.Fprintf(&b, "  app role: %s\n", role)
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	if p.Empty() {
		b.WriteString("No changes: the database, the app role, its settings and privileges are as wanted.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "%d statement(s) to run:\n", len(p.Steps))
	for i, st := range p.Steps {
		fmt.Fprintf(&b, "  %d. [%s] %s;\n", i+1, st.Database, st.SQL)
	}
	return b.String()
}

// Text renders the result for people.
func (r *Result) Text() string {
	if !r.Changed() {
		return fmt.Sprintf("DB bootstrap: database %s and app role %s already as wanted; nothing changed.\n",
			QuoteIdent(r.Database), QuoteIdent(r.AppRole))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "DB bootstrap: %d statement(s) applied to database %s / app role %s in %d ms:\n",
		len(r.Applied), QuoteIdent(r.Database), QuoteIdent(r.AppRole), r.DurationMS)
	for _, st := range r.Applied {
		fmt.Fprintf(&b, "  - %s\n", st.What)
	}
	return b.String()
}

func present(ok bool) string {
	if ok {
		return "exists"
	}
	return "missing"
}
