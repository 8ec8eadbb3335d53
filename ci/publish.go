package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"

	"bookme-deploy/core/planfile"
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
	// emulated, when set, is the rehearsal's registry standing in for ECR's storage.
	emulated *emulatedECR
	// armStandIn, when set, replaces the linux/arm64 build (the dry-run's multi-arch rehearsal: this
	// machine cannot run arm64 code). It gets the linux/amd64 image.
	armStandIn func(amd64 *dagger.Container) *dagger.Container
}

func (p ecrPublisher) publish(ctx context.Context, d *deployment, repository string) (string, bool, string, error) {
	ecrc := newECR(d.cfg)
	dockerfile, err := d.api.File("Dockerfile").Contents(ctx)
	if err != nil {
		return "", false, "", fmt.Errorf("image: the API source has no Dockerfile: %w", err)
	}
	plan, err := registry.PlanPublish(ctx, ecrc, registry.PublishInput{
		Repository: repository, GitSHA: d.gitSHA, LongTag: d.fullSHATag, Dockerfile: []byte(dockerfile)})
	if err != nil {
		return "", false, "", err
	}
	d.logf("%s", strings.TrimRight(plan.Text(), "\n"))
	if err := d.part(planfile.PartImage, imageFingerprint(plan), imageSummary(plan)); err != nil {
		return "", false, "", err
	}
	if plan.Reuse {
		return plan.Ref, false, "reused " + plan.Ref, nil
	}
	creds, err := registry.Auth(ctx, ecrc)
	if err != nil {
		return "", false, "", err
	}
	password := dag.SetSecret("ecr-password-"+d.runID, creds.Password)
	amd := apiImage(d.repo, d.api, d.gitSHA, p.sourceURL, "linux/amd64")
	opts := dagger.ContainerPublishOpts{}
	if p.arm64 {
		arm := apiImage(d.repo, d.api, d.gitSHA, p.sourceURL, "linux/arm64")
		if p.armStandIn != nil {
			arm = p.armStandIn(amd)
		}
		opts.PlatformVariants = []*dagger.Container{arm}
	}
	host, target := creds.Registry, plan.TagRef
	if p.emulated != nil {
		host, target = emulatedPushHost, p.emulated.pushTarget(plan)
		opts.RegistryService = p.emulated.svc
	}
	published, err := amd.WithRegistryAuth(host, creds.Username, password).Publish(ctx, target, opts)
	if err != nil {
		return "", false, "", fmt.Errorf("image: push %s: %w", plan.TagRef, err)
	}
	_, digest, ok := strings.Cut(published, "@")
	if !ok {
		return "", false, "", fmt.Errorf("image: the engine returned %q without a digest", published)
	}
	if p.emulated != nil {
		if err := p.emulated.record(ctx, ecrc, plan, digest, creds); err != nil {
			return "", false, "", err
		}
	}
	ref, err := registry.WithDigest(plan.RepositoryURI, digest)
	if err != nil {
		return "", false, "", err
	}
	return ref, true, "pushed " + ref, nil
}

// apiImage is the production image with its OCI labels and annotations, and the database
// bootstrap command (run as a one-off task before the migration).
func apiImage(repo, api *dagger.Directory, gitSHA, sourceURL string, platform dagger.Platform) *dagger.Container {
	created := time.Now().UTC().Format(time.RFC3339)
	ctr := (&Bookme{}).BuildApi(api, gitSHA, sourceURL, platform).
		WithFile(dbBootstrapPath, dbBootstrapBinary(repo, platform)).
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

// emulatedECR stands in for ECR's image storage in the rehearsal (moto keeps only ECR's API): a
// registry:2 service the engine pushes to with the same WithRegistryAuth + Publish as for ECR. Its
// htpasswd holds the credentials moto's GetAuthorizationToken hands out, so the push is refused
// without them. After a push the manifest is read back and recorded in moto's ECR (PutImage), so
// DescribeImages finds the tag and the next deploy of the commit reuses the image, as with ECR.
type emulatedECR struct {
	svc *dagger.Service
	// endpoint is the service's host:port as this module's process reaches it.
	endpoint string
	// layout is an OCI image layout of the last image pushed, read back from the registry.
	layout string
}

// registryImage is the registry the rehearsal pushes to (Docker's distribution registry; the test
// harness serves a look-alike).
const registryImage = "registry:2"

// emulatedPushHost is the address the engine pushes to: Publish's RegistryService option sends it to
// the registry service, and the name localhost makes the engine speak plain HTTP (a service has no
// trusted certificate). Port 5001, not the registry's usual 5000: a push that missed the service
// must fail rather than land in another registry on the engine's own localhost:5000.
const emulatedPushHost = "localhost:5001"

// startEmulatedECR starts the registry service with htpasswd authentication for creds.
func startEmulatedECR(ctx context.Context, runID string, creds *registry.Credentials) (*emulatedECR, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(creds.Password), bcrypt.MinCost)
	if err != nil {
		return nil, err
	}
	htpasswd := dag.SetSecret("emulated-ecr-htpasswd-"+runID, creds.Username+":"+string(hash)+"\n")
	svc, err := dag.Container().From(registryImage).
		WithMountedSecret("/auth/htpasswd", htpasswd).
		WithEnvVariable("REGISTRY_AUTH", "htpasswd").
		WithEnvVariable("REGISTRY_AUTH_HTPASSWD_REALM", "bookme-dry-run").
		WithEnvVariable("REGISTRY_AUTH_HTPASSWD_PATH", "/auth/htpasswd").
		WithEnvVariable("REGISTRY_HTTP_ADDR", ":5001").
		WithEnvVariable("BOOKME_RUN", runID).
		WithExposedPort(5001).
		AsService(dagger.ContainerAsServiceOpts{UseEntrypoint: true}).Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("start the emulated registry (%s): %w", registryImage, err)
	}
	endpoint, err := svc.Endpoint(ctx)
	if err != nil {
		return nil, err
	}
	return &emulatedECR{svc: svc, endpoint: endpoint}, nil
}

// pushTarget is where the engine pushes plan's image in the emulated registry.
func (e *emulatedECR) pushTarget(plan *registry.PublishPlan) string {
	return emulatedPushHost + "/" + plan.Repository + ":" + plan.Tag
}

// record reads the pushed manifest back (go-containerregistry, from this module's process), checks
// its digest, keeps the image as an OCI layout and records the manifest under the tag in moto's ECR.
func (e *emulatedECR) record(ctx context.Context, ecrc *ecr.Client, plan *registry.PublishPlan, digest string, creds *registry.Credentials) error {
	ref, err := name.ParseReference(e.endpoint+"/"+plan.Repository+"@"+digest, name.Insecure)
	if err != nil {
		return err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: creds.Username, Password: creds.Password})
	desc, err := remote.Get(ref, remote.WithContext(ctx), remote.WithAuth(auth))
	if err != nil {
		return fmt.Errorf("image: read back %s from the emulated registry: %v", plan.Repository+"@"+digest, err)
	}
	if desc.Digest.String() != digest {
		return fmt.Errorf("image: the emulated registry serves %s for the digest the engine pushed (%s)", desc.Digest, digest)
	}
	img, err := desc.Image()
	if err != nil {
		return err
	}
	dir, err := scratchDir("image-")
	if err != nil {
		return err
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := lp.AppendImage(img); err != nil {
		return fmt.Errorf("image: keep the pushed image: %w", err)
	}
	e.layout = dir
	_, err = ecrc.PutImage(ctx, &ecr.PutImageInput{
		RepositoryName: aws.String(plan.Repository), ImageTag: aws.String(plan.Tag),
		ImageManifest: aws.String(string(desc.Manifest)), ImageManifestMediaType: aws.String(string(desc.MediaType)),
		ImageDigest: aws.String(digest),
	})
	if err != nil {
		return fmt.Errorf("image: record %s in the emulated ECR: %w", plan.TagRef, err)
	}
	got, found, err := registry.DigestForTag(ctx, ecrc, plan.Repository, plan.Tag)
	if err != nil {
		return err
	}
	if !found || got != digest {
		return fmt.Errorf("image: the emulated ECR reports %q for tag %s after recording %s", got, plan.Tag, digest)
	}
	return nil
}
