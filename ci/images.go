package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/smoke"

	"dagger/bookme/internal/dagger"
)

const goImage = "golang:1.26-bookworm"

// BuildApi builds the API's image as bookme-deploy.yaml says (api.dir, api.dockerfile, api.target,
// api.build_args; default: examples/bookme/api's `production` stage) with its OCI labels.
func (m *Bookme) BuildApi(
	ctx context.Context,
	// Commit, for the org.opencontainers.image.revision label.
	// +optional
	gitSha string,
	// Repository URL, for the org.opencontainers.image.source label.
	// +optional
	sourceUrl string,
	// Target platform, e.g. linux/arm64; default: the engine's.
	// +optional
	platform dagger.Platform,
) (*dagger.Container, error) {
	cfg, err := m.deployConfig(ctx, deploy.Config{})
	if err != nil {
		return nil, err
	}
	return m.apiBuild(cfg, gitSha, sourceUrl, platform), nil
}

// apiBuild is the image of cfg.APIBuild (the core decides dir, Dockerfile, stage, build args).
func (m *Bookme) apiBuild(cfg deploy.Config, gitSha, sourceUrl string, platform dagger.Platform) *dagger.Container {
	b := cfg.APIBuild()
	var args []dagger.BuildArg
	for _, a := range b.Args {
		args = append(args, dagger.BuildArg{Name: a.Name, Value: a.Value})
	}
	ctr := m.Source.Directory(b.Dir).DockerBuild(dagger.DirectoryDockerBuildOpts{
		Dockerfile: b.Dockerfile, Target: b.Target, BuildArgs: args, Platform: platform})
	if gitSha != "" {
		ctr = ctr.WithLabel("org.opencontainers.image.revision", gitSha).WithEnvVariable(smoke.ReleaseEnv, gitSha)
	}
	if sourceUrl != "" {
		ctr = ctr.WithLabel("org.opencontainers.image.source", sourceUrl)
	}
	return ctr
}

// apiImage is the production image with its creation time and the DB bootstrap command.
func (m *Bookme) apiImage(cfg deploy.Config, gitSHA, sourceURL string, platform dagger.Platform) *dagger.Container {
	created := time.Now().UTC().Format(time.RFC3339)
	ctr := m.apiBuild(cfg, gitSHA, sourceURL, platform).
		WithFile(deploy.DBBootstrapPath, m.dbBootstrapBinary(platform)).
		WithLabel("org.opencontainers.image.created", created).
		WithAnnotation("org.opencontainers.image.created", created)
	if gitSHA != "" {
		ctr = ctr.WithAnnotation("org.opencontainers.image.revision", gitSHA)
	}
	if sourceURL != "" {
		ctr = ctr.WithAnnotation("org.opencontainers.image.source", sourceURL)
	}
	return ctr
}

// dbBootstrapBinary builds cmd/bookme-dbbootstrap (static) for the image's platform.
func (m *Bookme) dbBootstrapBinary(platform dagger.Platform) *dagger.File {
	arch := strings.TrimPrefix(string(platform), "linux/") // apiImage always names the platform
	return dag.Container().From(goImage).
		WithMountedCache("/go/pkg/mod", dag.CacheVolume("bookme-gomod")).
		WithMountedCache("/root/.cache/go-build", dag.CacheVolume("bookme-gobuild")).
		WithEnvVariable("CGO_ENABLED", "0").WithEnvVariable("GOOS", "linux").WithEnvVariable("GOARCH", arch).
		WithDirectory("/src", m.Source, dagger.ContainerWithDirectoryOpts{
			Include: []string{"go.mod", "go.sum", "core/**", "cmd/bookme-dbbootstrap/**"},
			Exclude: []string{"**/*_test.go", "**/testdata/**"},
		}).
		WithWorkdir("/src").
		WithExec([]string{"go", "build", "-trimpath", "-ldflags=-s -w", "-o", "/out/bookme-dbbootstrap", "./cmd/bookme-dbbootstrap"}).
		File("/out/bookme-dbbootstrap")
}

// engineImages builds and pushes with the engine (deploy.Images); the password is a Dagger secret.
type engineImages struct {
	m *Bookme
	// cfg says how the image is built (deploy.Config.APIBuild).
	cfg       deploy.Config
	gitSHA    string
	sourceURL string
	// arm64 adds a linux/arm64 variant (Graviton Fargate): the push is then one multi-arch index.
	arm64 bool
	// registry, when set, is the service the engine pushes to instead of the registry host.
	registry *dagger.Service
	// pushHost names the registry in the pushed reference ("" : the ECR host).
	pushHost string
}

func (e engineImages) Push(ctx context.Context, plan *registry.PublishPlan, creds *registry.Credentials) (string, error) {
	password := dag.SetSecret("registry-password-"+deploy.NewRunID(), creds.Password)
	amd := e.m.apiImage(e.cfg, e.gitSHA, e.sourceURL, "linux/amd64")
	opts := dagger.ContainerPublishOpts{RegistryService: e.registry}
	if e.arm64 {
		opts.PlatformVariants = []*dagger.Container{e.m.apiImage(e.cfg, e.gitSHA, e.sourceURL, "linux/arm64")}
	}
	host, target := creds.Registry, plan.TagRef
	if e.pushHost != "" {
		host, target = e.pushHost, e.pushHost+"/"+plan.Repository+":"+plan.Tag
	}
	published, err := amd.WithRegistryAuth(host, creds.Username, password).Publish(ctx, target, opts)
	if err != nil {
		return "", err
	}
	_, digest, ok := strings.Cut(published, "@")
	if !ok {
		return "", fmt.Errorf("the engine returned %q without a digest", published)
	}
	return digest, nil
}

// sourceFiles reads the repository's files (deploy.Source).
type sourceFiles struct{ dir *dagger.Directory }

func (s sourceFiles) ReadFile(ctx context.Context, p string) ([]byte, error) {
	c, err := s.dir.File(p).Contents(ctx)
	return []byte(c), err
}

// gitState is the source's HEAD and its uncommitted changes (tracked files).
func gitState(ctx context.Context, source *dagger.Directory) (string, []string, error) {
	out, err := dag.Container().From("debian:bookworm-slim").
		WithExec([]string{"sh", "-c", "apt-get update -qq && apt-get install -y -qq --no-install-recommends git >/dev/null && rm -rf /var/lib/apt/lists/*"}).
		WithDirectory("/repo", source).
		WithWorkdir("/repo").
		WithEnvVariable("BOOKME_RUN", deploy.NewRunID()).
		WithExec([]string{"sh", "-c", "git config --global --add safe.directory /repo && git rev-parse HEAD && git status --porcelain --untracked-files=no"}).
		Stdout(ctx)
	if err != nil {
		return "", nil, err
	}
	head, dirty := deploy.ParseGitState(out)
	return head, dirty, nil
}
