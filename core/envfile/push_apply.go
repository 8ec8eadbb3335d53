package envfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// PushResult says what ApplyPush did.
type PushResult struct {
	Bucket   string `json:"bucket"`
	Key      string `json:"key"`
	Uploaded bool   `json:"uploaded"`
	SHA256   string `json:"sha256"`
	// ETag and VersionID of the object written (empty when skipped or unversioned).
	ETag      string  `json:"etag,omitempty"`
	VersionID string  `json:"versionId,omitempty"`
	Diff      KeyDiff `json:"diff"`
}

// ApplyPush carries out p: PutObject with server-side encryption, Content-Type text/plain and
// the content hash in metadata (x-amz-meta-sha256). It does nothing when p says unchanged and
// refuses when the object changed since p was made. Progress (one line, no values) goes to w.
func ApplyPush(ctx context.Context, s3c *s3.Client, p *PushPlan, w io.Writer) (*PushResult, error) {
	if w == nil {
		w = io.Discard
	}
	res := &PushResult{Bucket: p.Bucket, Key: p.Key, SHA256: p.SHA256, Diff: p.Diff}
	if !p.Upload {
		fmt.Fprintf(w, "env file s3://%s/%s unchanged, skipped\n", p.Bucket, p.Key)
		return res, nil
	}
	sum := sha256.Sum256(p.Body)
	if p.Body == nil || hex.EncodeToString(sum[:]) != p.SHA256 {
		return nil, fmt.Errorf("env push: the plan's content is missing or does not match its hash; render and plan again")
	}
	if err := checkUnchangedSincePlan(ctx, s3c, p); err != nil {
		return nil, err
	}
	in := &s3.PutObjectInput{
		Bucket:               aws.String(p.Bucket),
		Key:                  aws.String(p.Key),
		Body:                 bytes.NewReader(p.Body),
		ContentType:          aws.String(ContentType),
		ServerSideEncryption: s3types.ServerSideEncryption(p.SSE),
		Metadata:             map[string]string{"sha256": p.SHA256},
	}
	if p.KMSKeyID != "" {
		in.SSEKMSKeyId = aws.String(p.KMSKeyID)
	}
	out, err := s3c.PutObject(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("env push: write s3://%s/%s: %s", p.Bucket, p.Key, awsErrorLine(err))
	}
	res.Uploaded = true
	res.ETag = strings.Trim(aws.ToString(out.ETag), `"`)
	res.VersionID = aws.ToString(out.VersionId)
	fmt.Fprintf(w, "env file s3://%s/%s uploaded (%s; %s)\n", p.Bucket, p.Key, p.Reason, p.SSE)
	return res, nil
}

func checkUnchangedSincePlan(ctx context.Context, s3c *s3.Client, p *PushPlan) error {
	head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(p.Bucket), Key: aws.String(p.Key)})
	current := ""
	if err != nil {
		var ae smithy.APIError
		var nf *s3types.NotFound
		if !errors.As(err, &nf) && !(errors.As(err, &ae) && ae.ErrorCode() == "NotFound") {
			return fmt.Errorf("env push: check s3://%s/%s: %s", p.Bucket, p.Key, awsErrorLine(err))
		}
	} else {
		current = aws.ToString(head.ETag)
	}
	if current != p.RemoteETag {
		return fmt.Errorf("env push: s3://%s/%s changed since the plan was made; plan again", p.Bucket, p.Key)
	}
	return nil
}

// Text says what happened in one line.
func (r *PushResult) Text() string {
	if !r.Uploaded {
		return fmt.Sprintf("env file s3://%s/%s: unchanged, nothing uploaded\n", r.Bucket, r.Key)
	}
	return fmt.Sprintf("env file s3://%s/%s: uploaded sha256 %s (%s)\n", r.Bucket, r.Key, shortHash(r.SHA256), r.Diff.Summary())
}
