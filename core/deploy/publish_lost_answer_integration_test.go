//go:build integration

package deploy_test

import (
	"context"
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator/rehearsal"
	"bookme-deploy/core/registry"
	"bookme-deploy/internal/testenv"
)

// erringImages models a push that errors after (or without) storing the tag. In AWS the registry
// is ECR: a stored tag is in ECR at once. moto's ECR keeps no images, so the push goes to an
// in-process registry and what it stored is recorded in moto's ECR (rehearsal.RecordPush) before
// the error is returned — the state real ECR is in when the manifest PUT's answer is lost.
type erringImages struct {
	reg *testenv.Registry
	ecr *ecr.Client
	// store: the push stores the image under the tag before failing.
	store bool
	// before runs first (a rival run of the same commit pushing the tag).
	before func(ctx context.Context, plan *registry.PublishPlan, creds *registry.Credentials) error
	err    error
	pushed v1.Hash
}

func (f *erringImages) Push(ctx context.Context, plan *registry.PublishPlan, creds *registry.Credentials) (string, error) {
	if f.before != nil {
		if err := f.before(ctx, plan, creds); err != nil {
			return "", err
		}
	}
	if f.store {
		d, err := pushRandom(ctx, f.reg, f.ecr, plan, creds, 7)
		if err != nil {
			return "", err
		}
		f.pushed = d
	}
	return "", f.err
}

// pushRandom pushes a small random image (seeded) under plan's tag and records it in moto's ECR.
func pushRandom(ctx context.Context, reg *testenv.Registry, c *ecr.Client, plan *registry.PublishPlan, creds *registry.Credentials, seed int64) (v1.Hash, error) {
	img, err := random.Image(256, 1, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		return v1.Hash{}, err
	}
	ref, err := name.ParseReference(reg.Host+"/"+plan.Repository+":"+plan.Tag, name.Insecure)
	if err != nil {
		return v1.Hash{}, err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: creds.Username, Password: creds.Password})
	if err := remote.Write(ref, img, remote.WithContext(ctx), remote.WithAuth(auth)); err != nil {
		return v1.Hash{}, err
	}
	d, err := img.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	return d, rehearsal.RecordPush(ctx, c, reg.Host, plan, d.String(), creds, "")
}

// TestPublishAfterLostPushAnswer: Publish.Apply after a push error reads ECR for the commit's tag.
// A stored tag (the manifest PUT's answer was lost; or IMMUTABLE tags refused a second push because
// a rival run of the commit got there first) is the published image: Apply returns ECR's digest and
// says so in its progress. No tag: the push's error, wrapped, and ECR still without the tag.
func TestPublishAfterLostPushAnswer(t *testing.T) {
	ctx := context.Background()
	m := testenv.StartMoto(t)
	cfg := m.Config(t)
	ecrc := ecr.NewFromConfig(cfg)
	reg := testenv.StartRegistry(t)
	lost := errors.New("Put \"http://registry/v2/x/manifests/y\": read: connection reset by peer")
	var rival v1.Hash
	cases := []struct {
		name   string
		images *erringImages
		// want: the digest Apply must return ("" : an error).
		want func(f *erringImages) string
	}{
		{"answer lost after the tag was stored", &erringImages{store: true, err: lost},
			func(f *erringImages) string { return f.pushed.String() }},
		{"IMMUTABLE tag refused: a rival pushed the commit first", &erringImages{err: errors.New("TAG_INVALID: The image tag already exists and cannot be overwritten because the repository is immutable"),
			before: func(ctx context.Context, plan *registry.PublishPlan, creds *registry.Credentials) (err error) {
				rival, err = pushRandom(ctx, reg, ecrc, plan, creds, 99)
				return err
			}},
			func(*erringImages) string { return rival.String() }},
		{"push failed, nothing stored", &erringImages{err: lost}, func(*erringImages) string { return "" }},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := "bookme-lost-answer-" + string(rune('a'+i))
			if _, err := ecrc.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo),
				ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable}); err != nil {
				t.Fatal(err)
			}
			tc.images.reg, tc.images.ecr = reg, ecrc
			var progress strings.Builder
			pub := deploy.Publish{AWS: cfg, Images: tc.images, Source: repoSource{root: repoRoot(t)}, Layout: deploy.DefaultLayout,
				Repository: repo, GitSHA: "0123456789abcdef0123456789abcdef01234567", Progress: &progress}
			plan, err := pub.Plan(ctx)
			if err != nil || plan.Reuse {
				t.Fatalf("plan: reuse=%v err=%v; want a push", plan != nil && plan.Reuse, err)
			}
			ref, pushed, err := pub.Apply(ctx, plan)
			inECR, found, derr := registry.DigestForTag(ctx, ecrc, repo, plan.Tag)
			if derr != nil {
				t.Fatal(derr)
			}
			want := tc.want(tc.images)
			if want == "" {
				if err == nil || !errors.Is(err, lost) || !strings.HasPrefix(err.Error(), "image: push "+plan.TagRef+": ") {
					t.Fatalf("Apply = %q, %v; want the push's error wrapped", ref, err)
				}
				if found || progress.Len() > 0 {
					t.Fatalf("ECR holds %s (%v), progress %q; want no tag, no note", inECR, found, progress.String())
				}
				return
			}
			if err != nil || !pushed || ref != plan.RepositoryURI+"@"+want {
				t.Fatalf("Apply = %q pushed=%v err=%v; want %s@%s", ref, pushed, err, plan.RepositoryURI, want)
			}
			if !found || inECR != want {
				t.Fatalf("ECR holds %q for %s (found %v), want %s", inECR, plan.Tag, found, want)
			}
			note := "the push's answer was lost; ECR holds " + plan.Tag + " at " + want
			if !strings.Contains(progress.String(), note) {
				t.Fatalf("progress %q does not say %q", progress.String(), note)
			}
		})
	}
}
