package envfile

import (
	"bytes"
	"context"
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

// ApplyPush carries out p: PutObject of the content-addressed key with If-None-Match: * (an object
// is never overwritten), server-side encryption, Content-Type text/plain and the content hash in
// metadata (x-amz-meta-sha256). When the object appeared since the plan (412), it checks that it
// holds this content: then it is already there. It does nothing when p says already stored.
// Progress (one line, no values) goes to w.
func ApplyPush(ctx context.Context, s3c *s3.Client, p *PushPlan, w io.Writer) (*PushResult, error) {
	if w == nil {
		w = io.Discard
	}
	res := &PushResult{Bucket: p.Bucket, Key: p.Key, SHA256: p.SHA256, Diff: p.Diff}
	if !p.Upload {
		fmt.Fprintf(w, "env file s3://%s/%s already stored, skipped\n", p.Bucket, p.Key)
		return res, nil
	}
	if p.Body == nil || sha256Hex(p.Body) != p.SHA256 {
		return nil, fmt.Errorf("env push: the plan's content is missing or does not match its hash; render and plan again")
	}
	in := &s3.PutObjectInput{
		Bucket:               aws.String(p.Bucket),
		Key:                  aws.String(p.Key),
		Body:                 bytes.NewReader(p.Body),
		ContentType:          aws.String(ContentType),
		ServerSideEncryption: s3types.ServerSideEncryption(p.SSE),
		Metadata:             map[string]string{"sha256": p.SHA256},
		IfNoneMatch:          aws.String("*"),
	}
	if p.KMSKeyID != "" {
		in.SSEKMSKeyId = aws.String(p.KMSKeyID)
	}
	out, err := s3c.PutObject(ctx, in)
	if err != nil {
		if !alreadyExists(err) {
			return nil, fmt.Errorf("env push: write s3://%s/%s: %s", p.Bucket, p.Key, awsErrorLine(err))
		}
		body, _, rerr := readObject(ctx, s3c, p.Bucket, p.Key)
		if rerr != nil {
			return nil, rerr
		}
		if body == nil || sha256Hex(body) != p.SHA256 {
			return nil, fmt.Errorf("env push: s3://%s/%s exists with other content: a content-addressed env file is never overwritten; investigate", p.Bucket, p.Key)
		}
		fmt.Fprintf(w, "env file s3://%s/%s already there (same content), skipped\n", p.Bucket, p.Key)
		return res, nil
	}
	res.Uploaded = true
	res.ETag = strings.Trim(aws.ToString(out.ETag), `"`)
	res.VersionID = aws.ToString(out.VersionId)
	fmt.Fprintf(w, "env file s3://%s/%s uploaded (%s; %s)\n", p.Bucket, p.Key, p.Reason, p.SSE)
	return res, nil
}

// alreadyExists says whether a conditional PutObject (If-None-Match: *) was refused because the key
// exists (412 PreconditionFailed) or a concurrent write of it was in flight (409).
func alreadyExists(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict":
			return true
		}
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode() == 412 || re.HTTPStatusCode() == 409
	}
	return false
}

// Text says what happened in one line.
func (r *PushResult) Text() string {
	if !r.Uploaded {
		return fmt.Sprintf("env file s3://%s/%s: already stored, nothing uploaded\n", r.Bucket, r.Key)
	}
	return fmt.Sprintf("env file s3://%s/%s: uploaded sha256 %s (%s)\n", r.Bucket, r.Key, shortHash(r.SHA256), r.Diff.Summary())
}
