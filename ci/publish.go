package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	gcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"bookme-deploy/core/registry"

	"dagger/bookme/internal/dagger"
)

// publisher gets the API image for the deployed commit into the registry and returns it by digest.
type publisher interface {
	publish(ctx context.Context, d *deployment, repository string) (ref string, pushed bool, detail string, err error)
}

// ecrPublisher pushes to ECR: token from the SDK, password as a Dagger secret, pushed by the engine.
type ecrPublisher struct {
	// arm64 adds a linux/arm64 variant (Graviton Fargate); the push is then one multi-arch index.
	arm64     bool
	sourceURL string
}

func (p ecrPublisher) publish(ctx context.Context, d *deployment, repository string) (string, bool, string, error) {
	ecrc := newECR(d.cfg)
	dockerfile, err := d.api.File("Dockerfile").Contents(ctx)
	if err != nil {
		return "", false, "", fmt.Errorf("image: the API source has no Dockerfile: %w", err)
	}
	plan, err := registry.PlanPublish(ctx, ecrc, registry.PublishInput{
		Repository: repository, GitSHA: d.gitSHA, Dockerfile: []byte(dockerfile)})
	if err != nil {
		return "", false, "", err
	}
	d.logf("%s", strings.TrimRight(plan.Text(), "\n"))
	if plan.Reuse {
		return plan.Ref, false, "reused " + plan.Ref, nil
	}
	creds, err := registry.Auth(ctx, ecrc)
	if err != nil {
		return "", false, "", err
	}
	password := dag.SetSecret("ecr-password-"+d.runID, creds.Password)
	amd := apiImage(d.api, d.gitSHA, p.sourceURL, "linux/amd64")
	opts := dagger.ContainerPublishOpts{}
	if p.arm64 {
		opts.PlatformVariants = []*dagger.Container{apiImage(d.api, d.gitSHA, p.sourceURL, "linux/arm64")}
	}
	published, err := amd.WithRegistryAuth(creds.Registry, creds.Username, password).Publish(ctx, plan.TagRef, opts)
	if err != nil {
		return "", false, "", fmt.Errorf("image: push %s: %w", plan.TagRef, err)
	}
	_, digest, ok := strings.Cut(published, "@")
	if !ok {
		return "", false, "", fmt.Errorf("image: the engine returned %q without a digest", published)
	}
	ref, err := registry.WithDigest(plan.RepositoryURI, digest)
	if err != nil {
		return "", false, "", err
	}
	return ref, true, "pushed " + ref, nil
}

// apiImage is the production image with its OCI labels.
func apiImage(src *dagger.Directory, gitSHA, sourceURL string, platform dagger.Platform) *dagger.Container {
	return (&Bookme{}).BuildApi(src, gitSHA, sourceURL, platform).
		WithLabel("org.opencontainers.image.created", time.Now().UTC().Format(time.RFC3339))
}

// localPublisher stands in for ECR in the emulated account (moto's ECR stores no images): a real OCI
// registry served from this module's process, for the length of one dry-run. The ECR repository must
// still exist in the emulated account; the image reference keeps its repository URI.
type localPublisher struct {
	host string // 127.0.0.1:port
}

func startLocalRegistry() (*localPublisher, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: gcrregistry.New(gcrregistry.Logger(log.New(io.Discard, "", 0)))}
	go func() { _ = srv.Serve(l) }()
	return &localPublisher{host: l.Addr().String()}, nil
}

func (p *localPublisher) publish(ctx context.Context, d *deployment, repository string) (string, bool, string, error) {
	dockerfile, err := d.api.File("Dockerfile").Contents(ctx)
	if err != nil {
		return "", false, "", fmt.Errorf("image: the API source has no Dockerfile: %w", err)
	}
	if err := registry.CheckProductionStage([]byte(dockerfile)); err != nil {
		return "", false, "", err
	}
	repo, err := registry.Repository(ctx, newECR(d.cfg), repository)
	if err != nil {
		return "", false, "", err
	}
	tag, err := registry.Tag(d.gitSHA, false)
	if err != nil {
		return "", false, "", err
	}
	local := p.host + "/" + repo.Name + ":" + tag
	if digest, err := registry.RemoteDigest(ctx, local, nil); err == nil {
		ref, err := registry.WithDigest(repo.URI, digest)
		if err != nil {
			return "", false, "", err
		}
		return ref, false, "reused " + ref + " (tag " + tag + " already in the registry)", nil
	}
	dir, err := scratchDir("image-")
	if err != nil {
		return "", false, "", err
	}
	tarPath := filepath.Join(dir, "api.tar")
	if _, err := apiImage(d.api, d.gitSHA, "", "linux/amd64").AsTarball().Export(ctx, tarPath); err != nil {
		return "", false, "", fmt.Errorf("image: build: %w", err)
	}
	img, err := tarball.ImageFromPath(tarPath, nil)
	if err != nil {
		return "", false, "", fmt.Errorf("image: read the built image: %w", err)
	}
	r, err := name.ParseReference(local)
	if err != nil {
		return "", false, "", err
	}
	d.imageTar = tarPath
	if err := remote.Write(r, img, remote.WithContext(ctx)); err != nil {
		return "", false, "", fmt.Errorf("image: push %s: %w", local, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return "", false, "", err
	}
	ref, err := registry.WithDigest(repo.URI, digest.String())
	if err != nil {
		return "", false, "", err
	}
	return ref, true, "pushed " + ref + " (emulated registry)", nil
}
