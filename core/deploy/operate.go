package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/lock"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/tofulock"
)

// RollOptions is what the operator `roll` verb is given: an image already pushed (publish-api), by
// digest; where it goes comes from the stacks' outputs (the Site).
type RollOptions struct {
	Image, GitSHA string
	// Who rolls (the lock's holder); RunURL links to the CI run.
	Who, RunURL string
	// SkipMigration rolls without the migration task; MigrateOnly runs only it (no service moves).
	SkipMigration, MigrateOnly bool
	// Command overrides the migration's command (default: App's).
	Command  []string
	Timeouts Timeouts
	// App is bookme-deploy.yaml's (core/appconfig): its migration command when Command is not
	// given (none: no migration), its API container name checked against the stack's.
	App App
}

// migration is the roll's migration: --command, else the config's; skipped by --skip-migration or
// by a config that runs none (then --migrate-only has nothing to run).
func (o RollOptions) migration(family string) (rollout.Migration, error) {
	m := rollout.Migration{Family: family, Skip: o.SkipMigration, Command: o.Command}
	if len(o.Command) == 0 {
		m.Command = append([]string(nil), o.App.MigrationCommand...)
		if o.App.SkipMigration {
			if o.MigrateOnly {
				return m, errors.New("roll: --migrate-only, but bookme-deploy.yaml runs no migration (commands.migrate and collectstatic: none); give --command")
			}
			m.Skip = true
		}
	}
	return m, nil
}

// RollImage is the operator `roll` verb: under the deploy lock it renders the API, worker and
// migrate revisions for the image from OpenTofu's templates (as a deploy does), keeping the env file
// the API service runs now, runs the migration, then rolls the services (rolling every one back on
// failure). With MigrateOnly it runs only the migration; dryRun prints the plan and takes no lock.
func RollImage(ctx context.Context, p Ports, s Site, o RollOptions, dryRun bool) (string, error) {
	if err := s.check("roll", true); err != nil {
		return "", err
	}
	if o.MigrateOnly && o.SkipMigration {
		return "", errors.New("roll: --migrate-only and --skip-migration contradict each other")
	}
	for fam, arn := range s.Templates {
		if arn == "" || fam == "" {
			return "", errors.New("roll: the backend stack's task_definition_templates output is incomplete: apply infra/stacks/backend first")
		}
	}
	if len(s.Templates) == 0 {
		return "", errors.New("roll: the backend stack has no task_definition_templates output: apply infra/stacks/backend first")
	}
	if o.App.APIContainer != "" && s.APIContainer != "" && o.App.APIContainer != s.APIContainer {
		return "", fmt.Errorf("roll: bookme-deploy.yaml's containers.api is %q, the backend stack's api_container_name output %q", o.App.APIContainer, s.APIContainer)
	}
	migration, err := o.migration(s.MigrateFamily)
	if err != nil {
		return "", err
	}
	out := p.Out
	if out == nil {
		out = io.Discard
	}
	eng := rollout.New(p.AWS, out, p.RolloutOptions...)
	plan := func(ctx context.Context) (*rollout.Plan, error) {
		files, err := runningEnvFiles(ctx, eng.ECS, s)
		if err != nil {
			return nil, err
		}
		in := rollout.Input{Cluster: s.Cluster, API: s.APIService, Workers: []string{s.WorkerService}, Container: s.APIContainer,
			Image: o.Image, GitSHA: o.GitSHA, Templates: s.Templates, EnvironmentFiles: files,
			Migration: migration,
			Settings:  o.Timeouts.withDefaults().Rollout}
		if o.MigrateOnly {
			in.Workers = nil
		}
		return eng.Plan(ctx, in)
	}
	if dryRun {
		pl, err := plan(ctx)
		if err != nil {
			return "", err
		}
		return "would take the deploy lock s3://" + s.StateBucket + "/" + LockKey(s.Env) + "\n" + pl.Text(), nil
	}
	return underLock(ctx, p.S3, s, lock.Info{Holder: Who(o.Who), GitSHA: o.GitSHA, RunURL: o.RunURL}, o.Timeouts, out,
		func(ctx context.Context) (string, error) {
			pl, err := plan(ctx) // planned under the lock: a deploy may have moved the services since
			if err != nil {
				return "", err
			}
			fmt.Fprint(out, pl.Text())
			if o.MigrateOnly {
				res, err := eng.Migrate(ctx, pl)
				if err != nil || res == nil {
					return "nothing to migrate: the services already run " + o.Image + "\n", err
				}
				return res.Text(), nil
			}
			res, err := eng.Apply(ctx, pl)
			if err != nil {
				return "", err
			}
			return res.Text(), nil
		})
}

// underLock runs fn holding the environment's deploy lock, and always releases it (with a context
// that outlives a cancelled fn).
func underLock(ctx context.Context, c *s3.Client, s Site, info lock.Info, t Timeouts, out io.Writer, fn func(context.Context) (string, error)) (string, error) {
	opts := LockOptions(s.Env, s.StateBucket, t)
	opts.Progress = out
	held, err := lock.Acquire(ctx, c, opts, info)
	if err != nil {
		return "", err
	}
	text, err := fn(ctx)
	if rerr := held.Release(context.WithoutCancel(ctx)); rerr != nil {
		err = errors.Join(err, fmt.Errorf("release the deploy lock: %w", rerr))
	}
	return text, err
}

// runningEnvFiles are the env files the API service's current revision reads: a roll keeps the
// running release's configuration (OpenTofu's templates name only the backend's default key).
func runningEnvFiles(ctx context.Context, c *ecs.Client, s Site) ([]ecstypes.EnvironmentFile, error) {
	svc, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(s.Cluster), Services: []string{s.APIService}})
	if err != nil || len(svc.Services) == 0 {
		return nil, fmt.Errorf("roll: read the service %s: %v", s.APIService, errOr(err, "not found"))
	}
	td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.Services[0].TaskDefinition})
	if err != nil {
		return nil, fmt.Errorf("roll: read the revision %s runs: %w", s.APIService, err)
	}
	for _, cd := range td.TaskDefinition.ContainerDefinitions {
		if s.APIContainer == "" || aws.ToString(cd.Name) == s.APIContainer {
			return append([]ecstypes.EnvironmentFile{}, cd.EnvironmentFiles...), nil
		}
	}
	return nil, fmt.Errorf("roll: %s's revision has no container %q", s.APIService, s.APIContainer)
}

func errOr(err error, s string) any {
	if err != nil {
		return err
	}
	return s
}

// Unlock shows who holds an environment's deploy lock; with force it removes it; with runURL it removes
// it only when that CI run holds it (another holder's lock is left, and said so, without an error),
// after the OpenTofu state locks that run took (a run killed while OpenTofu ran leaves them, and the
// next plan or apply of the stack would wait for them and fail).
func Unlock(ctx context.Context, c *s3.Client, env, stateBucket string, force bool, runURL string) (string, error) {
	if strings.TrimSpace(env) == "" {
		return "", fmt.Errorf("no environment: give --env (before the function name)")
	}
	opts := LockOptions(env, stateBucket, Timeouts{})
	switch {
	case force && runURL != "":
		return "", fmt.Errorf("unlock: give --force (whoever holds the lock) or --run-url (only that run's lock), not both")
	case runURL != "":
		return unlockRun(ctx, c, opts, env, runURL)
	case !force:
		st, err := lock.Inspect(ctx, c, opts)
		if err != nil {
			return "", err
		}
		return st.Text(), nil
	}
	held, found, err := lock.ForceUnlock(ctx, c, opts)
	return removedLock(held, found), err
}

// unlockRun releases what a CI run left, once the run has stopped renewing its deploy lock (a run
// that still renews it is running: unlock refuses and changes nothing). While its deploy lock still
// holds every other deploy off, it removes the OpenTofu locks of the environment taken while the run
// held it (from its start to its expiry: a deploy that took the lock over after it lapsed has locks
// of its own, which are not touched), then the deploy lock itself.
func unlockRun(ctx context.Context, c *s3.Client, opts lock.Options, env, runURL string) (string, error) {
	st, nothing, err := deadRunsLock(ctx, c, "unlock", env, opts.Bucket, runURL)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if nothing == "" { // the run holds the lock: unless it still renews it
		dead, gone, err := runIsDead(ctx, c, opts, "unlock", runURL, *st.Holder)
		if err != nil || gone != "" {
			return gone, err
		}
		b.WriteString(dead)
		said, err := removeRunsTofuLocks(ctx, c, opts.Bucket, env, *st.Holder, false)
		b.WriteString(said)
		if err != nil {
			return b.String(), err
		}
	}
	held, found, err := lock.UnlockRun(ctx, c, opts, runURL)
	if errors.Is(err, lock.ErrHeldByAnotherRun) {
		return b.String() + err.Error() + "\n", nil // a later run's deploy: nothing of this run's to release
	}
	return b.String() + removedLock(held, found), err
}

// removeRunsTofuLocks removes the OpenTofu state locks of env taken while the run held the deploy
// lock held (from its start to its expiry); dryRun only names them.
func removeRunsTofuLocks(ctx context.Context, c *s3.Client, bucket, env string, held lock.Info, dryRun bool) (string, error) {
	until := held.Expires
	if until.IsZero() {
		until = time.Now()
	}
	all, err := tofulock.List(ctx, c, bucket, env)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, l := range tofulock.Between(all, held.Started, until) {
		if dryRun {
			fmt.Fprintf(&b, "would remove OpenTofu's lock on %s, left by this run\n", l.Describe())
			continue
		}
		removed, err := tofulock.Remove(ctx, c, l)
		if err != nil {
			return b.String(), err
		}
		if removed {
			fmt.Fprintf(&b, "removed OpenTofu's lock on %s, left by this run\n", l.Describe())
		}
	}
	return b.String(), nil
}

func removedLock(held lock.Info, found bool) string {
	if !found {
		return "no lock was held\n"
	}
	return "removed the lock of " + held.Describe(time.Now()) + "\n"
}
