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
	// Environment names the file: service-config/api/<Environment>/<hash>.env (ReleaseKey).
	Environment string
	// Previous is the key of the env file the running release reads (the API service's current task
	// definition's, or the previous release's): the key diff compares against it. "" compares
	// against the environment's fixed key (ObjectKey), the file before content-addressed keys.
	Previous string
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
	// Upload is false when the content-addressed object already exists (it holds exactly this
	// content: an object is never overwritten).
	Upload bool `json:"upload"`
	// Reason says why (new object, already stored).
	Reason string `json:"reason"`
	// Previous is the env file the diff compares against (the running release's).
	Previous string `json:"previous,omitempty"`
	// Diff lists the key names added, removed or changed against Previous.
	Diff     KeyDiff `json:"diff"`
	SHA256   string  `json:"sha256"`
	SSE      string  `json:"sse"`
	KMSKeyID string  `json:"kmsKeyId,omitempty"`
	// RemoteETag is the ETag of the object at Key at plan time ("" when absent).
	RemoteETag string `json:"remoteETag,omitempty"`
	// Unread says what the plan could not read (the CI plan role may not read application config:
	// the key diff is then unavailable and a stored object's content unverified).
	Unread string `json:"unread,omitempty"`
	// Body is the env file to upload (not in JSON).
	Body []byte `json:"-"`
}

var envNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// ObjectKey returns the environment's fixed env-file key, service-config/api/<env>.env: the backend
// stack's default (its template task definitions name it) and what env files were before they were
// content-addressed. Releases write ReleaseKey.
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
		Bucket: in.Bucket, Key: ReleaseKey(in.Environment, in.Rendered.SHA256), SSE: sse, KMSKeyID: in.KMSKeyID,
		SHA256: in.Rendered.SHA256, Body: in.Rendered.EnvFile, Previous: in.Previous,
	}
	if p.Previous == "" {
		p.Previous = ObjectKey(in.Environment)
	}
	newFile := &File{}
	if parsed, err := Parse(in.Rendered.EnvFile); err == nil {
		newFile = parsed
	}
	// The key diff: against the running release's env file.
	old, _, err := readObject(ctx, s3c, p.Bucket, p.Previous)
	if denied(err) {
		return planUnread(ctx, s3c, p, err)
	} else if err != nil {
		return nil, err
	}
	var oldFile *File
	if old != nil {
		if f, perr := Parse(old); perr == nil {
			oldFile = f
		}
	}
	p.Diff = DiffKeys(oldFile, newFile)
	// The content-addressed object: present means this very content is stored already.
	body, out, err := readObject(ctx, s3c, p.Bucket, p.Key)
	if denied(err) {
		return planUnread(ctx, s3c, p, err)
	} else if err != nil {
		return nil, err
	}
	if body == nil {
		p.Upload, p.Reason = true, "new object"
		if old != nil {
			p.Reason = "new object (" + p.Diff.Summary() + " against " + p.Previous + ")"
		}
		return p, nil
	}
	if got := sha256Hex(body); got != p.SHA256 {
		return nil, fmt.Errorf("env push: s3://%s/%s holds other content (sha256 %s, want %s): a content-addressed env file is never overwritten; investigate",
			p.Bucket, p.Key, shortHash(got), shortHash(p.SHA256))
	}
	p.RemoteETag = aws.ToString(out.ETag)
	p.Reason = "already stored"
	if got := string(out.ServerSideEncryption); got != sse {
		p.Reason += fmt.Sprintf(" (encryption %s, not %s: kept, never overwritten)", orNone(got), sse)
	}
	return p, nil
}

// planUnread finishes a plan made without read access to the env files: whether the release's
// object exists is learnt from a listing (s3:ListBucket), the key diff is left out. Only a plan is
// ever made so: applying needs the deploy role, which reads them.
func planUnread(ctx context.Context, s3c *s3.Client, p *PushPlan, readErr error) (*PushPlan, error) {
	p.Unread = "the env files cannot be read with these credentials (" + awsErrorLine(readErr) + "): no key diff"
	p.Diff = KeyDiff{}
	out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(p.Bucket), Prefix: aws.String(p.Key), MaxKeys: aws.Int32(1)})
	if err != nil {
		return nil, fmt.Errorf("env push: list s3://%s/%s: %s", p.Bucket, p.Key, awsErrorLine(err))
	}
	p.Upload, p.Reason = true, "new object"
	if len(out.Contents) > 0 && aws.ToString(out.Contents[0].Key) == p.Key {
		p.Upload, p.Reason = false, "already stored (content not verified: not readable)"
	}
	return p, nil
}

// denied reports an S3 AccessDenied (wrapped by readObject).
func denied(err error) bool {
	var ae smithy.APIError
	return err != nil && errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied"
}

// readObject reads a (small) object: nil, nil, nil when it does not exist.
func readObject(ctx context.Context, s3c *s3.Client, bucket, key string) ([]byte, *s3.GetObjectOutput, error) {
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, nil, nil
		}
		return nil, nil, &readError{bucket: bucket, key: key, err: err}
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("env push: read s3://%s/%s: %v", bucket, key, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, out, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Text is the dry-run form: the object, whether it would be uploaded and why, and the key diff.
func (p *PushPlan) Text() string {
	var b strings.Builder
	if !p.Upload {
		fmt.Fprintf(&b, "env file s3://%s/%s: %s (sha256 %s), skip\n", p.Bucket, p.Key, p.Reason, shortHash(p.SHA256))
	} else {
		fmt.Fprintf(&b, "env file s3://%s/%s: upload (%s), SSE %s, sha256 %s\n", p.Bucket, p.Key, p.Reason, p.SSE, shortHash(p.SHA256))
	}
	if p.Unread != "" {
		fmt.Fprintf(&b, "  %s\n", p.Unread)
		return b.String()
	}
	fmt.Fprintf(&b, "  against %s:\n", p.Previous)
	fmt.Fprintf(&b, "    added: %s\n    removed: %s\n    changed: %s\n",
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

// readError is one line for people, the SDK's error for errors.As (denied).
type readError struct {
	bucket, key string
	err         error
}

func (e *readError) Error() string {
	return fmt.Sprintf("env push: read s3://%s/%s: %s", e.bucket, e.key, awsErrorLine(e.err))
}
func (e *readError) Unwrap() error { return e.err }
