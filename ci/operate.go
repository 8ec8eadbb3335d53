package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/deploy"
)

// The operator verbs: one stage each, on names given explicitly (from `tofu output`), --dry-run.

// PublishApi builds the API image for a commit and pushes it to ECR by digest — or, when the commit's
// tag is already there, reuses it and pushes nothing. Returns repo@sha256:….
// +cache="never"
func (m *Bookme) PublishApi(
	ctx context.Context,
	// ECR repository name (base output ecr_repository_name).
	repository string,
	// Commit; default: the source's HEAD.
	// +optional
	gitSha string,
	// Publish from a working tree with uncommitted changes.
	// +optional
	allowDirty bool,
	// Also build linux/arm64 into one multi-arch image.
	// +optional
	arm64 bool,
	// Tag with the full 40-digit commit id instead of its first 12 digits.
	// +optional
	fullShaTag bool,
	// Repository URL for the org.opencontainers.image.source label.
	// +optional
	sourceUrl string,
	// Print the plan only.
	// +optional
	dryRun bool,
) (string, error) {
	return do(ctx, func(ctx context.Context) (string, error) {
		cfg, err := m.deployConfig(ctx, deploy.Config{})
		if err != nil {
			return "", err
		}
		sha, err := m.commit(ctx, gitSha, allowDirty)
		if err != nil {
			return "", err
		}
		a, err := m.connect(ctx, awsconf.Options{})
		if err != nil {
			return "", err
		}
		pub := deploy.Publish{AWS: a.cfg, Source: sourceFiles{dir: m.Source}, Layout: cfg.Layout,
			Repository: repository, GitSHA: sha, FullSHATag: fullShaTag,
			Images: engineImages{m: m, cfg: cfg, gitSHA: sha, sourceURL: sourceUrl, arm64: arm64}}
		plan, err := pub.Plan(ctx)
		if err != nil {
			return "", err
		}
		if dryRun {
			return plan.Text(), nil
		}
		ref, _, err := pub.Apply(ctx, plan)
		return ref, err
	})
}

// Roll rolls an image already pushed (publish-api) under the deploy lock: the API, worker and
// migrate revisions are rendered from OpenTofu's templates with the env file the API runs now, the
// migration runs first, then the services roll (every one rolled back on failure). With
// --migrate-only only the migration runs (gating on its exit code); no service is touched.
// +cache="never"
func (m *Bookme) Roll(
	ctx context.Context,
	// Image by digest: repo@sha256:….
	image string,
	// Commit recorded in the revisions' tags and the lock.
	gitSha string,
	// Who rolls (the lock's holder); default: "local".
	// +optional
	who string,
	// Skip the migration task.
	// +optional
	skipMigration bool,
	// Run only the migration task; roll nothing.
	// +optional
	migrateOnly bool,
	// Migration command override; default: bookme-deploy.yaml's commands.migrate and collectstatic.
	// +optional
	command []string,
	// Print the plan; take no lock, register and roll nothing.
	// +optional
	dryRun bool,
) (string, error) {
	return do(ctx, func(ctx context.Context) (string, error) {
		cfg, err := m.deployConfig(ctx, deploy.Config{})
		if err != nil {
			return "", err
		}
		p, s, err := m.site(ctx)
		if err != nil {
			return "", err
		}
		return deploy.RollImage(ctx, p, s, deploy.RollOptions{Image: image, GitSHA: gitSha, Who: who, SkipMigration: skipMigration,
			MigrateOnly: migrateOnly, Command: command, Timeouts: cfg.Timeouts, App: cfg.App}, dryRun)
	})
}

// Rollback returns the environment to a previous release (default: the previous successful one from
// the deploy records): the services to its task-definition revisions (image and env file by
// reference) and the SPA to its entry points, under the deploy lock, with a record. Migrations are
// never reversed.
// +cache="never"
func (m *Bookme) Rollback(
	ctx context.Context,
	// The release: a commit prefix or a record key (see history); default: the previous successful one.
	// +optional
	to string,
	// Who rolls back (recorded in the lock and the record); default: "local".
	// +optional
	who string,
	// Print the plan only.
	// +optional
	dryRun bool,
) (string, error) {
	return do(ctx, func(ctx context.Context) (string, error) {
		cfg, err := m.deployConfig(ctx, deploy.Config{})
		if err != nil {
			return "", err
		}
		p, s, err := m.site(ctx)
		if err != nil {
			return "", err
		}
		return deploy.RollbackRelease(ctx, p, s, to, deploy.RollbackOptions{Who: deploy.Who(who), Timeouts: cfg.Timeouts}, dryRun)
	})
}

// History lists the environment's last releases from the deploy records: commit, image digest,
// task-definition revisions, env file, SPA release, who, when and the outcome. With --run-url and
// --format markdown it is the job summary of that CI run, also when its deploy failed.
// +cache="never"
func (m *Bookme) History(
	ctx context.Context,
	// How many releases, newest first.
	// +default=10
	last int,
	// text, json, or markdown (each record's summary).
	// +default="text"
	format string,
	// Only the records of this CI run (the --run-url the deploy was given).
	// +optional
	runUrl string,
) (string, error) {
	return do(ctx, func(ctx context.Context) (string, error) {
		p, s, err := m.site(ctx)
		if err != nil && s.StateBucket == "" {
			return "", err
		} else if err != nil {
			fmt.Fprintf(os.Stderr, "history: the stacks' outputs could not be read (%v): the state bucket's records only\n", err)
		}
		return deploy.ShowHistory(ctx, p, s, last, format, runUrl)
	})
}

// Status says which release runs in the environment: the services' revisions, the SPA release
// served and the env file, matched to the deploy records.
// +cache="never"
func (m *Bookme) Status(ctx context.Context) (string, error) {
	return do(ctx, func(ctx context.Context) (string, error) {
		p, s, err := m.site(ctx)
		if err != nil {
			return "", err
		}
		return deploy.ShowStatus(ctx, p, s)
	})
}

// site reads where the environment's release lives (the stacks' outputs).
func (m *Bookme) site(ctx context.Context) (deploy.Ports, deploy.Site, error) {
	a, bucket, err := m.connectState(ctx)
	if err != nil {
		return deploy.Ports{}, deploy.Site{}, err
	}
	t := m.tofu(a, deploy.Config{Env: m.Env, StateBucket: bucket, RunID: deploy.NewRunID()})
	s, err := deploy.ReadSite(ctx, t, m.Env, bucket) // on error: the environment and the state bucket
	return deploy.Ports{AWS: a.cfg, S3: a.s3, Tofu: t, Out: progress(ctx)}, s, err
}

// Unlock shows who holds the environment's deploy lock (deploy/<env>/lock.json in the state
// bucket); with --force it removes it (after a crashed deploy); with --run-url it removes it only
// when that CI run holds it (the step of a cancelled job).
// +cache="never"
func (m *Bookme) Unlock(
	ctx context.Context,
	// Remove the lock whoever holds it.
	// +optional
	force bool,
	// Remove the lock only when this CI run holds it (as deploy --run-url recorded it).
	// +optional
	runUrl string,
) (string, error) {
	return do(ctx, func(ctx context.Context) (string, error) {
		a, bucket, err := m.connectState(ctx)
		if err != nil {
			return "", err
		}
		return deploy.Unlock(ctx, a.s3, m.Env, bucket, force, runUrl)
	})
}

// Recover is the step a CI job runs when it was cancelled (if: cancelled()). GitHub kills a cancelled
// job's processes, so its deploy could not clean up: when that run still holds the deploy lock, this
// removes the OpenTofu state locks it left, serves the newest successful release again if the run had
// changed the services or the SPA (with a record saying so), and releases the lock. When the run does
// not hold the lock it changes nothing and says so. Run it only once the run's deploy step stopped.
// +cache="never"
func (m *Bookme) Recover(
	ctx context.Context,
	// The CI run whose deploy was cancelled (as deploy --run-url recorded it).
	runUrl string,
	// Print what it would do; change nothing.
	// +optional
	dryRun bool,
) (string, error) {
	return do(ctx, func(ctx context.Context) (string, error) {
		a, bucket, err := m.connectState(ctx)
		if err != nil {
			return "", err
		}
		// The common case (the deploy ended and released its lock) needs no stack outputs.
		if nothing, err := deploy.NothingToRecover(ctx, a.s3, m.Env, bucket, runUrl); err != nil || nothing != "" {
			return nothing, err
		}
		cfg, err := m.deployConfig(ctx, deploy.Config{})
		if err != nil {
			return "", err
		}
		p, s, err := m.site(ctx)
		if err != nil {
			return "", err
		}
		return deploy.Recover(ctx, p, s, runUrl, deploy.RollbackOptions{Timeouts: cfg.Timeouts}, dryRun)
	})
}

// Run runs a one-off command on the running release's shell task definition (the API's when no deploy
// record names one), with the API service's network, the revision's roles and env file, streaming its
// log lines; a non-zero exit fails the call with the exit code in the error.
// +cache="never"
func (m *Bookme) Run(
	ctx context.Context,
	// The command, split as a shell would (quotes, no expansion): "python manage.py createsuperuser --noinput".
	command string,
	// Stop the task if it still runs after this long.
	// +default="1h"
	timeout string,
	// Print the plan only: revision, network, roles, env file, command.
	// +optional
	dryRun bool,
) (string, error) {
	return do(ctx, func(ctx context.Context) (string, error) {
		argv, err := deploy.SplitCommand(command)
		if err != nil {
			return "", err
		}
		d, err := time.ParseDuration(timeout)
		if err != nil {
			return "", fmt.Errorf("--timeout %q: %v", timeout, err)
		}
		p, s, err := m.site(ctx)
		if err != nil {
			return "", err
		}
		return deploy.RunCommand(ctx, p, s, deploy.RunOptions{Command: argv, Timeout: d, DryRun: dryRun})
	})
}

// Logs prints a service's CloudWatch log lines in time order with their task ids.
// +cache="never"
func (m *Bookme) Logs(
	ctx context.Context,
	// api or worker.
	// +default="api"
	service string,
	// How far back: a duration (10m, 2h, 1d) or a time (2026-01-02T15:04:05Z, 2026-01-02).
	// +default="10m"
	since string,
	// Keep printing new lines (to stderr) until interrupted.
	// +optional
	follow bool,
	// Print where the lines would be read from only.
	// +optional
	dryRun bool,
) (string, error) {
	return do(ctx, func(ctx context.Context) (string, error) {
		p, s, err := m.site(ctx)
		if err != nil {
			return "", err
		}
		o := deploy.LogsOptions{Service: service, Since: since, Follow: follow, DryRun: dryRun}
		if follow {
			o.Out = progress(ctx)
		}
		return deploy.Logs(ctx, p, s, o)
	})
}

// Exec prints the `aws ecs execute-command` line that opens a session in a running task of the
// service (ECS Exec must be on: ecs_exec_services in infra/stacks/backend). Changes nothing.
// +cache="never"
func (m *Bookme) Exec(
	ctx context.Context,
	// api or worker.
	// +default="api"
	service string,
	// The container; default: the application container (backend output api_container_name).
	// +optional
	container string,
	// The command the session runs.
	// +default="/bin/sh"
	command string,
	// A task id; default: the newest running task that accepts a session.
	// +optional
	task string,
) (string, error) {
	return do(ctx, func(ctx context.Context) (string, error) {
		p, s, err := m.site(ctx)
		if err != nil {
			return "", err
		}
		return deploy.Exec(ctx, p, s, deploy.ExecOptions{Service: service, Container: container, Command: command, Task: task})
	})
}
