//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"

	"bookme-deploy/internal/testenv"
)

// The command end to end: secrets from moto's Secrets Manager, a real PostgreSQL, a dry run that
// changes nothing, a run that creates, a second run that is a no-op, a wrong password.
func TestCommandAgainstPostgresAndMoto(t *testing.T) {
	pg := testenv.StartPostgres(t)
	ctx := context.Background()
	super, err := pgx.Connect(ctx, pg.DSN(pg.SuperUser, pg.SuperPassword, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	if _, err := super.Exec(ctx, `CREATE ROLE bookme_master LOGIN CREATEDB CREATEROLE PASSWORD 'Master-secret-pw-1'`); err != nil {
		t.Fatal(err)
	}

	moto := testenv.StartMoto(t)
	sm := secretsmanager.NewFromConfig(moto.Config(t))
	create := func(name, value string) string {
		out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
		if err != nil {
			t.Fatal(err)
		}
		return *out.ARN
	}
	masterARN := create("rds!db-abc", `{"username":"bookme_master","password":"Master-secret-pw-1"}`)
	appARN := create("bookme/prod/db-app", `{"password":"App-secret-pw-2"}`)
	wrongARN := create("rds!db-wrong", `{"username":"bookme_master","password":"Wrong-secret-pw-3"}`)

	env := map[string]string{
		"AWS_REGION": testenv.Region, "AWS_ENDPOINT_URL": moto.Endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
		"BOOKME_DB_HOST": pg.Host, "BOOKME_DB_PORT": strconv.Itoa(pg.Port), "BOOKME_DB_SSLMODE": "disable",
		"BOOKME_DB_NAME": "book_me_prod", "BOOKME_DB_APP_ROLE": "book_me_prod_api",
		"BOOKME_DB_MASTER_SECRET_ARN": masterARN, "BOOKME_DB_APP_SECRET_ARN": appARN,
	}
	cmd := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(ctx, args, envOf(env), &out, &errb)
		for _, s := range []string{"Master-secret-pw-1", "App-secret-pw-2", "Wrong-secret-pw-3", "SCRAM-SHA-256$"} {
			if strings.Contains(out.String()+errb.String(), s) {
				t.Errorf("%v: output shows a secret %q:\n%s\n%s", args, s, out.String(), errb.String())
			}
		}
		return code, out.String(), errb.String()
	}
	dbCount := func() int {
		var n int
		if err := super.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = 'book_me_prod'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	code, out, errs := cmd("--dry-run")
	if code != 0 || !strings.Contains(out, "8 statement(s) to run") || !strings.Contains(out, "Dry run: nothing changed") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errs)
	}
	if dbCount() != 0 {
		t.Fatalf("dry run created the database")
	}

	code, out, errs = cmd()
	if code != 0 || !strings.Contains(out, "8 statement(s) applied") {
		t.Fatalf("first run: exit %d\n%s\n%s", code, out, errs)
	}
	if dbCount() != 1 {
		t.Fatalf("first run did not create the database:\n%s", out)
	}
	app, err := pgx.Connect(ctx, pg.DSN("book_me_prod_api", "App-secret-pw-2", "book_me_prod"))
	if err != nil {
		t.Fatalf("app role cannot log in with its secret's password: %v", err)
	}
	app.Close(ctx)

	code, out, errs = cmd("--json")
	var doc struct {
		Plan   struct{ Steps []any }   `json:"plan"`
		Result struct{ Applied []any } `json:"result"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Plan.Steps) != 0 || len(doc.Result.Applied) != 0 {
		t.Fatalf("second run (JSON) is not a no-op: exit %d\n%s\n%s", code, out, errs)
	}

	env["BOOKME_DB_MASTER_SECRET_ARN"] = wrongARN
	code, out, errs = cmd()
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "password authentication failed") || out != "" {
		t.Fatalf("wrong master password: exit %d stdout %q stderr %q", code, out, errs)
	}
	t.Logf("wrong master password → %s", strings.TrimSpace(errs))
}
