//go:build integration

package reliability

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/envfile"
	"bookme-deploy/core/release"
	"bookme-deploy/internal/testenv"
)

// Names of the seeded account.
const (
	clientBucket = "book-me-test-client"
	configBucket = "book-me-test-config"
	repoName     = "book-me-test-api"
	cluster      = "bookme"
	oldImage     = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/book-me-test-api@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	newImage     = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/book-me-test-api@sha256:2222222222222222222222222222222222222222222222222222222222222222"
	gitSHA       = "0123456789abcdef0123456789abcdef01234567"
	imageTag     = "0123456789ab"
)

// fastRetries shortens the SDK retryer's backoff (the attempts stay the SDK default of 3) so a
// matrix of hundreds of retried requests fits in minutes; what is retried and how often is unchanged.
func fastRetries(cfg aws.Config) aws.Config {
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.NewExponentialJitterBackoff(200 * time.Millisecond)
			o.MaxBackoff = 200 * time.Millisecond
		})
	}
	cfg.HTTPClient = &http.Client{Timeout: clientTimeout}
	return cfg
}

// clientTimeout is the matrix clients' HTTP timeout: how long a timeout-after cell's client waits
// for an answer that never comes before the SDK retries. The emulators answer in milliseconds.
const clientTimeout = 2 * time.Second

// repoFile reads a file of the repository (relative to its root).
func repoFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return b
}

// outputs is what a deploy passes to the env template (OpenTofu outputs plus deploy inputs).
func outputs() map[string]string {
	return map[string]string{
		"api_domain_name": "api.bookme.example", "client_domain_name": "app.bookme.example",
		"db_name": "bookme", "db_host": "bookme-prod.abc.eu-central-1.rds.amazonaws.com", "db_port": "5432",
		"db_app_user": "bookme_app", "region": "eu-central-1", "static_bucket": "book-me-prod-static",
		"static_bucket_domain_name": "", "sendgrid_sender_email": "noreply@bookme.example",
		"sendgrid_activation_template_id": "d-0123456789abcdef",
		"app_secret_arn":                  "arn:aws:secretsmanager:eu-central-1:123456789012:secret:book-me-prod-app-AbCdEf",
		"redis_secret_arn":                "arn:aws:secretsmanager:eu-central-1:123456789012:secret:book-me-prod/redis-XyZ123",
	}
}

// rendered renders the repository's env template with outputs().
func rendered(t testing.TB) *envfile.Rendered {
	t.Helper()
	schema, err := envfile.LoadSchema(repoFile(t, "service-config/api/schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := envfile.Render(repoFile(t, "service-config/api/env.tmpl"), schema, outputs(), map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// smallBundle writes a generated SPA bundle of n files (seeded) into a new temp dir.
func smallBundle(t testing.TB, n int, seed int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	if _, err := testenv.GenerateBundle(dir, n, seed); err != nil {
		t.Fatal(err)
	}
	return dir
}

// deployBundle releases dir to bucket (no faults) and fails the test on error.
func deployBundle(t testing.TB, cfg aws.Config, bucket, dir string) *release.Result {
	t.Helper()
	ctx := context.Background()
	p, err := release.PlanRelease(ctx, release.Input{Client: testenv.S3(cfg), Bucket: bucket, Dir: dir, Concurrency: 4})
	if err != nil {
		t.Fatalf("seed release: %v", err)
	}
	res, err := release.Apply(ctx, p)
	if err != nil {
		t.Fatalf("seed release: %v", err)
	}
	return res
}

// seedECR creates the repository with one image tagged imageTag.
func seedECR(t testing.TB, cfg aws.Config) {
	t.Helper()
	c := ecr.NewFromConfig(cfg)
	ctx := context.Background()
	if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repoName),
		ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable}); err != nil {
		t.Fatalf("create repository: %v", err)
	}
	manifest := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` +
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}`
	if _, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repoName), ImageManifest: aws.String(manifest),
		ImageTag: aws.String(imageTag)}); err != nil {
		t.Fatalf("put image: %v", err)
	}
}

// servedRelease checks what a browser would get from the bucket: index.html and every object it
// references exist (no mixed HTML/asset state). It returns index.html's bytes.
func servedRelease(ctx context.Context, s3c *s3.Client, bucket string) ([]byte, error) {
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("index.html")})
	if err != nil {
		return nil, fmt.Errorf("index.html: %w", err)
	}
	defer out.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := out.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	html := []byte(b.String())
	for _, ref := range testenv.IndexRefs(html) {
		if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(ref)}); err != nil {
			return html, fmt.Errorf("index.html references %s, which is missing: %w", ref, err)
		}
	}
	return html, nil
}
