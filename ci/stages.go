package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"bookme-deploy/core/cdn"
	"bookme-deploy/core/lock"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"

	"dagger/bookme/internal/dagger"
)

// The stages of a deploy as functions of their own, for operators: each takes the names it acts on
// explicitly (from `tofu output`) and has a --dry-run form that prints exactly what it would do.

func stageAccess(ctx context.Context, region string, keyID, secret, token *dagger.Secret) (*deployment, error) {
	return stageWith(ctx, awsAccess{Region: region, AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token})
}

func stageWith(ctx context.Context, access awsAccess) (*deployment, error) {
	runID := newRunID()
	access, err := access.resolve(ctx, runID)
	if err != nil {
		return nil, err
	}
	cfg, err := access.config(ctx)
	if err != nil {
		return nil, err
	}
	return &deployment{access: access, cfg: cfg, s3: newS3(cfg, false), out: os.Stderr, runID: runID}, nil
}

// UploadClient releases a built SPA bundle to its S3 bucket: by content, immutable hashed assets,
// HTML last, stale files pruned after the previous releases. --dry-run prints the plan only.
//
// +cache="never"
func (m *Bookme) UploadClient(
	ctx context.Context,
	// The built bundle (e.g. from build-client).
	bundle *dagger.Directory,
	// The client bucket (frontend output client_bucket).
	bucket string,
	// AWS region.
	region string,
	// AWS access key id.
	awsAccessKeyId *dagger.Secret,
	// AWS secret access key.
	awsSecretAccessKey *dagger.Secret,
	// AWS session token.
	// +optional
	awsSessionToken *dagger.Secret,
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
	d, err := stageAccess(ctx, region, awsAccessKeyId, awsSecretAccessKey, awsSessionToken)
	if err != nil {
		return "", err
	}
	dir, err := scratchDir("upload-")
	if err != nil {
		return "", err
	}
	if _, err := bundle.Export(ctx, dir); err != nil {
		return "", err
	}
	plan, err := release.PlanRelease(ctx, release.Input{Client: d.s3, Bucket: bucket, Dir: dir,
		ReleaseID: releaseId, KeepReleases: keepReleases, Progress: d.out})
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

// Invalidate invalidates paths of a CloudFront distribution (collapsed to /* above the threshold)
// and waits for completion. --dry-run prints the paths only.
//
// +cache="never"
func (m *Bookme) Invalidate(
	ctx context.Context,
	// The distribution (frontend output distribution_id).
	distributionId string,
	// Bundle-relative paths that changed, e.g. index.html (upload-client prints them).
	paths []string,
	// AWS region.
	region string,
	// AWS access key id.
	awsAccessKeyId *dagger.Secret,
	// AWS secret access key.
	awsSecretAccessKey *dagger.Secret,
	// AWS session token.
	// +optional
	awsSessionToken *dagger.Secret,
	// Print the plan; send nothing.
	// +optional
	dryRun bool,
) (string, error) {
	d, err := stageAccess(ctx, region, awsAccessKeyId, awsSecretAccessKey, awsSessionToken)
	if err != nil {
		return "", err
	}
	cf := cloudfront.NewFromConfig(d.cfg)
	plan, err := cdn.PlanInvalidation(ctx, cdn.Input{Client: cf, DistributionID: distributionId,
		ChangedPaths: paths, CallerReference: d.runID, Progress: d.out})
	if err != nil {
		return "", err
	}
	if dryRun {
		return plan.Text(), nil
	}
	res, err := cdn.Apply(ctx, plan)
	if err != nil {
		return "", err
	}
	if res.InvalidationID == "" {
		return res.Text(), nil
	}
	status, err := cdn.Wait(ctx, cdn.WaitInput{Client: cf, DistributionID: distributionId,
		InvalidationID: res.InvalidationID, Timeout: 20 * time.Minute, Interval: 10 * time.Second, Progress: d.out})
	if err != nil {
		return "", err
	}
	return res.Text() + "status: " + status + "\n", nil
}

// Roll registers new task-definition revisions (image by digest, nothing else changed), runs the
// migration task first, then rolls the API and worker services, rolling every one back on failure.
// --dry-run prints the task-definition diffs and the steps.
//
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
	// AWS region.
	region string,
	// AWS access key id.
	awsAccessKeyId *dagger.Secret,
	// AWS secret access key.
	awsSecretAccessKey *dagger.Secret,
	// AWS session token.
	// +optional
	awsSessionToken *dagger.Secret,
	// Print the plan; register and roll nothing.
	// +optional
	dryRun bool,
) (string, error) {
	d, err := stageAccess(ctx, region, awsAccessKeyId, awsSecretAccessKey, awsSessionToken)
	if err != nil {
		return "", err
	}
	eng := rollout.New(d.cfg, d.out)
	plan, err := eng.Plan(ctx, rollout.Input{Cluster: cluster, API: apiService, Workers: workerServices,
		Container: container, Image: image, GitSHA: gitSha,
		Migration: rollout.Migration{Family: migrateFamily, Skip: skipMigration}})
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

// Rollback returns services to their previous task-definition revision (or the given ones) and waits.
//
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
	// AWS region.
	region string,
	// AWS access key id.
	awsAccessKeyId *dagger.Secret,
	// AWS secret access key.
	awsSecretAccessKey *dagger.Secret,
	// AWS session token.
	// +optional
	awsSessionToken *dagger.Secret,
	// Print the plan only.
	// +optional
	dryRun bool,
) (string, error) {
	d, err := stageAccess(ctx, region, awsAccessKeyId, awsSecretAccessKey, awsSessionToken)
	if err != nil {
		return "", err
	}
	targets := map[string]string{}
	for _, t := range to {
		svc, rev, ok := strings.Cut(t, "=")
		if !ok {
			return "", fmt.Errorf("--to %q: want service=family:revision", t)
		}
		targets[svc] = rev
	}
	eng := rollout.New(d.cfg, d.out)
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

// PublishApi builds the API image for a commit and pushes it to ECR by digest — or, when the commit's
// tag is already there, reuses it and pushes nothing. Returns repo@sha256:…. --dry-run prints the plan.
//
// +cache="never"
func (m *Bookme) PublishApi(
	ctx context.Context,
	// The repository (the API is examples/bookme/api; its .git gives the commit).
	// +defaultPath="/"
	// +ignore=["**/node_modules", "**/dist", "**/.terraform", "**/__pycache__"]
	source *dagger.Directory,
	// ECR repository name (base output ecr_repository_name).
	repository string,
	// AWS region.
	region string,
	// AWS access key id (e.g. env:AWS_ACCESS_KEY_ID); or give --aws-credentials-file.
	// +optional
	awsAccessKeyId *dagger.Secret,
	// AWS secret access key.
	// +optional
	awsSecretAccessKey *dagger.Secret,
	// AWS session token (temporary/OIDC credentials).
	// +optional
	awsSessionToken *dagger.Secret,
	// A shared credentials file (e.g. file:$HOME/.aws/credentials), read for --aws-profile when no
	// access key is given.
	// +optional
	awsCredentialsFile *dagger.Secret,
	// Profile in --aws-credentials-file.
	// +default="default"
	awsProfile string,
	// An OIDC token (e.g. env:CI_JOB_JWT_V2) to exchange for --aws-role-arn's temporary credentials.
	// +optional
	awsWebIdentityToken *dagger.Secret,
	// The role to assume with --aws-web-identity-token.
	// +optional
	awsRoleArn string,
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
	// Repository URL for the org.opencontainers.image.source label (e.g. https://github.com/owner/repo).
	// +optional
	sourceUrl string,
	// Print the plan only.
	// +optional
	dryRun bool,
) (string, error) {
	d, err := stageWith(ctx, awsAccess{Region: region, AccessKeyID: awsAccessKeyId, SecretAccessKey: awsSecretAccessKey,
		SessionToken: awsSessionToken, CredentialsFile: awsCredentialsFile, Profile: awsProfile,
		WebIdentityToken: awsWebIdentityToken, RoleARN: awsRoleArn})
	if err != nil {
		return "", err
	}
	head, dirty, err := gitState(ctx, source)
	if err != nil && gitSha == "" {
		return "", err
	}
	if gitSha == "" {
		gitSha = head
	}
	if len(dirty) > 0 && !allowDirty {
		return "", fmt.Errorf("the working tree has uncommitted changes (%s); commit them or pass --allow-dirty", strings.Join(dirty, ", "))
	}
	d.gitSHA, d.repo, d.api, d.fullSHATag = gitSha, source, source.Directory("examples/bookme/api"), fullShaTag
	if dryRun {
		dockerfile, err := d.api.File("Dockerfile").Contents(ctx)
		if err != nil {
			return "", err
		}
		plan, err := registry.PlanPublish(ctx, newECR(d.cfg), registry.PublishInput{Repository: repository, GitSHA: gitSha, LongTag: fullShaTag, Dockerfile: []byte(dockerfile)})
		if err != nil {
			return "", err
		}
		return plan.Text(), nil
	}
	ref, _, detail, err := ecrPublisher{arm64: arm64, sourceURL: sourceUrl}.publish(ctx, d, repository)
	if err != nil {
		return "", err
	}
	fmt.Fprintln(d.out, detail)
	return ref, nil
}

// Unlock shows who holds an environment's deploy lock; with --force it removes it (after a crashed
// deploy). The lock is deploy/<env>/lock.json in the OpenTofu state bucket.
//
// +cache="never"
func (m *Bookme) Unlock(
	ctx context.Context,
	// Environment.
	env string,
	// OpenTofu state bucket.
	stateBucket string,
	// AWS region.
	region string,
	// AWS access key id.
	awsAccessKeyId *dagger.Secret,
	// AWS secret access key.
	awsSecretAccessKey *dagger.Secret,
	// AWS session token.
	// +optional
	awsSessionToken *dagger.Secret,
	// Remove the lock whoever holds it.
	// +optional
	force bool,
) (string, error) {
	d, err := stageAccess(ctx, region, awsAccessKeyId, awsSecretAccessKey, awsSessionToken)
	if err != nil {
		return "", err
	}
	d.env, d.tofu.stateBucket = env, stateBucket
	opts := d.lockOptions()
	if !force {
		st, err := lock.Inspect(ctx, d.s3, opts)
		if err != nil {
			return "", err
		}
		return st.Text(), nil
	}
	held, found, err := lock.ForceUnlock(ctx, d.s3, opts)
	if err != nil {
		return "", err
	}
	if !found {
		return "no lock was held\n", nil
	}
	return "removed the lock of " + held.Describe(time.Now()) + "\n", nil
}

// Migrate registers the new revision(s) for an image and runs only the migration task (command
// override, the API service's subnets and security groups), gating on its exit code; no service is
// touched. --dry-run prints the task-definition diff and the task it would run.
//
// +cache="never"
func (m *Bookme) Migrate(
	ctx context.Context,
	// ECS cluster.
	cluster string,
	// API service (its network configuration is used for the task).
	apiService string,
	// Name of the application container.
	container string,
	// New image by digest: repo@sha256:….
	image string,
	// Commit recorded in the revisions' tags.
	gitSha string,
	// Migration task family; empty: the API's new revision.
	// +optional
	migrateFamily string,
	// Command override; default: migrate --noinput, then collectstatic --noinput.
	// +optional
	command []string,
	// AWS region.
	region string,
	// AWS access key id.
	awsAccessKeyId *dagger.Secret,
	// AWS secret access key.
	awsSecretAccessKey *dagger.Secret,
	// AWS session token.
	// +optional
	awsSessionToken *dagger.Secret,
	// Print the plan only.
	// +optional
	dryRun bool,
) (string, error) {
	d, err := stageAccess(ctx, region, awsAccessKeyId, awsSecretAccessKey, awsSessionToken)
	if err != nil {
		return "", err
	}
	eng := rollout.New(d.cfg, d.out)
	plan, err := eng.Plan(ctx, rollout.Input{Cluster: cluster, API: apiService, Container: container, Image: image,
		GitSHA: gitSha, Migration: rollout.Migration{Family: migrateFamily, Command: command}})
	if err != nil {
		return "", err
	}
	if dryRun {
		return plan.Text(), nil
	}
	res, err := eng.Migrate(ctx, plan) // registers the revisions (idempotently) first
	if err != nil {
		return "", err
	}
	if res == nil {
		return "nothing to migrate: the services already run " + image + "\n", nil
	}
	return res.Text(), nil
}
