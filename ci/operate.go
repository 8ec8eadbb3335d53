package main

import (
	"context"
	"fmt"
	"os"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/deploy"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"

	"dagger/bookme/internal/dagger"
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
	sha, err := m.commit(ctx, gitSha, allowDirty)
	if err != nil {
		return "", err
	}
	a, err := m.connect(ctx, awsconf.Options{})
	if err != nil {
		return "", err
	}
	pub := deploy.Publish{AWS: a.cfg, Source: sourceFiles{dir: m.Source}, APIDir: deploy.DefaultLayout.APIDir,
		Repository: repository, GitSHA: sha, FullSHATag: fullShaTag,
		Images: engineImages{m: m, gitSHA: sha, sourceURL: sourceUrl, arm64: arm64}}
	plan, err := pub.Plan(ctx)
	if err != nil {
		return "", err
	}
	if dryRun {
		return plan.Text(), nil
	}
	ref, _, err := pub.Apply(ctx, plan)
	return ref, err
}

// UploadClient releases a built SPA bundle to its S3 bucket: by content, immutable hashed assets,
// HTML last, stale files pruned after the previous releases.
// +cache="never"
func (m *Bookme) UploadClient(
	ctx context.Context,
	// The built bundle (e.g. from build-client).
	bundle *dagger.Directory,
	// The client bucket (frontend output client_bucket).
	bucket string,
	// Release id recorded in the bucket's release manifest (e.g. the git SHA).
	// +default="manual"
	releaseId string,
	// How many previous releases' assets to keep.
	// +default=2
	keepReleases int,
	// Print the plan; write nothing.
	// +optional
	dryRun bool,
) (string, error) {
	a, err := m.connect(ctx, awsconf.Options{})
	if err != nil {
		return "", err
	}
	dir, err := exportDir(ctx, bundle, "upload-")
	if err != nil {
		return "", err
	}
	return deploy.UploadClient(ctx, release.Input{Client: a.s3, Bucket: bucket, Dir: dir, ReleaseID: releaseId,
		KeepReleases: keepReleases, Progress: os.Stderr}, dryRun)
}

// Invalidate invalidates paths of a CloudFront distribution (collapsed to /* above the threshold)
// and waits for completion.
// +cache="never"
func (m *Bookme) Invalidate(
	ctx context.Context,
	// The distribution (frontend output distribution_id).
	distributionId string,
	// Bundle-relative paths that changed, e.g. index.html (upload-client prints them).
	paths []string,
	// Print the paths only.
	// +optional
	dryRun bool,
) (string, error) {
	a, err := m.connect(ctx, awsconf.Options{})
	if err != nil {
		return "", err
	}
	return deploy.Invalidate(ctx, a.cfg, distributionId, paths, deploy.Timeouts{}, dryRun, os.Stderr)
}

// Roll registers new task-definition revisions (image by digest, nothing else changed), runs the
// migration task first, then rolls the API and worker services, rolling every one back on failure.
// With --migrate-only it runs only the migration (gating on its exit code); no service is touched.
// +cache="never"
func (m *Bookme) Roll(
	ctx context.Context,
	// ECS cluster (backend output cluster_name).
	cluster string,
	// API service.
	apiService string,
	// Celery worker services.
	workerServices []string,
	// Name of the application container in every service's task definition.
	container string,
	// New image by digest: repo@sha256:….
	image string,
	// Commit recorded in the revisions' tags.
	gitSha string,
	// Migration task family; empty: the API's new revision runs the migration.
	// +optional
	migrateFamily string,
	// Skip the migration task.
	// +optional
	skipMigration bool,
	// Run only the migration task (the API service's network); roll nothing.
	// +optional
	migrateOnly bool,
	// Migration command override; default: migrate --noinput, then collectstatic --noinput.
	// +optional
	command []string,
	// Print the plan; register and roll nothing.
	// +optional
	dryRun bool,
) (string, error) {
	eng, err := m.ecs(ctx)
	if err != nil {
		return "", err
	}
	in := rollout.Input{Cluster: cluster, API: apiService, Workers: workerServices, Container: container, Image: image,
		GitSHA: gitSha, Migration: rollout.Migration{Family: migrateFamily, Skip: skipMigration, Command: command}}
	if migrateOnly {
		if skipMigration {
			return "", fmt.Errorf("--migrate-only and --skip-migration contradict each other")
		}
		in.Workers = nil
		return deploy.Migrate(ctx, eng, in, dryRun)
	}
	return deploy.Roll(ctx, eng, in, dryRun)
}

// Rollback returns services to their previous task-definition revision (or the given ones) and waits.
// +cache="never"
func (m *Bookme) Rollback(
	ctx context.Context,
	// ECS cluster.
	cluster string,
	// Services to roll back.
	services []string,
	// Target revisions as service=family:revision; a service not named returns to the revision before its current one.
	// +optional
	to []string,
	// Print the plan only.
	// +optional
	dryRun bool,
) (string, error) {
	eng, err := m.ecs(ctx)
	if err != nil {
		return "", err
	}
	return deploy.Rollback(ctx, eng, cluster, services, to, dryRun)
}

// Unlock shows who holds the environment's deploy lock (deploy/<env>/lock.json in the state
// bucket); with --force it removes it (after a crashed deploy).
// +cache="never"
func (m *Bookme) Unlock(
	ctx context.Context,
	// Remove the lock whoever holds it.
	// +optional
	force bool,
) (string, error) {
	a, err := m.connect(ctx, awsconf.Options{})
	if err != nil {
		return "", err
	}
	bucket, err := m.stateBucket(ctx, a)
	if err != nil {
		return "", err
	}
	return deploy.Unlock(ctx, a.s3, m.Env, bucket, force)
}

func (m *Bookme) ecs(ctx context.Context) (*rollout.Engine, error) {
	a, err := m.connect(ctx, awsconf.Options{})
	if err != nil {
		return nil, err
	}
	return rollout.New(a.cfg, os.Stderr), nil
}
