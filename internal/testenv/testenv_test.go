//go:build integration

package testenv

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// A real round trip through moto: STS identity, then an S3 bucket created, listed, and gone after Reset.
func TestMotoRoundTrip(t *testing.T) {
	m := StartMoto(t)
	cfg := m.Config(t)
	ctx := context.Background()
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != "123456789012" {
		t.Fatalf("account = %q", aws.ToString(id.Account))
	}
	CreateBucket(t, cfg, "bookme-testenv")
	s3c := S3(cfg)
	out, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Buckets) != 1 {
		t.Fatalf("buckets = %d, want 1", len(out.Buckets))
	}
	m.Reset(t)
	out, err = s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Buckets) != 0 {
		t.Fatalf("after reset buckets = %d, want 0", len(out.Buckets))
	}
}

// A real push and pull against the in-process registry.
func TestRegistryPushPull(t *testing.T) {
	r := StartRegistry(t)
	img, err := random.Image(256, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(r.Host + "/bookme/api:test")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	got, err := remote.Head(ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != want {
		t.Fatalf("digest = %s, want %s", got.Digest, want)
	}
}
