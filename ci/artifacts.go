package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"dagger/bookme/internal/dagger"
)

// syncBuffer collects progress lines from parallel steps.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// collectArtifacts gathers what a dry-run produced into one directory.
func collectArtifacts(ctx context.Context, d *deployment, report, progress string, reg *emulatedECR) (*dagger.Directory, error) {
	dir, err := scratchDir("artifacts-")
	if err != nil {
		return nil, err
	}
	write := func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o644)
	}
	if err := write("report.md", []byte(report)); err != nil {
		return nil, err
	}
	if err := write("progress.log", []byte(progress)); err != nil {
		return nil, err
	}
	rec, err := d.rec.JSON()
	if err != nil {
		return nil, err
	}
	if err := write("record.json", rec); err != nil {
		return nil, err
	}
	// Every object of the state bucket (OpenTofu states, lock leftovers) and the config bucket.
	for _, bucket := range []string{d.tofu.stateBucket, d.base.ConfigBucket} {
		var token *string
		for {
			page, err := d.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ContinuationToken: token})
			if err != nil {
				return nil, fmt.Errorf("artifacts: list %s: %w", bucket, err)
			}
			for _, o := range page.Contents {
				obj, err := d.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
				if err != nil {
					return nil, err
				}
				data, err := io.ReadAll(obj.Body)
				obj.Body.Close()
				if err != nil {
					return nil, err
				}
				if err := write(filepath.Join("buckets", bucket, aws.ToString(o.Key)), data); err != nil {
					return nil, err
				}
			}
			if !aws.ToBool(page.IsTruncated) {
				break
			}
			token = page.NextContinuationToken
		}
	}
	out := dag.Directory().WithDirectory("/", hostDir(dir)).WithDirectory("bundle", hostDir(d.bundle))
	if reg != nil && reg.layout != "" {
		out = out.WithDirectory("image", hostDir(reg.layout))
	}
	return out, nil
}

// scratchDir makes a directory in this module's scratch working directory, so that files written
// there can be handed back to the engine (CurrentModule.workdir).
func scratchDir(prefix string) (string, error) {
	return os.MkdirTemp(".", prefix)
}

func hostDir(path string) *dagger.Directory {
	return dag.CurrentModule().Workdir(filepath.Clean(path))
}

func hostFile(path string) *dagger.File {
	return dag.CurrentModule().WorkdirFile(filepath.Clean(path))
}
