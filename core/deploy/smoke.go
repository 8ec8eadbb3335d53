package deploy

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/smoke"
)

// smokeStage checks that the new release answers: by default the API through the ALB, naming the
// release's commit (smoke.ReleaseHeader), and the SPA through CloudFront serving the release's entry
// (Ports.Smoke replaces it where nothing serves HTTP).
func (d *Deployment) smokeStage(ctx context.Context) (string, error) {
	index, err := d.releasedIndex(ctx)
	if err != nil {
		return "", err
	}
	entry, err := smoke.EntryFile(index)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	if d.rec.Bundle != nil {
		d.rec.Bundle.Entry = entry
	}
	d.mu.Unlock()
	check := d.ports.Smoke
	if check == nil {
		check = func(ctx context.Context, t smoke.Target) (string, error) {
			return smoke.HTTP(ctx, t, smoke.WithProgress(d.progress(ctx)))
		}
	}
	return check(ctx, smoke.Target{APIURL: d.backend.APIURL, ClientURL: d.frontend.ClientURL, Entry: entry,
		ClientBucket: d.frontend.ClientBucket, Release: d.cfg.GitSHA, Image: d.Image(),
		Cluster: d.backend.ClusterName, Services: []string{d.backend.APIServiceName, d.backend.WorkerServiceName}})
}

// releasedIndex is the index.html the release stage uploaded, or — when the release was not
// selected (deploy --stages smoke) — the one in the client bucket.
func (d *Deployment) releasedIndex(ctx context.Context) ([]byte, error) {
	d.mu.Lock()
	bundle := d.bundle
	d.mu.Unlock()
	if bundle != "" {
		return os.ReadFile(filepath.Join(bundle, "index.html"))
	}
	return ReadObject(ctx, d.ports.S3, d.frontend.ClientBucket, "index.html")
}

// ReadObject reads one S3 object whole.
func ReadObject(ctx context.Context, c *s3.Client, bucket, key string) ([]byte, error) {
	obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	defer obj.Body.Close()
	return io.ReadAll(obj.Body)
}
