//go:build integration

package deploy_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator/rehearsal"
	"bookme-deploy/core/registry"
	"bookme-deploy/internal/testenv"
)

// indexImages stands in for the engine's `publish-api --arm64` push (Publish with PlatformVariants):
// one OCI index of a linux/amd64 and a linux/arm64 image. This machine has no arm64 builds or
// emulation, so the images are random; everything after the build — the index pushed under the
// commit's tag, ECR's record of it, the next publish reusing it by digest — is the product's code.
type indexImages struct {
	reg    *testenv.Registry
	ecr    *ecr.Client
	pushes int
}

func (f *indexImages) Push(ctx context.Context, plan *registry.PublishPlan, creds *registry.Credentials) (string, error) {
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(256, 1)
		if err != nil {
			return "", err
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	idx := mutate.AppendManifests(empty.Index, adds...)
	ref, err := name.ParseReference(f.reg.Host+"/"+plan.Repository+":"+plan.Tag, name.Insecure)
	if err != nil {
		return "", err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: creds.Username, Password: creds.Password})
	if err := remote.WriteIndex(ref, idx, remote.WithContext(ctx), remote.WithAuth(auth)); err != nil {
		return "", err
	}
	d, err := idx.Digest()
	if err != nil {
		return "", err
	}
	f.pushes++
	return d.String(), rehearsal.RecordPush(ctx, f.ecr, f.reg.Host, plan, d.String(), creds, "")
}

func TestMultiArchPublishIsOneIndexReusedByDigest(t *testing.T) {
	ctx := context.Background()
	m := testenv.StartMoto(t)
	cfg := m.Config(t)
	ecrc := ecr.NewFromConfig(cfg)
	if _, err := ecrc.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("bookme-multi-arch"),
		ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable}); err != nil {
		t.Fatal(err)
	}
	images := &indexImages{reg: testenv.StartRegistry(t), ecr: ecrc}
	pub := deploy.Publish{AWS: cfg, Images: images, Source: repoSource{root: repoRoot(t)}, Layout: deploy.DefaultLayout,
		Repository: "bookme-multi-arch", GitSHA: "0123456789abcdef0123456789abcdef01234567"}
	plan, err := pub.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Reuse {
		t.Fatalf("an empty repository: the first publish must build, got reuse of %s", plan.Ref)
	}
	ref, pushed, err := pub.Apply(ctx, plan)
	if err != nil || !pushed {
		t.Fatalf("first publish: pushed=%v err=%v", pushed, err)
	}
	_, digest, err := registry.ParseDigestRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	// The account: ECR names the index's digest for the commit's tag.
	got, found, err := registry.DigestForTag(ctx, ecrc, "bookme-multi-arch", plan.Tag)
	if err != nil || !found || got != digest {
		t.Fatalf("ECR tag %s → %q (found %v, %v), want the index %s", plan.Tag, got, found, err, digest)
	}
	// The registry: the digest is one index of both platforms.
	at, _ := name.ParseReference(images.reg.Host+"/bookme-multi-arch@"+digest, name.Insecure)
	idx, err := remote.Index(at, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("read the pushed digest back as an index: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, d := range im.Manifests {
		platforms = append(platforms, d.Platform.OS+"/"+d.Platform.Architecture)
	}
	slices.Sort(platforms)
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Fatalf("the index holds %v", platforms)
	}
	// The second publish of the commit reuses the index by digest and pushes nothing.
	again, err := pub.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ref2, pushed2, err := pub.Apply(ctx, again)
	if err != nil || pushed2 || ref2 != ref || images.pushes != 1 {
		t.Fatalf("second publish: ref %s pushed %v pushes %d err %v; want %s, no push", ref2, pushed2, images.pushes, err, ref)
	}
}
