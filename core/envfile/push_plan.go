package envfile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// ContentType is the Content-Type of a pushed env file.
const ContentType = "text/plain"

// Server-side encryption modes a push may use.
const (
	SSES3  = "AES256"
	SSEKMS = "aws:kms"
)

// PushInput says what to push where.
type PushInput struct {
	// Bucket is the private config bucket (an OpenTofu output).
	Bucket string
	// Environment names the file: service-config/api/<Environment>.env.
	Environment string
	// Rendered is the output of Render.
	Rendered *Rendered
	// SSE is AES256 (default when empty) or aws:kms.
	SSE string
	// KMSKeyID is the KMS key for aws:kms (empty = the bucket's / AWS-managed key).
	KMSKeyID string
}

// PushPlan says what ApplyPush would do. It carries a hash of the content, never the values.
type PushPlan struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	// Upload is false when the object already holds exactly this content with this encryption.
	Upload bool `json:"upload"`
	// Reason says why (new object, content changed, encryption differs, unchanged).
	Reason string `json:"reason"`
	// Diff lists the key names added, removed or changed against the object in the bucket.
	Diff     KeyDiff `json:"diff"`
	SHA256   string  `json:"sha256"`
	SSE      string  `json:"sse"`
	KMSKeyID string  `json:"kmsKeyId,omitempty"`
	// RemoteETag is the ETag of the object at plan time ("" when absent); ApplyPush refuses to
	// overwrite an object that changed since.
	RemoteETag string `json:"remoteETag,omitempty"`
	// Body is the env file to upload (not in JSON).
	Body []byte `json:"-"`
}

var envNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// ObjectKey returns the bucket key of an environment's env file: service-config/api/<env>.env.
func ObjectKey(environment string) string {
	return "service-config/api/" + environment + ".env"
}

// PlanPush reads the current object (if any) and plans the upload; it writes nothing.
func PlanPush(ctx context.Context, s3c *s3.Client, in PushInput) (*PushPlan, error) {
	if in.Bucket == "" {
		return nil, errors.New("env push: no config bucket given")
	}
	if !envNameRE.MatchString(in.Environment) {
		return nil, fmt.Errorf("env push: environment %q must be lower-case letters, digits and '-'", in.Environment)
	}
	if in.Rendered == nil {
		return nil, errors.New("env push: nothing rendered; call Render first")
	}
	sse := in.SSE
	if sse == "" {
		sse = SSES3
	}
	if sse != SSES3 && sse != SSEKMS {
		return nil, fmt.Errorf("env push: encryption %q is not supported (use AES256 or aws:kms)", sse)
	}
	if in.KMSKeyID != "" && sse != SSEKMS {
		return nil, errors.New("env push: a KMS key id needs encryption aws:kms")
	}
	p := &PushPlan{
		Bucket: in.Bucket, Key: ObjectKey(in.Environment), SSE: sse, KMSKeyID: in.KMSKeyID,
		SHA256: in.Rendered.SHA256, Body: in.Rendered.EnvFile,
	}
	newFile := &File{}
	if parsed, err := Parse(in.Rendered.EnvFile); err == nil {
		newFile = parsed
	}
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(p.Bucket), Key: aws.String(p.Key)})
	if err != nil {
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) {
			p.Upload, p.Reason = true, "new object"
			p.Diff = DiffKeys(nil, newFile)
			return p, nil
		}
		return nil, fmt.Errorf("env push: read s3://%s/%s: %s", p.Bucket, p.Key, awsErrorLine(err))
	}
	defer out.Body.Close()
	old, err := io.ReadAll(io.LimitReader(out.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("env push: read s3://%s/%s: %v", p.Bucket, p.Key, err)
	}
	p.RemoteETag = aws.ToString(out.ETag)
	oldFile, perr := Parse(old)
	if perr != nil {
		oldFile = nil
	}
	p.Diff = DiffKeys(oldFile, newFile)
	sum := sha256.Sum256(old)
	var reasons []string
	if hex.EncodeToString(sum[:]) != p.SHA256 {
		reasons = append(reasons, "content changed ("+p.Diff.Summary()+")")
	}
	if got := string(out.ServerSideEncryption); got != sse {
		reasons = append(reasons, fmt.Sprintf("encryption %s → %s", orNone(got), sse))
	} else if sse == SSEKMS && in.KMSKeyID != "" && !strings.HasSuffix(aws.ToString(out.SSEKMSKeyId), in.KMSKeyID) {
		reasons = append(reasons, "KMS key differs")
	}
	if ct := aws.ToString(out.ContentType); ct != ContentType {
		reasons = append(reasons, fmt.Sprintf("content type %s → %s", orNone(ct), ContentType))
	}
	if len(reasons) == 0 {
		p.Reason = "unchanged"
		return p, nil
	}
	p.Upload, p.Reason = true, strings.Join(reasons, "; ")
	return p, nil
}

// Text is the dry-run form: the object, whether it would be uploaded and why, and the key diff.
func (p *PushPlan) Text() string {
	var b strings.Builder
	if !p.Upload {
		fmt.Fprintf(&b, "env file s3://%s/%s: unchanged (sha256 %s), skip\n", p.Bucket, p.Key, shortHash(p.SHA256))
		return b.String()
	}
	fmt.Fprintf(&b, "env file s3://%s/%s: upload (%s), SSE %s, sha256 %s\n", p.Bucket, p.Key, p.Reason, p.SSE, shortHash(p.SHA256))
	fmt.Fprintf(&b, "  added: %s\n  removed: %s\n  changed: %s\n",
		joinOrNone(p.Diff.Added), joinOrNone(p.Diff.Removed), joinOrNone(p.Diff.Changed))
	return b.String()
}

// ObjectARN is the value for a container definition's environmentFiles[].value.
func (p *PushPlan) ObjectARN() string {
	return "arn:aws:s3:::" + p.Bucket + "/" + p.Key
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// awsErrorLine turns an SDK error into one line: the API error code and message when there is one.
func awsErrorLine(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := ae.ErrorMessage()
		if msg == "" {
			return ae.ErrorCode()
		}
		return ae.ErrorCode() + ": " + msg
	}
	return err.Error()
}
