package dbbootstrap

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"book_me_prod":           `"book_me_prod"`,
		`a"b`:                    `"a""b"`,
		`"; DROP TABLE x; --`:    `"""; DROP TABLE x; --"`,
		"Mixed Case":             `"Mixed Case"`,
		`back\slash'quote`:       `"back\slash'quote"`,
		`""`:                     `""""""`,
		"ünïcödé":                `"ünïcödé"`,
		"semi;colon$1 --x /*c*/": `"semi;colon$1 --x /*c*/"`,
	} {
		if got := QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestQuoteLiteral(t *testing.T) {
	for in, want := range map[string]string{
		"utf8":             `'utf8'`,
		"read committed":   `'read committed'`,
		`it's`:             `'it''s'`,
		`a\b`:              `E'a\\b'`,
		`\'; DROP ROLE x;`: `E'\\''; DROP ROLE x;'`,
		"":                 `''`,
	} {
		if got := QuoteLiteral(in); got != want {
			t.Errorf("QuoteLiteral(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestCheckName(t *testing.T) {
	ok := []struct{ kind, name string }{
		{"database", "book_me_prod"}, {"role", "book_me_prod_api"}, {"database", `we"ird; --`},
		{"role", strings.Repeat("r", 63)},
	}
	for _, c := range ok {
		if err := CheckName(c.kind, c.name); err != nil {
			t.Errorf("CheckName(%s, %q) = %v, want ok", c.kind, c.name, err)
		}
	}
	bad := []struct{ kind, name, want string }{
		{"database", "", "empty"},
		{"role", "a\x00b", "NUL"},
		{"database", strings.Repeat("d", 64), "at most 63"},
		{"role", strings.Repeat("é", 32), "at most 63"}, // 64 bytes
		{"role", "pg_monitor_x", "reserved"},
		{"role", "PUBLIC", "reserved"},
		{"database", "postgres", "system database"},
		{"database", "template1", "system database"},
		{"role", "\xff", "UTF-8"},
	}
	for _, c := range bad {
		err := CheckName(c.kind, c.name)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckName(%s, %q) = %v, want error containing %q", c.kind, c.name, err, c.want)
		}
	}
}

// The verifier checked against RFC 7677's SCRAM-SHA-256 exchange (user "user", password "pencil"):
// a server holding our StoredKey/ServerKey must accept the RFC's client proof and produce its
// server signature.
func TestScramVerifierMatchesRFC7677(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	v, err := scramVerifier("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	var iter int
	var saltB64, keys string
	head, rest, _ := strings.Cut(v, "$")
	if head != "SCRAM-SHA-256" {
		t.Fatalf("verifier %q", v)
	}
	if _, err := fmt.Sscanf(strings.Replace(rest, ":", " ", 1), "%d %s", &iter, &saltB64); err != nil {
		t.Fatalf("verifier %q: %v", v, err)
	}
	saltB64, keys, _ = strings.Cut(saltB64, "$")
	storedB64, serverB64, _ := strings.Cut(keys, ":")
	if iter != 4096 || saltB64 != "W22ZaJ0SNY7soEsUEjb6gQ==" {
		t.Fatalf("verifier %q: iterations %d salt %s", v, iter, saltB64)
	}
	storedKey, _ := base64.StdEncoding.DecodeString(storedB64)
	serverKey, _ := base64.StdEncoding.DecodeString(serverB64)
	auth := "n=user,r=rOprNGfwEbeRWgbNEkqO," +
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	if sig := base64.StdEncoding.EncodeToString(hmacSHA256(serverKey, auth)); sig != "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Errorf("server signature %s, want RFC 7677's", sig)
	}
	proof, _ := base64.StdEncoding.DecodeString("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	clientSig := hmacSHA256(storedKey, auth)
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ clientSig[i]
	}
	if sum := sha256.Sum256(clientKey); !hmac.Equal(sum[:], storedKey) {
		t.Errorf("RFC 7677's client proof does not verify against our StoredKey")
	}

	a, _ := newScramVerifier("pencil")
	b, _ := newScramVerifier("pencil")
	if a == b {
		t.Errorf("two verifiers share a salt: %s", a)
	}
}

func TestCredentialsNeverShowPassword(t *testing.T) {
	c := Credentials{Username: "master", Password: "s3cr3t-pw"}
	js, _ := json.Marshal(c)
	for _, s := range []string{c.String(), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), string(js),
		fmt.Sprintf("%v", Spec{Master: c})} {
		if strings.Contains(s, "s3cr3t-pw") {
			t.Errorf("password shown: %s", s)
		}
	}
	if !strings.Contains(c.String(), "master") {
		t.Errorf("String() lost the user name: %s", c.String())
	}
}

func TestRedactFoldsAndHides(t *testing.T) {
	got := redact("FATAL: pw hunter2 wrong\n  again hunter2", "hunter2", "")
	if got != "FATAL: pw [REDACTED] wrong again [REDACTED]" {
		t.Errorf("redact = %q", got)
	}
}

func testSpec() Spec {
	return Spec{
		Server:   Server{Host: "db.internal", SSLMode: "disable"}.withDefaults(),
		Master:   Credentials{Username: "master", Password: "master-pw"},
		Database: "book_me_prod", AppRole: "book_me_prod_api", AppPassword: "app-pw",
	}
}

func TestStepsFreshServer(t *testing.T) {
	got := steps(testSpec(), State{ServerVersionNum: 150008}, "SCRAM-SHA-256$4096:c2FsdA==$a:b")
	want := []string{
		`[postgres] CREATE DATABASE "book_me_prod" WITH TEMPLATE template0 ENCODING 'UTF8'`,
		`[postgres] CREATE ROLE "book_me_prod_api" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD [REDACTED]`,
		`[postgres] ALTER ROLE "book_me_prod_api" SET client_encoding TO 'utf8'`,
		`[postgres] ALTER ROLE "book_me_prod_api" SET default_transaction_isolation TO 'read committed'`,
		`[postgres] ALTER ROLE "book_me_prod_api" SET timezone TO 'UTC'`,
		`[postgres] REVOKE ALL ON DATABASE "book_me_prod" FROM PUBLIC`,
		`[postgres] GRANT CONNECT, TEMPORARY ON DATABASE "book_me_prod" TO "book_me_prod_api"`,
		`[book_me_prod] GRANT USAGE, CREATE ON SCHEMA public TO "book_me_prod_api"`,
	}
	if g := shown(got); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Fatalf("steps:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(got[1].sql, `PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a:b'`) {
		t.Errorf("the sent CREATE ROLE lacks the verifier: %s", got[1].sql)
	}
	// Before PostgreSQL 15 PUBLIC may create in schema public of a new database: revoke it.
	old := shown(steps(testSpec(), State{ServerVersionNum: 140010}, "v"))
	if !contains(old, `[book_me_prod] REVOKE CREATE ON SCHEMA public FROM PUBLIC`) {
		t.Errorf("PostgreSQL 14 plan lacks the schema revoke:\n%s", strings.Join(old, "\n"))
	}
}

func TestStepsNothingToDo(t *testing.T) {
	st := State{
		ServerVersionNum: 150008, DatabaseExists: true, DatabaseEncoding: "UTF8", DatabaseOwner: "master",
		RoleExists: true, Role: RoleAttrs{Login: true}, PasswordOK: true, PasswordCheck: "login succeeded",
		RoleSettings:   map[string]string{"client_encoding": "UTF8", "default_transaction_isolation": "read committed", "timezone": "UTC"},
		DatabaseRole:   []string{"CONNECT", "TEMPORARY"},
		SchemaPublic:   []string{"USAGE"},
		SchemaRole:     []string{"CREATE", "USAGE"},
		DatabasePublic: nil,
	}
	if got := steps(testSpec(), st, "v"); len(got) != 0 {
		t.Errorf("converged state still plans: %q", shown(got))
	}
	if n := notes(testSpec(), st); len(n) != 0 {
		t.Errorf("notes: %q", n)
	}
}

func TestStepsFixExistingRole(t *testing.T) {
	st := State{
		ServerVersionNum: 150008, DatabaseExists: true, DatabaseEncoding: "LATIN1", DatabaseOwner: "someone",
		RoleExists: true, Role: RoleAttrs{Login: false, Superuser: true, CreateDB: true, CreateRole: true, Replication: true, BypassRLS: true, Expires: true},
		PasswordCheck:  "login failed: timeout",
		RoleSettings:   map[string]string{"timezone": "Europe/Warsaw"},
		MemberOf:       []string{"rds_superuser"},
		DatabasePublic: []string{"CONNECT"},
		DatabaseRole:   []string{"CONNECT", "CREATE", "TEMPORARY"},
		SchemaPublic:   []string{"CREATE", "USAGE"},
		SchemaRole:     []string{"USAGE"},
	}
	got := shown(steps(testSpec(), st, "v"))
	for _, want := range []string{
		`[postgres] ALTER ROLE "book_me_prod_api" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS VALID UNTIL 'infinity'`,
		`[postgres] ALTER ROLE "book_me_prod_api" WITH PASSWORD [REDACTED]`,
		`[postgres] ALTER ROLE "book_me_prod_api" SET timezone TO 'UTC'`,
		`[postgres] REVOKE ALL ON DATABASE "book_me_prod" FROM PUBLIC`,
		`[postgres] REVOKE CREATE ON DATABASE "book_me_prod" FROM "book_me_prod_api"`,
		`[book_me_prod] REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
		`[book_me_prod] GRANT CREATE ON SCHEMA public TO "book_me_prod_api"`,
	} {
		if !contains(got, want) {
			t.Errorf("plan lacks %s\nplan:\n%s", want, strings.Join(got, "\n"))
		}
	}
	for _, s := range got {
		if strings.Contains(s, "GRANT CONNECT") {
			t.Errorf("grants CONNECT the role already has: %s", s)
		}
	}
	n := strings.Join(notes(testSpec(), st), "\n")
	for _, want := range []string{"LATIN1", "owned by someone", "rds_superuser", "could not be checked"} {
		if !strings.Contains(n, want) {
			t.Errorf("notes lack %q:\n%s", want, n)
		}
	}
}

// Bad input is refused before any connection (the host does not exist: a connection would fail
// with a different message).
func TestPlanValidatesBeforeConnecting(t *testing.T) {
	base := testSpec()
	base.Server.Host = "db.invalid"
	cases := map[string]func(*Spec){
		"no database host":         func(s *Spec) { s.Server.Host = " " },
		"database name is empty":   func(s *Spec) { s.Database = "" },
		"reserved":                 func(s *Spec) { s.AppRole = "pg_admin" },
		"master user name or":      func(s *Spec) { s.Master.Password = "" },
		"must not be the master":   func(s *Spec) { s.AppRole = "master" },
		"app role password is emp": func(s *Spec) { s.AppPassword = "" },
		"printable ASCII":          func(s *Spec) { s.AppPassword = "pässword" },
		"equals the master":        func(s *Spec) { s.AppPassword = s.Master.Password },
		"out of range":             func(s *Spec) { s.Server.Port = 70000 },
	}
	for want, mutate := range cases {
		s := base
		mutate(&s)
		_, err := PlanBootstrap(context.Background(), s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
		if err != nil && (strings.Contains(err.Error(), "master-pw") || strings.Contains(err.Error(), "pässword")) {
			t.Errorf("error shows a password: %v", err)
		}
	}
}

func TestPlanText(t *testing.T) {
	spec := testSpec()
	st := State{ServerVersionNum: 150008}
	p := &Plan{Server: spec.Server, MasterUser: "master", Database: spec.Database, AppRole: spec.AppRole, State: st,
		Steps: steps(spec, st, "SCRAM-SHA-256$4096:x$y:z")}
	text := p.Text()
	for _, want := range []string{`database "book_me_prod"`, "database: missing", "8 statement(s) to run", "PASSWORD [REDACTED];"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan text lacks %q:\n%s", want, text)
		}
	}
	js, _ := json.Marshal(p)
	for _, s := range []string{text, string(js)} {
		if strings.Contains(s, "SCRAM-SHA-256$") || strings.Contains(s, "app-pw") || strings.Contains(s, "master-pw") {
			t.Errorf("secret shown:\n%s", s)
		}
	}
	empty := &Plan{Server: spec.Server, Database: spec.Database, AppRole: spec.AppRole, State: State{DatabaseExists: true, RoleExists: true, PasswordCheck: "login succeeded"}}
	if !strings.Contains(empty.Text(), "No changes") {
		t.Errorf("empty plan text:\n%s", empty.Text())
	}
	r := &Result{Database: "d", AppRole: "r"}
	if !strings.Contains(r.Text(), "nothing changed") {
		t.Errorf("unchanged result text: %s", r.Text())
	}
}

func shown(steps []Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, "["+s.Database+"] "+s.SQL)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
