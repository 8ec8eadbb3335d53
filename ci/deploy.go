package main

import (
	"context"
	"fmt"
	"time"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/planfile"

	"dagger/bookme/internal/dagger"
)

// Deploy ships the commit to the environment: lock → OpenTofu base → image (by digest), env file and
// OpenTofu frontend → OpenTofu backend → DB bootstrap, migration, roll of API and worker; client
// bundle → SPA release → CloudFront invalidation; smoke checks; unlock. It stops at the first
// failure (later steps do not run), always releases the lock and writes the deploy record, and
// returns the Markdown summary.
// +cache="never"
func (m *Bookme) Deploy(
	ctx context.Context,
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
	// Who deploys (recorded in the lock and the deploy record); default: "local".
	// +optional
	who string,
	// Link to the CI run, recorded in the lock and the record.
	// +optional
	runUrl string,
	// How long to wait for another deploy's lock; default: bookme-deploy.yaml's timeouts.lock (10m).
	// +optional
	lockTimeout string,
	// A plan saved with `plan --format json`: deploy exactly that, and refuse (before changing
	// anything) when any part drifted since.
	// +optional
	planFile *dagger.File,
	// Run only these stages: tofu-base, tofu-frontend, image, env-file, tofu-backend,
	// migrate-and-roll, release (build, upload, invalidate), smoke. Default: all.
	// +optional
	stages []string,
) (string, error) {
	return do(ctx, func(ctx context.Context) (string, error) {
		cfg, err := m.deployConfig(ctx, deploy.Config{Who: who, RunURL: runUrl, FullSHATag: fullShaTag, Stages: stages})
		if err != nil {
			return "", err
		}
		if lockTimeout != "" {
			if cfg.Timeouts.Lock, err = time.ParseDuration(lockTimeout); err != nil {
				return "", fmt.Errorf("--lock-timeout %q: %v", lockTimeout, err)
			}
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
		cfg.Planned = planned
		mk, err := m.deployments(ctx, cfg, gitSha, allowDirty, engineImages{m: m, arm64: arm64, sourceURL: sourceUrl})
		if err != nil {
			return "", err
		}
		return deploy.Ship(ctx, mk)
	})
}

// Plan shows, without changing anything, what `deploy` would do: the three `tofu plan`s, the image
// to build or reuse, the env file's key diff (names only), the S3 uploads and deletes, the
// invalidation paths and the task-definition diffs.
// +cache="never"
func (m *Bookme) Plan(
	ctx context.Context,
	// Commit to plan; default: the source's HEAD.
	// +optional
	gitSha string,
	// Plan the image tag as the full 40-digit commit id (as deploy --full-sha-tag).
	// +optional
	fullShaTag bool,
	// Fail (non-zero) when OpenTofu would change anything: drift detection.
	// +optional
	detailedExitcode bool,
	// markdown (for people and PR comments) or json: the plan file `deploy --plan-file` takes.
	// +default="markdown"
	format string,
) (string, error) {
	return do(ctx, func(ctx context.Context) (string, error) {
		if err := deploy.CheckFormat(format); err != nil {
			return "", err
		}
		cfg, err := m.deployConfig(ctx, deploy.Config{Who: "plan", FullSHATag: fullShaTag})
		if err != nil {
			return "", err
		}
		mk, err := m.deployments(ctx, cfg, gitSha, true, nil)
		if err != nil {
			return "", err
		}
		return deploy.Review(ctx, mk, detailedExitcode, format)
	})
}

// deployments checks the shared arguments, resolves the commit and the credentials once, and
// returns a maker of deployments that share them (a pre-flight and the deploy itself). cfg carries
// the app's settings (deployConfig), read before anything runs.
func (m *Bookme) deployments(ctx context.Context, cfg deploy.Config, gitSha string, allowDirty bool, images deploy.Images) (deploy.Maker, error) {
	if m.Env == "" {
		return nil, fmt.Errorf("no environment: give --env (before the function name)")
	}
	sha, err := m.commit(ctx, gitSha, allowDirty)
	if err != nil {
		return nil, err
	}
	a, bucket, err := m.connectState(ctx)
	if err != nil {
		return nil, err
	}
	cfg.StateBucket = bucket
	cfg.Env, cfg.GitSHA = m.Env, sha
	if e, ok := images.(engineImages); ok {
		e.gitSHA, e.cfg = sha, cfg
		images = e
		if a.images != nil {
			if images, err = a.images(ctx, e); err != nil {
				return nil, err
			}
		}
	}
	return func() (*deploy.Deployment, error) {
		c := cfg
		c.RunID = deploy.NewRunID()
		ports := deploy.Ports{AWS: a.cfg, S3: a.s3, Tofu: m.tofu(a, c), Images: images,
			Client: clientBuilder{m: m, cfg: c}, Source: sourceFiles{dir: m.Source}, Out: progress(ctx)}
		if a.adapt != nil {
			a.adapt(&c, &ports)
		}
		return deploy.New(c, ports)
	}, nil
}

// commit is the commit a verb acts on (deploy.Commit decides; git is read only when needed).
func (m *Bookme) commit(ctx context.Context, given string, allowDirty bool) (string, error) {
	if given != "" && allowDirty {
		return given, nil
	}
	head, dirty, gitErr := gitState(ctx, m.Source)
	return deploy.Commit(given, head, dirty, gitErr, allowDirty)
}

func (m *Bookme) tofu(a *access, cfg deploy.Config) tofuRunner {
	return tofuRunner{access: a, infra: m.Source.Directory("infra"), mirror: m.ProviderMirror, env: cfg.Env,
		stateBucket: cfg.StateBucket, encryption: m.StateEncryption, runID: cfg.RunID, extra: a.tofu}
}
