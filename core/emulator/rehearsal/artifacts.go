package rehearsal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/deploy"
)

// Artifacts writes what a rehearsal produced into dir, for inspection and the secret-leak scan:
// report.md, progress.log, record.json and every object of the given buckets (buckets/<bucket>/<key>).
func Artifacts(ctx context.Context, c *s3.Client, dir, report, progress string, d *deploy.Deployment, buckets ...string) error {
	write := func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o644)
	}
	rec, err := d.Record().JSON()
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"report.md": []byte(report), "progress.log": []byte(progress), "record.json": rec} {
		if err := write(name, data); err != nil {
			return err
		}
	}
	for _, bucket := range buckets {
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("artifacts: list %s: %w", bucket, err)
			}
			for _, o := range page.Contents {
				data, err := deploy.ReadObject(ctx, c, bucket, aws.ToString(o.Key))
				if err != nil {
					return err
				}
				if err := write(filepath.Join("buckets", bucket, aws.ToString(o.Key)), data); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
