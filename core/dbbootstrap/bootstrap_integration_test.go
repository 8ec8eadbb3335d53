//go:build integration

package dbbootstrap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"bookme-deploy/core/dbbootstrap"
	"bookme-deploy/internal/testenv"
)

// These tests run against a real PostgreSQL server (Debian's binaries, testenv.StartPostgres).
// The "master" user is made like RDS's: LOGIN CREATEDB CREATEROLE but not a superuser, so what
// works here does not depend on superuser powers.

const (
	masterUser = "rds_master"
	masterPW   = "Master-pw-1!x"
	appPW      = "App-pw-2'\"\\$x"
)

type fixture struct {
	pg *testenv.Postgres
}

func start(t *testing.T) *fixture {
	t.Helper()
	pg := testenv.StartPostgres(t)
	f := &fixture{pg: pg}
	f.superExec(t, "postgres", "CREATE ROLE "+masterUser+" WITH LOGIN CREATEDB CREATEROLE PASSWORD '"+masterPW+"'")
	return f
}

func (f *fixture) connect(t *testing.T, user, pw, db string) (*pgx.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, f.pg.DSN(user, pw, db))
	if err == nil {
		t.Cleanup(func() { conn.Close(context.Background()) })
	}
	return conn, err
}

func (f *fixture) superExec(t *testing.T, db, sql string) {
	t.Helper()
	conn, err := f.connect(t, f.pg.SuperUser, f.pg.SuperPassword, db)
	if err != nil {
		t.Fatalf("connect as superuser: %v", err)
	}
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (f *fixture) spec(db, role, pw string) dbbootstrap.Spec {
	return dbbootstrap.Spec{
		Server:      dbbootstrap.Server{Host: f.pg.Host, Port: f.pg.Port, SSLMode: "disable"},
		Master:      dbbootstrap.Credentials{Username: masterUser, Password: masterPW},
		Database:    db,
		AppRole:     role,
		AppPassword: pw,
	}
}

func plan(t *testing.T, spec dbbootstrap.Spec) *dbbootstrap.Plan {
	t.Helper()
	p, err := dbbootstrap.PlanBootstrap(context.Background(), spec)
	if err != nil {
		t.Fatalf("PlanBootstrap: %v", err)
	}
	return p
}

func apply(t *testing.T, p *dbbootstrap.Plan) (*dbbootstrap.Result, string) {
	t.Helper()
	var progress bytes.Buffer
	res, err := dbbootstrap.Apply(context.Background(), p, &progress)
	if err != nil {
		t.Fatalf("Apply: %v\nprogress:\n%s", err, progress.String())
	}
	return res, progress.String()
}

// noSecrets fails when any password (or a SCRAM verifier) shows in text.
func noSecrets(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range append(secrets, masterPW, "SCRAM-SHA-256$") {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains a secret (%q):\n%s", what, s, text)
		}
	}
}

func whats(steps []dbbootstrap.Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.What)
	}
	return out
}

func TestFirstRunCreatesEverythingSecondRunIsNoOp(t *testing.T) {
	f := start(t)
	spec := f.spec("book_me_prod", "book_me_prod_api", appPW)

	p := plan(t, spec)
	if p.State.DatabaseExists || p.State.RoleExists {
		t.Fatalf("fresh server: state = %+v", p.State)
	}
	want := []string{
		"create database", "create app role", "set client_encoding", "set default_transaction_isolation", "set timezone",
		"revoke PUBLIC's privileges on the database", "grant the app role CONNECT, TEMPORARY on the database",
		"grant the app role USAGE, CREATE on schema public",
	}
	if got := whats(p.Steps); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("first plan steps:\n got %q\nwant %q", got, want)
	}
	text := p.Text()
	js, _ := json.Marshal(p)
	noSecrets(t, "plan text", text, appPW)
	noSecrets(t, "plan JSON", string(js), appPW)
	if !strings.Contains(text, `CREATE ROLE "book_me_prod_api" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD [REDACTED]`) {
		t.Errorf("plan text lacks the redacted CREATE ROLE:\n%s", text)
	}
	// Plan only reads: nothing exists yet.
	if p2 := plan(t, spec); len(p2.Steps) != len(p.Steps) {
		t.Fatalf("planning twice changed the plan: %d then %d steps", len(p.Steps), len(p2.Steps))
	}

	res, progress := apply(t, p)
	if len(res.Applied) != len(want) || strings.Count(progress, "\n") != len(want) {
		t.Fatalf("applied %d steps, progress %d lines:\n%s", len(res.Applied), strings.Count(progress, "\n"), progress)
	}
	noSecrets(t, "progress", progress, appPW)
	noSecrets(t, "result text", res.Text(), appPW)

	again := plan(t, spec)
	if !again.Empty() {
		t.Fatalf("second plan is not empty:\n%s", again.Text())
	}
	if !strings.Contains(again.Text(), "No changes") || again.State.PasswordCheck != "login succeeded" {
		t.Errorf("second plan text/state:\n%s\n%+v", again.Text(), again.State)
	}
	res2, progress2 := apply(t, again)
	if res2.Changed() || progress2 != "" {
		t.Errorf("applying the empty plan changed something: %+v %q", res2, progress2)
	}

	t.Run("app role settings", func(t *testing.T) {
		app, err := f.connect(t, "book_me_prod_api", appPW, "book_me_prod")
		if err != nil {
			t.Fatalf("app role cannot log in: %v", err)
		}
		for name, want := range map[string]string{
			"timezone": "UTC", "default_transaction_isolation": "read committed", "client_encoding": "UTF8",
		} {
			var got string
			if err := app.QueryRow(context.Background(), "SHOW "+name).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("SHOW %s = %q, want %q", name, got, want)
			}
		}
	})

	t.Run("app role can migrate but not escalate", func(t *testing.T) {
		app, err := f.connect(t, "book_me_prod_api", appPW, "book_me_prod")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, sql := range []string{
			// What Django's first migration does.
			`CREATE TABLE django_migrations (id bigserial PRIMARY KEY, app varchar(255) NOT NULL, name varchar(255) NOT NULL, applied timestamptz NOT NULL)`,
			`INSERT INTO django_migrations (app, name, applied) VALUES ('contenttypes', '0001_initial', now())`,
			`CREATE INDEX django_migrations_app ON django_migrations (app)`,
			`ALTER TABLE django_migrations ADD COLUMN note text`,
			`CREATE TEMPORARY TABLE scratch (x int)`,
		} {
			if _, err := app.Exec(ctx, sql); err != nil {
				t.Errorf("app role: %s: %v", sql, err)
			}
		}
		for _, sql := range []string{
			`CREATE ROLE intruder`,
			`CREATE DATABASE other_db`,
			`CREATE SCHEMA sneaky`,
			`ALTER ROLE book_me_prod_api CREATEDB`,
		} {
			_, err := app.Exec(ctx, sql)
			var pg *pgconn.PgError
			if !errors.As(err, &pg) || pg.Code != "42501" {
				t.Errorf("app role: %s: want permission denied (42501), got %v", sql, err)
			}
		}
		var super, createdb, createrole bool
		if err := app.QueryRow(ctx, `SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user`).
			Scan(&super, &createdb, &createrole); err != nil {
			t.Fatal(err)
		}
		if super || createdb || createrole {
			t.Errorf("app role attributes: super=%v createdb=%v createrole=%v", super, createdb, createrole)
		}
	})

	t.Run("other roles cannot connect to the app database", func(t *testing.T) {
		f.superExec(t, "postgres", "CREATE ROLE bystander LOGIN PASSWORD 'bystander-pw'")
		_, err := f.connect(t, "bystander", "bystander-pw", "book_me_prod")
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "42501" {
			t.Errorf("bystander connected or failed oddly: %v", err)
		}
	})

	t.Run("password rotation is one statement", func(t *testing.T) {
		spec := spec
		spec.AppPassword = "Rotated-pw-3"
		p := plan(t, spec)
		if got := whats(p.Steps); len(got) != 1 || got[0] != "set app role password" {
			t.Fatalf("rotation plan: %q\n%s", got, p.Text())
		}
		if p.State.PasswordCheck != "login refused" {
			t.Errorf("password check = %q", p.State.PasswordCheck)
		}
		_, progress := apply(t, p)
		noSecrets(t, "rotation progress", progress, "Rotated-pw-3", appPW)
		if _, err := f.connect(t, "book_me_prod_api", "Rotated-pw-3", "book_me_prod"); err != nil {
			t.Errorf("new password refused: %v", err)
		}
		if _, err := f.connect(t, "book_me_prod_api", appPW, "book_me_prod"); err == nil {
			t.Errorf("old password still accepted")
		}
		if p := plan(t, spec); !p.Empty() {
			t.Errorf("plan after rotation not empty:\n%s", p.Text())
		}
	})
}

// The seed's manual steps (GRANT ALL PRIVILEGES, no settings) converge to least privilege.
func TestConvergesFromSeedManualSetup(t *testing.T) {
	f := start(t)
	master, err := f.connect(t, masterUser, masterPW, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`CREATE DATABASE book_me_prod`,
		`CREATE USER book_me_prod_api WITH PASSWORD 'old-manual-pw' CREATEDB`,
		`ALTER ROLE book_me_prod_api SET timezone TO 'UTC'`,
		`GRANT ALL PRIVILEGES ON DATABASE book_me_prod TO book_me_prod_api`,
	} {
		if _, err := master.Exec(context.Background(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	spec := f.spec("book_me_prod", "book_me_prod_api", appPW)
	p := plan(t, spec)
	want := []string{
		"restrict app role attributes", "set app role password", "set client_encoding", "set default_transaction_isolation",
		"revoke PUBLIC's privileges on the database", "revoke the app role's CREATE on the database",
		"grant the app role USAGE, CREATE on schema public",
	}
	if got := whats(p.Steps); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("converge plan:\n got %q\nwant %q\n%s", got, want, p.Text())
	}
	if !strings.Contains(p.Text(), `ALTER ROLE "book_me_prod_api" WITH NOCREATEDB`) {
		t.Errorf("plan text lacks NOCREATEDB:\n%s", p.Text())
	}
	apply(t, p)
	if p := plan(t, spec); !p.Empty() {
		t.Fatalf("plan after converging not empty:\n%s", p.Text())
	}
}

// Names that would break naive string building are quoted: the statements create exactly these
// names and nothing else happens.
func TestHostileNamesAreQuoted(t *testing.T) {
	f := start(t)
	db := `bo"ok'; DROP DATABASE postgres; --`
	role := `ap"p'; DROP ROLE rds_master; --\`
	spec := f.spec(db, role, appPW)
	p := plan(t, spec)
	apply(t, p)
	if p := plan(t, spec); !p.Empty() {
		t.Fatalf("second plan with hostile names not empty:\n%s", p.Text())
	}
	super, err := f.connect(t, f.pg.SuperUser, f.pg.SuperPassword, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := super.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname = ANY($1)`,
		[]string{db, "postgres"}).Scan(&n); err != nil || n != 2 {
		t.Errorf("databases %q and postgres: count %d, %v", db, n, err)
	}
	if err := super.QueryRow(context.Background(), `SELECT count(*) FROM pg_roles WHERE rolname = ANY($1)`,
		[]string{role, masterUser}).Scan(&n); err != nil || n != 2 {
		t.Errorf("roles %q and %s: count %d, %v", role, masterUser, n, err)
	}
	app, err := f.connect(t, role, appPW, db)
	if err != nil {
		t.Fatalf("hostile-named app role cannot log in to its hostile-named database: %v", err)
	}
	if _, err := app.Exec(context.Background(), `CREATE TABLE t (id int)`); err != nil {
		t.Errorf("create table as hostile-named role: %v", err)
	}
}

func TestWrongMasterPasswordIsOneClearLine(t *testing.T) {
	f := start(t)
	spec := f.spec("book_me_prod", "book_me_prod_api", appPW)
	spec.Master.Password = "Wrong-master-pw-9"
	_, err := dbbootstrap.PlanBootstrap(context.Background(), spec)
	if err == nil {
		t.Fatal("PlanBootstrap with a wrong master password succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines: %q", msg)
	}
	noSecrets(t, "error", msg, "Wrong-master-pw-9", appPW)
	for _, want := range []string{"password authentication failed", masterUser, "28P01", "check the credentials"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	var e *dbbootstrap.Error
	if !errors.As(err, &e) || e.SQLState() != "28P01" {
		t.Errorf("error is not a *dbbootstrap.Error with SQLSTATE 28P01: %#v", err)
	}
}

func TestUnreachableServerIsOneClearLine(t *testing.T) {
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	spec := dbbootstrap.Spec{
		Server:   dbbootstrap.Server{Host: "127.0.0.1", Port: port, SSLMode: "disable", ConnectTimeout: 2 * time.Second},
		Master:   dbbootstrap.Credentials{Username: masterUser, Password: masterPW},
		Database: "book_me_prod", AppRole: "book_me_prod_api", AppPassword: appPW,
	}
	_, err = dbbootstrap.PlanBootstrap(context.Background(), spec)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "check host, port") {
		t.Fatalf("unreachable server: %v", err)
	}
	noSecrets(t, "error", err.Error(), appPW)
}
