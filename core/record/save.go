package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"bookme-deploy/core/redact"
)

// Save redacts the record in place with the context's Redactor (Record.Redact; the patterns alone
// when the context has none), writes it to s3://bucket/<Key()> (JSON, SSE AES256) and returns the
// key. It never overwrites an existing record (If-None-Match: *).
func Save(ctx context.Context, s3c *s3.Client, bucket string, r *Record) (string, error) {
	r.Redact(redact.From(ctx))
	if bucket == "" {
		return "", errors.New("deploy record: no bucket given (the config bucket)")
	}
	body, err := r.JSON()
	if err != nil {
		return "", fmt.Errorf("deploy record: %w", err)
	}
	key := r.Key()
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               aws.String(bucket),
		Key:                  aws.String(key),
		Body:                 bytes.NewReader(body),
		ContentType:          aws.String("application/json"),
		ServerSideEncryption: s3types.ServerSideEncryptionAes256,
		IfNoneMatch:          aws.String("*"),
	})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailed" {
			return "", fmt.Errorf("deploy record s3://%s/%s exists already (same start second and commit); not overwritten", bucket, key)
		}
		return "", fmt.Errorf("deploy record: write s3://%s/%s: %v", bucket, key, err)
	}
	return key, nil
}

// StepSummaryEnv is the variable GitHub Actions sets to the job-summary file.
const StepSummaryEnv = "GITHUB_STEP_SUMMARY"

// AppendStepSummary appends the record's Markdown to the file named by $GITHUB_STEP_SUMMARY and
// reports whether it did; it does nothing when the variable is unset. That is always the case inside
// the Dagger module, which runs in a container and never sees the runner's environment: there the
// workflow tees the deploy's output into the job summary instead. It is for a process run directly
// on the runner.
func AppendStepSummary(r *Record) (bool, error) {
	path := strings.TrimSpace(os.Getenv(StepSummaryEnv))
	if path == "" {
		return false, nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return false, fmt.Errorf("deploy record: open %s (%s): %w", StepSummaryEnv, path, err)
	}
	if _, err := f.WriteString(r.Markdown() + "\n"); err != nil {
		f.Close()
		return false, fmt.Errorf("deploy record: write %s: %w", StepSummaryEnv, err)
	}
	return true, f.Close()
}
