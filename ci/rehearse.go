package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"bookme-deploy/core/deployflow"
	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/planfile"
	"bookme-deploy/core/registry"

	"dagger/bookme/internal/dagger"
)

// The dry-run's rehearsals beyond deploying twice: a concurrent deploy refused by the lock, a saved
// plan (timed against the no-op deploy), and `deploy --plan-file` of that plan.

// heldLock reports whether the deployment holds the deploy lock now.
func (d *deployment) heldLock() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.held != nil
}

// rehearseConcurrent waits until holder holds the deploy lock, then starts a second deploy of the
// same commit with a short lock wait: it must be refused by the lock, naming the holder, and leave
// the holder's lock in place. It returns a report line, or an error when the lock did not refuse.
func rehearseConcurrent(ctx context.Context, holder *deployment, mk func() *deployment) (string, error) {
	deadline := time.Now().Add(5 * time.Minute)
	for !holder.heldLock() {
		if time.Now().After(deadline) {
			return "", fmt.Errorf("concurrent deploy: the first deploy never took the lock")
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	rival := mk()
	rival.who = "dry-run-rival"
	rival.lockWait = 3 * time.Second
	t0 := time.Now()
	rep, err := rival.run(ctx)
	took := time.Since(t0).Round(time.Second)
	if err == nil {
		return "", fmt.Errorf("concurrent deploy: a second deploy ran while the first held the lock:\n%s", rep.Text())
	}
	lockStep := outcome(rep, "lock")
	if lockStep.Status != pipeline.Failed || !strings.Contains(lockStep.Error, "is held by "+holder.who) {
		return "", fmt.Errorf("concurrent deploy: failed, but not by the lock: %v", err)
	}
	for _, s := range rep.Steps {
		if s.Name != "lock" && s.Name != "unlock" && s.Name != "record" && s.Status != pipeline.Skipped {
			return "", fmt.Errorf("concurrent deploy: step %s ran (%s) after the lock refused", s.Name, s.Status)
		}
	}
	if !holder.heldLock() {
		return "", fmt.Errorf("concurrent deploy: the first deploy lost its lock")
	}
	return fmt.Sprintf("Concurrent deploy (%s, lock wait %s): refused by the lock in %s, no step ran: %s\n\n",
		rival.who, rival.lockWait, took, firstLine(lockStep.Error)), nil
}

func outcome(rep *pipeline.Report, name string) pipeline.Outcome {
	for _, s := range rep.Steps {
		if s.Name == name {
			return s
		}
	}
	return pipeline.Outcome{}
}

// tofuPlansTime is the wall time the three `tofu plan`s of a plan run take on their own: base and
// frontend in parallel, backend after base.
func tofuPlansTime(rep *pipeline.Report) time.Duration {
	base, front, back := outcome(rep, "plan-base"), outcome(rep, "plan-frontend"), outcome(rep, "plan-backend")
	return max(base.Duration+back.Duration, front.Duration)
}

// rehearsePlanFile saves a plan of the emulated account, round-trips it through its JSON form and
// deploys it with --plan-file semantics (pre-flight comparison, then per-part checks). It returns
// the report section and the plan run's times.
func rehearsePlanFile(ctx context.Context, mk func() *deployment, noOp time.Duration) (string, *deployment, error) {
	var b strings.Builder
	planner := mk()
	planner.planOnly = true
	t0 := time.Now()
	prep := runPlan(ctx, planner)
	planWall := time.Since(t0)
	fmt.Fprintf(&b, "## Plan (`plan --format json`)\n\n```\n%s```\n", prep.Text())
	if err := prep.Err(); err != nil {
		return b.String(), nil, fmt.Errorf("dry-run: plan: %w", err)
	}
	tofuOnly := tofuPlansTime(prep)
	fmt.Fprintf(&b, "Plan: %s in all; the three `tofu plan`s alone %s. No-op deploy %s = %.2f× the three plans (target ≤ 1.5×).\n\n",
		planWall.Round(time.Second), tofuOnly.Round(time.Second), noOp.Round(time.Second), noOp.Seconds()/tofuOnly.Seconds())
	data, err := planner.prints.JSON()
	if err != nil {
		return b.String(), nil, err
	}
	planned, err := planfile.Parse(data)
	if err != nil {
		return b.String(), nil, fmt.Errorf("dry-run: the saved plan does not parse: %w", err)
	}
	check := mk()
	if err := preflight(ctx, check, planned); err != nil {
		return b.String(), nil, fmt.Errorf("dry-run: deploy --plan-file: %w", err)
	}
	d := mk()
	d.planned = planned
	rep, err := d.run(ctx)
	fmt.Fprintf(&b, "## Deploy of the saved plan (`deploy --plan-file`)\n\n```\n%s```\n%s\n\n", rep.Text(), d.stats.text())
	if err != nil {
		return b.String(), d, fmt.Errorf("dry-run: deploy --plan-file: %w", err)
	}
	if !d.stats.noOp() {
		return b.String(), d, fmt.Errorf("dry-run: deploying the plan of an unchanged account changed something: %s", d.stats.text())
	}
	fmt.Fprintf(&b, "Saved plan: every part matched (%s); deployed as planned, nothing changed.\n\n", strings.Join(planfile.Parts, ", "))
	text, err := rehearseDrift(ctx, mk, planned, d)
	b.WriteString(text)
	return b.String(), d, err
}

// rehearseDrift changes the account behind OpenTofu's back (a tag on the client bucket), then
// deploys the same saved plan again: the pre-flight must refuse it, naming the frontend stack, with
// nothing changed and the lock never taken. The tag is removed afterwards.
func rehearseDrift(ctx context.Context, mk func() *deployment, planned *planfile.File, last *deployment) (string, error) {
	bucket := aws.String(last.frontend.ClientBucket)
	tags, err := last.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket})
	if err != nil {
		return "", fmt.Errorf("dry-run: drift rehearsal: read the client bucket's tags: %w", err)
	}
	drifted := append(append([]s3types.Tag(nil), tags.TagSet...), s3types.Tag{Key: aws.String("drift"), Value: aws.String("changed-outside-opentofu")})
	if _, err := last.s3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: bucket, Tagging: &s3types.Tagging{TagSet: drifted}}); err != nil {
		return "", fmt.Errorf("dry-run: drift rehearsal: tag the client bucket: %w", err)
	}
	defer last.s3.PutBucketTagging(context.WithoutCancel(ctx), &s3.PutBucketTaggingInput{Bucket: bucket, Tagging: &s3types.Tagging{TagSet: tags.TagSet}})
	err = preflight(ctx, mk(), planned)
	if err == nil {
		return "", fmt.Errorf("dry-run: deploy --plan-file accepted a plan whose account drifted (a tag added to %s)", *bucket)
	}
	var drift planfile.DriftError
	if !errors.As(err, &drift) || !strings.Contains(err.Error(), planfile.PartTofuFrontend) {
		return "", fmt.Errorf("dry-run: deploy --plan-file refused the drifted plan for another reason: %v", err)
	}
	if _, herr := last.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(last.tofu.stateBucket), Key: aws.String(last.lockOptions().Key)}); herr == nil {
		return "", fmt.Errorf("dry-run: the refused --plan-file deploy left the deploy lock behind")
	}
	var parts []string
	for _, x := range drift {
		parts = append(parts, x.Part)
	}
	return fmt.Sprintf("Drifted account (a tag added to %s outside OpenTofu): `deploy --plan-file` of the same plan refused before changing anything (drifted: %s).\n\n",
		*bucket, strings.Join(parts, ", ")), nil
}

// postgresImage runs the stand-in database of the rehearsal: moto's RDS is an API without a server,
// so the bootstrap also runs against a real PostgreSQL (Debian's, in the base image the harness and
// every machine have).
const postgresImage = "debian:bookworm-slim"

// postgresStart initialises a cluster, creates a master role made like RDS's (LOGIN CREATEDB
// CREATEROLE, not a superuser; password from the secret $MASTER_PW, never an argument) and serves
// it on port 5432 with scram-sha-256 logins.
const postgresStart = `set -eu
PG=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
D=/var/lib/bookme-pg
mkdir -p $D && chown postgres:postgres $D
su postgres -s /bin/sh -c "$PG/initdb -D $D/data -U postgres --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C --no-sync --no-instructions" >/dev/null
echo "host all all 0.0.0.0/0 scram-sha-256" >> $D/data/pg_hba.conf
su postgres -s /bin/sh -c "$PG/pg_ctl -D $D/data -o '-k /tmp -c listen_addresses=' -w start" >/dev/null
su postgres -s /bin/sh -c "psql -h /tmp -U postgres -d postgres -v ON_ERROR_STOP=1 -q" <<'SQL'
\getenv pw MASTER_PW
CREATE ROLE bookme_master WITH LOGIN CREATEDB CREATEROLE PASSWORD :'pw';
SQL
su postgres -s /bin/sh -c "$PG/pg_ctl -D $D/data -w stop" >/dev/null
exec su postgres -s /bin/sh -c "exec $PG/postgres -D $D/data -k /tmp -c listen_addresses='*' -c fsync=off"
`

// rehearseDBBootstrap runs the bootstrap command of the image the deploy pushed — pulled back from
// the emulated registry — twice against a stand-in PostgreSQL: the first run creates the database
// and the app role, the second must change nothing.
func rehearseDBBootstrap(ctx context.Context, d *deployment, reg *emulatedECR, creds *registry.Credentials) (string, error) {
	_, digest, ok := strings.Cut(d.image, "@")
	if !ok {
		return "", fmt.Errorf("db bootstrap rehearsal: the deploy's image %q has no digest", d.image)
	}
	repo := d.base.ECRRepositoryName
	master := dag.SetSecret("rehearsal-db-master-"+d.runID, fakeToken())
	app := dag.SetSecret("rehearsal-db-app-"+d.runID, fakeToken())
	pg, err := dag.Container().From(postgresImage).
		WithExec([]string{"sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null && rm -rf /var/lib/apt/lists/*"}).
		WithSecretVariable("MASTER_PW", master).
		WithEnvVariable("BOOKME_RUN", d.runID).
		WithExposedPort(5432).
		AsService(dagger.ContainerAsServiceOpts{Args: []string{"sh", "-c", postgresStart}}).Start(ctx)
	if err != nil {
		return "", fmt.Errorf("db bootstrap rehearsal: start PostgreSQL: %w", err)
	}
	defer pg.Stop(context.WithoutCancel(ctx))
	password := dag.SetSecret("rehearsal-pull-"+d.runID, creds.Password)
	img := dag.Container().WithRegistryAuth(emulatedPushHost, creds.Username, password).
		From(emulatedPushHost+"/"+repo+"@"+digest, dagger.ContainerFromOpts{RegistryService: reg.svc}).
		WithServiceBinding("db", pg).
		WithEnvVariable("BOOKME_DB_MASTER_USER", "bookme_master").
		WithSecretVariable("BOOKME_DB_MASTER_PASSWORD", master).
		WithSecretVariable("POSTGRES_PASSWORD", app)
	cmd := []string{dbBootstrapPath, "--host", "db", "--db", d.base.DBName, "--role", d.dbAppUser,
		"--sslmode", "disable", "--app-password-env", "POSTGRES_PASSWORD"}
	var b strings.Builder
	b.WriteString("## DB bootstrap against a stand-in PostgreSQL (the emulated RDS runs no server)\n\n")
	fmt.Fprintf(&b, "The image's `%s`, pulled back by digest from the registry, run twice:\n\n```\n", strings.Join(cmd, " "))
	var outs []string
	for i := 1; i <= 2; i++ {
		out, err := img.WithEnvVariable("BOOKME_RUN", fmt.Sprintf("%s-%d", d.runID, i)).WithExec(cmd).Stdout(ctx)
		if err != nil {
			return b.String(), fmt.Errorf("db bootstrap rehearsal: run %d: %w", i, err)
		}
		outs = append(outs, out)
		b.WriteString(out)
	}
	b.WriteString("```\n\n")
	if !strings.Contains(outs[0], "statement(s) applied") {
		return b.String(), fmt.Errorf("db bootstrap rehearsal: the first run on an empty server applied nothing")
	}
	if !strings.Contains(outs[1], "nothing changed") {
		return b.String(), fmt.Errorf("db bootstrap rehearsal: the second run changed something (not idempotent)")
	}
	b.WriteString("DB bootstrap: created on the first run, nothing changed on the second.\n\n")
	return b.String(), nil
}

// rehearseSelection deploys only the rollout and the SPA release (deploy --stages
// migrate-and-roll,release) of the same commit: the stacks' outputs are read instead of applied,
// the image is found in the registry instead of built, and nothing changes.
func rehearseSelection(ctx context.Context, mk func() *deployment) (string, error) {
	d := mk()
	d.only = []string{deployflow.MigrateAndRoll, deployflow.Release}
	rep, err := d.run(ctx)
	text := fmt.Sprintf("## Deploy of selected stages (`deploy --stages %s`)\n\n```\n%s```\n%s\n\n", strings.Join(d.only, ","), rep.Text(), d.stats.text())
	if err != nil {
		return text, fmt.Errorf("dry-run: deploy --stages: %w", err)
	}
	want := map[string]string{
		deployflow.TofuBase: "not selected: outputs read", deployflow.TofuFrontend: "not selected: outputs read",
		deployflow.TofuBackend: "not selected: outputs read", deployflow.Image: "not selected: reuse ",
		deployflow.EnvFile: "not selected", deployflow.Smoke: "not selected",
	}
	for name, prefix := range want {
		if o := outcome(rep, name); !strings.HasPrefix(o.Detail, prefix) {
			return text, fmt.Errorf("dry-run: deploy --stages: %s says %q, want %q", name, o.Detail, prefix)
		}
	}
	if !d.stats.noOp() || d.stats.TofuResourceChange != 0 {
		return text, fmt.Errorf("dry-run: deploy --stages of an unchanged commit changed something: %s", d.stats.text())
	}
	return text + "Selected stages: stacks read, not applied; image reused; rollout and release ran and changed nothing.\n\n", nil
}
