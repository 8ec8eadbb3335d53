// Command bookme-dbbootstrap creates the application's database and least-privilege app role on
// the RDS PostgreSQL instance, idempotently (core/dbbootstrap). The pipeline runs it as a one-off
// container task inside the VPC; a second run changes nothing.
//
// Passwords are never flags (flags show in process lists and task definitions). They come either
// from Secrets Manager (--master-secret-arn, the RDS-managed master secret; --app-secret-arn, the
// app role's secret) read with the task's AWS credentials, or from environment variables that ECS
// fills from those secrets (BOOKME_DB_MASTER_USER, BOOKME_DB_MASTER_PASSWORD, and
// BOOKME_DB_APP_PASSWORD or the variable --app-password-env names: the deploy passes
// POSTGRES_PASSWORD, which the task definition injects from the app secret). No password appears in
// the output or in an error.
//
//	bookme-dbbootstrap --host db.xyz.eu-central-1.rds.amazonaws.com --db book_me_prod \
//	    --role book_me_prod_api --master-secret-arn arn:…:rds!db-… --app-secret-arn arn:… [--dry-run]
//
// Every flag has an environment variable (shown in -h). Exit status: 0 done (or dry run), 1 failed,
// 2 bad usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/dbbootstrap"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// options are the parsed flags and environment.
type options struct {
	host, db, role, sslMode, sslRootCert string
	port                                 int
	masterARN, appARN                    string
	appPasswordEnv                       string
	dryRun, asJSON                       bool
	timeout                              time.Duration
}

// run is main without the process: args without the program name, getenv for the environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "bookme-dbbootstrap: "+strings.TrimPrefix(oneLine(err.Error()), "dbbootstrap: "))
		return code
	}
	o, err := parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return fail(2, err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	spec := dbbootstrap.Spec{
		Server:   dbbootstrap.Server{Host: o.host, Port: o.port, SSLMode: o.sslMode, SSLRootCert: o.sslRootCert},
		Database: o.db,
		AppRole:  o.role,
	}
	if err := credentials(ctx, o, getenv, &spec); err != nil {
		return fail(1, err)
	}
	p, err := dbbootstrap.PlanBootstrap(ctx, spec)
	if err != nil {
		return fail(1, err)
	}
	if o.dryRun {
		if o.asJSON {
			return printJSON(stdout, stderr, map[string]any{"dryRun": true, "plan": p})
		}
		fmt.Fprint(stdout, p.Text())
		fmt.Fprintln(stdout, "Dry run: nothing changed.")
		return 0
	}
	progress := stdout
	if o.asJSON {
		progress = stderr
	} else {
		fmt.Fprint(stdout, p.Text())
	}
	res, err := dbbootstrap.Apply(ctx, p, progress)
	if err != nil {
		return fail(1, err)
	}
	if o.asJSON {
		return printJSON(stdout, stderr, map[string]any{"dryRun": false, "plan": p, "result": res})
	}
	fmt.Fprint(stdout, res.Text())
	return 0
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bookme-dbbootstrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, env, def, usage string) {
		v := getenv(env)
		if v == "" {
			v = def
		}
		fs.StringVar(p, name, v, usage+" (env "+env+")")
	}
	str(&o.host, "host", "BOOKME_DB_HOST", "", "database host: the RDS endpoint's address")
	var port string
	str(&port, "port", "BOOKME_DB_PORT", "5432", "database port")
	str(&o.db, "db", "BOOKME_DB_NAME", "", "the application's database, e.g. book_me_prod")
	str(&o.role, "role", "BOOKME_DB_APP_ROLE", "", "the application's login role, e.g. book_me_prod_api")
	str(&o.sslMode, "sslmode", "BOOKME_DB_SSLMODE", "require", "libpq sslmode: disable, require, verify-ca, verify-full")
	str(&o.sslRootCert, "sslrootcert", "BOOKME_DB_SSLROOTCERT", "", "CA bundle (PEM) for verify-ca/verify-full")
	str(&o.masterARN, "master-secret-arn", "BOOKME_DB_MASTER_SECRET_ARN", "", "RDS-managed master secret; else BOOKME_DB_MASTER_USER + BOOKME_DB_MASTER_PASSWORD")
	str(&o.appARN, "app-secret-arn", "BOOKME_DB_APP_SECRET_ARN", "", "app role password secret; else the variable --app-password-env names")
	str(&o.appPasswordEnv, "app-password-env", "BOOKME_DB_APP_PASSWORD_ENV", "BOOKME_DB_APP_PASSWORD",
		"environment variable holding the app role password (e.g. POSTGRES_PASSWORD, which ECS fills from the app secret)")
	fs.BoolVar(&o.dryRun, "dry-run", getenv("BOOKME_DRY_RUN") == "true", "print the plan and change nothing (env BOOKME_DRY_RUN=true)")
	fs.BoolVar(&o.asJSON, "json", false, "print the plan (and result) as JSON on stdout; progress goes to stderr")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bookme-dbbootstrap --host H --db NAME --role NAME [--master-secret-arn ARN] [--app-secret-arn ARN] [--dry-run] [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (passwords are never arguments: use secrets or environment variables)", fs.Arg(0))
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return o, fmt.Errorf("port %q is not a number", port)
	}
	o.port = p
	for _, req := range []struct{ v, name string }{{o.host, "--host"}, {o.db, "--db"}, {o.role, "--role"}} {
		if strings.TrimSpace(req.v) == "" {
			return o, fmt.Errorf("%s is required (see -h)", req.name)
		}
	}
	return o, nil
}

// credentials fills the master credentials and the app password from Secrets Manager or the
// environment.
func credentials(ctx context.Context, o options, getenv func(string) string, spec *dbbootstrap.Spec) error {
	var sm *secretsmanager.Client
	client := func() (*secretsmanager.Client, error) {
		if sm != nil {
			return sm, nil
		}
		region := getenv("AWS_REGION")
		if region == "" {
			region = getenv("AWS_DEFAULT_REGION")
		}
		cfg, err := awsconf.Load(ctx, awsconf.Options{
			Region: region, Endpoint: getenv("AWS_ENDPOINT_URL"),
			AccessKeyID: getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: getenv("AWS_SESSION_TOKEN"),
		})
		if err != nil {
			return nil, err
		}
		sm = secretsmanager.NewFromConfig(cfg)
		return sm, nil
	}
	if o.masterARN != "" {
		c, err := client()
		if err != nil {
			return err
		}
		if spec.Master, err = dbbootstrap.MasterFromSecret(ctx, c, o.masterARN); err != nil {
			return err
		}
	} else {
		spec.Master = dbbootstrap.Credentials{Username: getenv("BOOKME_DB_MASTER_USER"), Password: getenv("BOOKME_DB_MASTER_PASSWORD")}
		if spec.Master.Username == "" || spec.Master.Password == "" {
			return errors.New("no master credentials: give --master-secret-arn, or set BOOKME_DB_MASTER_USER and BOOKME_DB_MASTER_PASSWORD")
		}
	}
	if o.appARN != "" {
		c, err := client()
		if err != nil {
			return err
		}
		if spec.AppPassword, err = dbbootstrap.PasswordFromSecret(ctx, c, o.appARN); err != nil {
			return err
		}
	} else {
		spec.AppPassword = getenv(o.appPasswordEnv)
		if spec.AppPassword == "" {
			return fmt.Errorf("no app role password: give --app-secret-arn, or set %s", o.appPasswordEnv)
		}
	}
	return nil
}

func printJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(stderr, "bookme-dbbootstrap: write JSON: "+err.Error())
		return 1
	}
	return 0
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
