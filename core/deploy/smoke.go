package deploy

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/smoke"
	"bookme-deploy/core/stack"
)

// smokeStage checks that the new release answers: by default the API through the ALB, naming the
// release's commit (smoke.ReleaseHeader; unless App.Smoke.AnyRelease), and the SPA through CloudFront
// serving the release's entry (Ports.Smoke replaces it where nothing serves HTTP). What is fetched
// and expected is App.Smoke's, the waits Timeouts.Smoke*.
func (d *Deployment) smokeStage(ctx context.Context) (string, error) {
	index, err := d.releasedIndex(ctx)
	if err != nil {
		return "", err
	}
	t, err := SmokeTarget(d.cfg, index, d.frontend.ClientURL, d.frontend.ClientBucket, d.backend)
	if err != nil {
		return "", err
	}
	t.Image = d.Image()
	d.mu.Lock()
	if d.rec.Bundle != nil {
		d.rec.Bundle.Entry = t.Entry
	}
	d.mu.Unlock()
	check := d.ports.Smoke
	if check == nil {
		check = func(ctx context.Context, t smoke.Target) (string, error) {
			return smoke.HTTP(ctx, t, SmokeOptions(d.timeouts, d.progress(ctx))...)
		}
	}
	return check(ctx, t)
}

// SmokeTarget is what a release's smoke check looks at: the API's URL with App.Smoke's path, status
// and body; the client's URL with App.Smoke.SPAPath and the entry the released index.html names
// (found the way App.Smoke.SPAEntry says); the release's commit, demanded unless AnyRelease.
func SmokeTarget(cfg Config, index []byte, clientURL, clientBucket string, b *stack.Backend) (smoke.Target, error) {
	s := cfg.App.Smoke
	entry, err := smoke.EntryFileOf(index, s.SPAEntry)
	if err != nil {
		return smoke.Target{}, err
	}
	t := smoke.Target{APIURL: b.APIURL, APIPath: s.APIPath, APIStatus: s.APIStatus, APIBodyContains: s.APIBodyContains,
		ClientURL: clientURL, Entry: entry, EntryKind: s.SPAEntry, ClientBucket: clientBucket,
		Release: cfg.GitSHA, AnyRelease: s.AnyRelease,
		Cluster: b.ClusterName, Services: []string{b.APIServiceName, b.WorkerServiceName}}
	if p := strings.TrimLeft(s.SPAPath, "/"); p != "" {
		t.ClientURL = strings.TrimRight(clientURL, "/") + "/" + p
	}
	return t, nil
}

// SmokeOptions are the HTTP checks' waits: each check retries for Timeouts.Smoke, pausing
// SmokePoll, each attempt bounded by SmokeRequest.
func SmokeOptions(t Timeouts, progress io.Writer) []smoke.Option {
	t = t.withDefaults()
	return []smoke.Option{smoke.WithRetryFor(t.Smoke), smoke.WithInterval(t.SmokePoll),
		smoke.WithRequestTimeout(t.SmokeRequest), smoke.WithProgress(progress)}
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
