package deploy

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/cdn"
	"bookme-deploy/core/lock"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
)

// The operator verbs: one stage of a deploy each, on names given explicitly (from `tofu output`),
// each with a dry-run form that prints exactly what it would do.

// UploadClient releases a built bundle to its bucket (release.Input names it); dryRun prints the plan.
func UploadClient(ctx context.Context, in release.Input, dryRun bool) (string, error) {
	plan, err := release.PlanRelease(ctx, in)
	if err != nil {
		return "", err
	}
	if dryRun {
		return plan.Text(), nil
	}
	res, err := release.Apply(ctx, plan)
	if err != nil {
		return "", err
	}
	return res.Text() + "changed paths: " + strings.Join(res.ChangedPaths, " ") + "\n", nil
}

// Invalidate invalidates paths of a distribution (collapsed to /* above the threshold) and waits.
func Invalidate(ctx context.Context, cfg aws.Config, distributionID string, paths []string, t Timeouts, dryRun bool, out io.Writer) (string, error) {
	t = t.withDefaults()
	cf := cloudfront.NewFromConfig(cfg)
	plan, err := cdn.PlanInvalidation(ctx, cdn.Input{Client: cf, DistributionID: distributionID,
		ChangedPaths: paths, CallerReference: NewRunID(), Progress: out})
	if err != nil {
		return "", err
	}
	if dryRun {
		return plan.Text(), nil
	}
	res, err := cdn.Apply(ctx, plan)
	if err != nil || res.InvalidationID == "" {
		return textOf(res, err)
	}
	status, err := cdn.Wait(ctx, cdn.WaitInput{Client: cf, DistributionID: distributionID,
		InvalidationID: res.InvalidationID, Timeout: t.Invalidation, Interval: t.InvalidationPoll, Progress: out})
	if err != nil {
		return "", err
	}
	return res.Text() + "status: " + status + "\n", nil
}

func textOf(r *cdn.Result, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return r.Text(), nil
}

// Roll registers new revisions (image by digest), runs the migration, rolls the services, rolling
// every one back on failure.
func Roll(ctx context.Context, eng *rollout.Engine, in rollout.Input, dryRun bool) (string, error) {
	plan, err := eng.Plan(ctx, in)
	if err != nil {
		return "", err
	}
	if dryRun {
		return plan.Text(), nil
	}
	res, err := eng.Apply(ctx, plan)
	if err != nil {
		return "", err
	}
	return res.Text(), nil
}

// Migrate registers the revisions and runs only the migration task; no service is touched.
func Migrate(ctx context.Context, eng *rollout.Engine, in rollout.Input, dryRun bool) (string, error) {
	plan, err := eng.Plan(ctx, in)
	if err != nil {
		return "", err
	}
	if dryRun {
		return plan.Text(), nil
	}
	res, err := eng.Migrate(ctx, plan)
	if err != nil {
		return "", err
	}
	if res == nil {
		return "nothing to migrate: the services already run " + in.Image + "\n", nil
	}
	return res.Text(), nil
}

// RollbackTargets parses --to service=family:revision arguments.
func RollbackTargets(to []string) (map[string]string, error) {
	targets := map[string]string{}
	for _, t := range to {
		svc, rev, ok := strings.Cut(t, "=")
		if !ok || svc == "" || rev == "" {
			return nil, fmt.Errorf("--to %q: want service=family:revision", t)
		}
		targets[svc] = rev
	}
	return targets, nil
}

// Rollback returns services to their previous revision (or the given ones) and waits.
func Rollback(ctx context.Context, eng *rollout.Engine, cluster string, services, to []string, dryRun bool) (string, error) {
	targets, err := RollbackTargets(to)
	if err != nil {
		return "", err
	}
	plan, err := eng.PlanRollback(ctx, rollout.RollbackInput{Cluster: cluster, Services: services, To: targets})
	if err != nil {
		return "", err
	}
	if dryRun {
		return plan.Text(), nil
	}
	res, err := eng.Rollback(ctx, plan)
	if err != nil {
		return "", err
	}
	return res.Text(), nil
}

// Unlock shows who holds an environment's deploy lock; with force it removes it.
func Unlock(ctx context.Context, c *s3.Client, env, stateBucket string, force bool) (string, error) {
	if strings.TrimSpace(env) == "" {
		return "", fmt.Errorf("no environment: give --env (before the function name)")
	}
	opts := LockOptions(env, stateBucket, Timeouts{})
	if !force {
		st, err := lock.Inspect(ctx, c, opts)
		if err != nil {
			return "", err
		}
		return st.Text(), nil
	}
	held, found, err := lock.ForceUnlock(ctx, c, opts)
	if err != nil {
		return "", err
	}
	if !found {
		return "no lock was held\n", nil
	}
	return "removed the lock of " + held.Describe(time.Now()) + "\n", nil
}
