package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"bookme-deploy/core/registry"

	"dagger/bookme/internal/dagger"
)

// multiArchRepository is the emulated ECR repository of the multi-arch rehearsal (the deploy's own
// repository already holds the commit's single-platform image under the immutable tag).
const multiArchRepository = "bookme-dry-run-multi-arch"

// armStandIn is the rehearsal's linux/arm64 variant: the linux/amd64 image's filesystem under the
// arm64 platform, labelled as a stand-in. The harness has no arm64 base images and no arm64
// emulation, so the real arm64 build (`publish-api --arm64`) cannot run here; everything after the
// build (one index, its push, ECR's record of it, reuse by digest) is the real code.
func armStandIn(amd64 *dagger.Container) *dagger.Container {
	return dag.Container(dagger.ContainerOpts{Platform: "linux/arm64"}).
		WithRootfs(amd64.Rootfs()).
		WithLabel("org.opencontainers.image.description", armStandInLabel)
}

const armStandInLabel = "dry-run stand-in for the linux/arm64 build"

// rehearseMultiArch publishes the commit as a two-platform image (linux/amd64 built, linux/arm64
// stand-in) through the same ecrPublisher as `publish-api --arm64`, into a repository of its own.
// It reads the pushed index back and checks its platforms and labels, checks that the emulated ECR
// reports the index's digest for the tag, and publishes again: the second time must reuse the index
// by digest and push nothing.
func rehearseMultiArch(ctx context.Context, d *deployment, reg *emulatedECR, creds *registry.Credentials) (string, error) {
	var b strings.Builder
	b.WriteString("## Multi-arch publish (`publish-api --arm64`: one index, linux/amd64 + linux/arm64)\n\n")
	fail := func(format string, a ...any) (string, error) {
		return b.String(), fmt.Errorf("multi-arch rehearsal: "+format, a...)
	}
	ecrc := newECR(d.cfg)
	_, err := ecrc.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName: aws.String(multiArchRepository), ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable})
	var exists *ecrtypes.RepositoryAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fail("create the repository: %v", err)
	}
	own := *reg // the same registry service; the deploy's kept image layout stays as it is
	own.layout = ""
	pub := ecrPublisher{arm64: true, sourceURL: dryRunSourceURL, emulated: &own, armStandIn: armStandIn}
	ref, pushed, _, err := pub.publish(ctx, d, multiArchRepository)
	if err != nil {
		return fail("first publish: %v", err)
	}
	if !pushed {
		return fail("the first publish of the commit into an empty repository pushed nothing")
	}
	_, digest, _ := strings.Cut(ref, "@")
	fmt.Fprintf(&b, "- first publish pushed %s\n", ref)

	at, err := name.ParseReference(own.endpoint+"/"+multiArchRepository+"@"+digest, name.Insecure)
	if err != nil {
		return fail("%v", err)
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: creds.Username, Password: creds.Password})
	idx, err := remote.Index(at, remote.WithContext(ctx), remote.WithAuth(auth))
	if err != nil {
		return fail("read the pushed digest back as an index: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return fail("%v", err)
	}
	var platforms []string
	for _, m := range im.Manifests {
		if m.Platform == nil {
			return fail("index entry %s has no platform", m.Digest)
		}
		platforms = append(platforms, m.Platform.OS+"/"+m.Platform.Architecture)
		img, err := idx.Image(m.Digest)
		if err != nil {
			return fail("read the %s image: %v", m.Platform, err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return fail("read the %s config: %v", m.Platform, err)
		}
		// The amd64 entry is the real build (its labels); the arm64 entry must be the stand-in given.
		switch label := cf.Config.Labels; m.Platform.Architecture {
		case "amd64":
			if got := label["org.opencontainers.image.revision"]; got != d.gitSHA {
				return fail("the linux/amd64 image's revision label is %q, want %s", got, d.gitSHA)
			}
		case "arm64":
			if got := label["org.opencontainers.image.description"]; got != armStandInLabel {
				return fail("the linux/arm64 image is not the stand-in (description label %q)", got)
			}
		}
		if cf.Architecture != m.Platform.Architecture {
			return fail("the %s entry's config says architecture %q", m.Platform, cf.Architecture)
		}
	}
	slices.Sort(platforms)
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		return fail("the index holds %v, want linux/amd64 and linux/arm64", platforms)
	}
	fmt.Fprintf(&b, "- read back: one index (%s) of %s; the amd64 entry carries the commit's revision label, the arm64 entry is the stand-in\n", im.MediaType, strings.Join(platforms, " + "))

	again, pushedAgain, _, err := pub.publish(ctx, d, multiArchRepository)
	if err != nil {
		return fail("second publish: %v", err)
	}
	if pushedAgain || again != ref {
		return fail("the second publish of the same commit pushed %v and returned %s (want no push and %s)", pushedAgain, again, ref)
	}
	b.WriteString("- second publish: the emulated ECR reports the index's digest for the tag; reused, nothing pushed\n\n")
	b.WriteString("Multi-arch: one index pushed, read back with both platforms, reused by digest on the second publish.\n\n")
	return b.String(), nil
}
