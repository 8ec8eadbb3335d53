//go:build integration

package record

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/internal/testenv"
)

// Save writes the record to moto S3, encrypted, as JSON, and never overwrites one.
func TestSaveAgainstMoto(t *testing.T) {
	m := testenv.StartMoto(t)
	cfg := m.Config(t)
	testenv.CreateBucket(t, cfg, "book-me-prod-config")
	s3c := testenv.S3(cfg)
	ctx := context.Background()
	r := sample()
	key, err := Save(ctx, s3c, "book-me-prod-config", r)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("book-me-prod-config"), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if out.ServerSideEncryption != "AES256" || aws.ToString(out.ContentType) != "application/json" {
		t.Fatalf("headers: sse=%q type=%q", out.ServerSideEncryption, aws.ToString(out.ContentType))
	}
	back, err := Parse(body)
	if err != nil || back.GitSHA != r.GitSHA || len(back.Steps) != 3 {
		t.Fatalf("stored record: %+v %v", back, err)
	}
	if _, err := Save(ctx, s3c, "book-me-prod-config", r); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Fatalf("second save of the same record: %v", err)
	}
}
