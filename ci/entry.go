package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"bookme-deploy/core/planfile"

	"dagger/bookme/internal/dagger"
)

// Deploy ships the commit to the environment: lock → OpenTofu base → image (by digest), env file and
// OpenTofu frontend → OpenTofu backend → migrate → roll API + worker; client bundle → SPA release →
// CloudFront invalidation; smoke checks → unlock → deploy record. It stops at the first failure (later
// steps do not run), always releases the lock and writes the record, and returns the Markdown summary
// (also appended to $GITHUB_STEP_SUMMARY when that is set where the module runs).
//
// +cache="never"
func (m *Bookme) Deploy(
	ctx context.Context,
	// The repository.
	// +defaultPath="/"
	// +ignore=["**/node_modules", "**/dist", "**/.terraform", "**/__pycache__", "**/*.tfstate*", "**/.terraform.lock.hcl"]
	source *dagger.Directory,
	// Environment: infra/environments/<env>.tfvars.
	env string,
	// AWS region of the environment.
	region string,
	// AWS access key id (e.g. env:AWS_ACCESS_KEY_ID); or give --aws-credentials-file.
	// +optional
	awsAccessKeyId *dagger.Secret,
	// AWS secret access key (e.g. env:AWS_SECRET_ACCESS_KEY).
	// +optional
	awsSecretAccessKey *dagger.Secret,
	// AWS session token of temporary (OIDC) credentials (e.g. env:AWS_SESSION_TOKEN).
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
	// OpenTofu state bucket (infra/bootstrap); default: book-me-tofu-state-<account id>.
	// +optional
	stateBucket string,
	// OpenTofu state and plan encryption configuration (TF_ENCRYPTION), see infra/README.md.
	// +optional
	stateEncryption *dagger.Secret,
	// ElastiCache Redis AUTH token (the base stack's redis_auth_token).
	// +optional
	redisAuthToken *dagger.Secret,
	// OpenTofu provider mirror (filesystem_mirror layout) for runners without the provider registry.
	// +optional
	providerMirror *dagger.Directory,
	// Commit to deploy; default: the source's HEAD.
	// +optional
	gitSha string,
	// Deploy from a working tree with uncommitted changes (the image tag would not describe it).
	// +optional
	allowDirty bool,
	// Also build linux/arm64 (Graviton Fargate) into one multi-arch image.
	// +optional
	arm64 bool,
	// Tag the image with the full 40-digit commit id instead of its first 12 digits.
	// +optional
	fullShaTag bool,
	// Repository URL for the image's org.opencontainers.image.source label.
	// +optional
	sourceUrl string,
	// Who deploys (recorded in the lock and the deploy record); default: $GITHUB_ACTOR or "local".
	// +optional
	who string,
	// Link to the CI run, recorded in the lock and the record.
	// +optional
	runUrl string,
	// How long to wait for another deploy's lock.
	// +default="10m"
	lockTimeout string,
	// A plan saved with `plan --format json`: deploy exactly that, and refuse (before changing
	// anything) when any part drifted since — another commit, a changed OpenTofu state, another
	// image, env file or bundle.
	// +optional
	planFile *dagger.File,
	// Run only these stages: tofu-base, tofu-frontend, image, env-file, tofu-backend, migrate-and-roll,
	// release (build, upload, invalidate), smoke. A stage left out is read when a selected one needs
	// it (stack outputs; the commit's image must already be in ECR). Default: all.
	// +optional
	stages []string,
) (string, error) {
	if len(stages) > 0 && planFile != nil {
		return "", fmt.Errorf("--stages and --plan-file cannot be combined: a plan file covers the whole deploy")
	}
	var planned *planfile.File
	if planFile != nil {
		data, err := planFile.Contents(ctx)
		if err != nil {
			return "", fmt.Errorf("--plan-file: %w", err)
		}
		if planned, err = planfile.Parse([]byte(data)); err != nil {
			return "", err
		}
	}
	d, err := m.realDeployment(ctx, source, env, region, awsAccess{AccessKeyID: awsAccessKeyId, SecretAccessKey: awsSecretAccessKey,
		SessionToken: awsSessionToken, CredentialsFile: awsCredentialsFile, Profile: awsProfile,
		WebIdentityToken: awsWebIdentityToken, RoleARN: awsRoleArn},
		stateBucket, stateEncryption, redisAuthToken, providerMirror, gitSha, allowDirty, who, runUrl, lockTimeout)
	if err != nil {
		return "", err
	}
	d.publish = ecrPublisher{arm64: arm64, sourceURL: sourceUrl}
	d.fullSHATag, d.only = fullShaTag, stages
	if planned != nil {
		// The same (already resolved) access and state bucket as the deploy itself.
		check, err := m.realDeployment(ctx, source, env, region, d.access, d.tofu.stateBucket,
			stateEncryption, redisAuthToken, providerMirror, d.gitSHA, true, "plan", "", "0s")
		if err != nil {
			return "", err
		}
		check.fullSHATag = fullShaTag
		if err := preflight(ctx, check, planned); err != nil {
			return "", err
		}
		d.planned = planned
	}
	rep, err := d.run(ctx)
	summary := d.rec.Markdown() + "\n```\n" + rep.Text() + "```\n"
	if err != nil {
		return "", fmt.Errorf("deploy failed: %w\n\n%s", err, summary)
	}
	return summary, nil
}

// Plan shows, without changing anything, what `deploy` would do with the same arguments: the three
// `tofu plan`s, the image to build or reuse, the env file's key diff (names only), the S3 uploads and
// deletes, the invalidation paths and the task-definition diffs.
//
// +cache="never"
func (m *Bookme) Plan(
	ctx context.Context,
	// The repository.
	// +defaultPath="/"
	// +ignore=["**/node_modules", "**/dist", "**/.terraform", "**/__pycache__", "**/*.tfstate*", "**/.terraform.lock.hcl"]
	source *dagger.Directory,
	// Environment: infra/environments/<env>.tfvars.
	env string,
	// AWS region of the environment.
	region string,
	// AWS access key id (e.g. env:AWS_ACCESS_KEY_ID); read-only permissions suffice; or give --aws-credentials-file.
	// +optional
	awsAccessKeyId *dagger.Secret,
	// AWS secret access key.
	// +optional
	awsSecretAccessKey *dagger.Secret,
	// AWS session token of temporary (OIDC) credentials.
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
	// OpenTofu state bucket; default: book-me-tofu-state-<account id>.
	// +optional
	stateBucket string,
	// OpenTofu state and plan encryption configuration (TF_ENCRYPTION).
	// +optional
	stateEncryption *dagger.Secret,
	// ElastiCache Redis AUTH token (the base stack's redis_auth_token).
	// +optional
	redisAuthToken *dagger.Secret,
	// OpenTofu provider mirror (filesystem_mirror layout).
	// +optional
	providerMirror *dagger.Directory,
	// Commit to plan; default: the source's HEAD.
	// +optional
	gitSha string,
	// Plan the image tag as the full 40-digit commit id (as deploy --full-sha-tag).
	// +optional
	fullShaTag bool,
	// Fail (non-zero) when OpenTofu would change anything: drift detection.
	// +optional
	detailedExitcode bool,
	// markdown (for people and PR comments) or json: the plan file `deploy --plan-file` takes
	// (write it with `-o plan.json`).
	// +default="markdown"
	format string,
) (string, error) {
	if format != "markdown" && format != "json" {
		return "", fmt.Errorf("--format %q: want markdown or json", format)
	}
	d, err := m.realDeployment(ctx, source, env, region, awsAccess{AccessKeyID: awsAccessKeyId, SecretAccessKey: awsSecretAccessKey,
		SessionToken: awsSessionToken, CredentialsFile: awsCredentialsFile, Profile: awsProfile,
		WebIdentityToken: awsWebIdentityToken, RoleARN: awsRoleArn},
		stateBucket, stateEncryption, redisAuthToken, providerMirror, gitSha, true, "plan", "", "0s")
	if err != nil {
		return "", err
	}
	d.planOnly = true
	d.fullSHATag = fullShaTag
	rep := runPlan(ctx, d)
	text := fmt.Sprintf("## Plan for %s (commit %s)\n\n%s```\n%s```\n", env, short(d.gitSHA), d.planText(), rep.Text())
	if err := rep.Err(); err != nil {
		return "", fmt.Errorf("plan failed: %w\n\n%s", err, text)
	}
	if detailedExitcode && d.stats.TofuResourceChange > 0 {
		return "", fmt.Errorf("drift: OpenTofu would change %d resources\n\n%s", d.stats.TofuResourceChange, text)
	}
	if format == "json" {
		d.prints.Text = text
		data, err := d.prints.JSON()
		if err != nil {
			return "", err
		}
		return string(data) + "\n", nil
	}
	return text, nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// realDeployment checks the arguments and builds a deployment against a real account.
func (m *Bookme) realDeployment(ctx context.Context, source *dagger.Directory, env, region string,
	access awsAccess, stateBucket string, encryption, redisToken *dagger.Secret,
	mirror *dagger.Directory, gitSha string, allowDirty bool, who, runURL, lockTimeout string) (*deployment, error) {
	if strings.TrimSpace(env) == "" || strings.TrimSpace(region) == "" {
		return nil, fmt.Errorf("--env and --region are required")
	}
	wait, err := time.ParseDuration(lockTimeout)
	if err != nil {
		return nil, fmt.Errorf("--lock-timeout %q: %v", lockTimeout, err)
	}
	if gitSha == "" || !allowDirty {
		head, dirty, err := gitState(ctx, source)
		if err != nil {
			return nil, err
		}
		if gitSha == "" {
			gitSha = head
		}
		if len(dirty) > 0 && !allowDirty {
			return nil, fmt.Errorf("the working tree has uncommitted changes (%s); commit them or pass --allow-dirty (the image tag would not describe what is deployed)", strings.Join(dirty, ", "))
		}
	}
	access.Region = region
	runID := newRunID()
	access, err = access.resolve(ctx, runID)
	if err != nil {
		return nil, err
	}
	cfg, err := access.config(ctx)
	if err != nil {
		return nil, err
	}
	if stateBucket == "" {
		account, err := accountID(ctx, cfg)
		if err != nil {
			return nil, err
		}
		stateBucket = "book-me-tofu-state-" + account
	}
	if who == "" {
		who = os.Getenv("GITHUB_ACTOR")
	}
	if who == "" {
		who = "local"
	}
	secretVars := map[string]*dagger.Secret{}
	if redisToken != nil {
		secretVars["redis_auth_token"] = redisToken
	}
	return &deployment{
		env: env, gitSHA: gitSha, who: who, runURL: runURL, runID: runID, access: access, cfg: cfg,
		s3: newS3(cfg, false),
		tofu: tofu{access: access, infra: source.Directory("infra"), mirror: mirror, env: env, stateBucket: stateBucket,
			encryption: encryption, secretVars: secretVars, runID: runID},
		repo: source, api: source.Directory("examples/bookme/api"), client: source.Directory("examples/bookme/frontend"),
		out: os.Stderr, lockWait: wait,
	}, nil
}

// preflight plans everything again, read-only, and refuses when any part differs from the reviewed
// plan: then nothing has been changed (not even the lock taken).
func preflight(ctx context.Context, check *deployment, planned *planfile.File) error {
	if err := planned.CheckTarget(check.env, check.gitSHA); err != nil {
		return err
	}
	check.planOnly = true
	rep := runPlan(ctx, check)
	if err := rep.Err(); err != nil {
		return fmt.Errorf("--plan-file: planning again to compare failed (nothing was changed): %w\n%s", err, rep.Text())
	}
	if check.prints == nil {
		return fmt.Errorf("--plan-file: planning again produced no fingerprints (nothing was changed)")
	}
	if err := planned.Compare(check.prints).Err(); err != nil {
		return fmt.Errorf("--plan-file: %w. Nothing was changed", err)
	}
	fmt.Fprintf(check.out, "plan file: every part matches the reviewed plan (%s)\n", strings.Join(planfile.Parts, ", "))
	return nil
}
