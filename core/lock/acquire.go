package lock

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Lock is a held deploy lock.
type Lock struct {
	// URL is s3://bucket/key of the lock object.
	URL string `json:"url"`
	// Info is what was written.
	Info Info `json:"info"`
	// ETag of the object we wrote.
	ETag string `json:"etag"`
	// Waited is how long Acquire waited for another deploy.
	Waited time.Duration `json:"waitedNs"`

	s3c            *s3.Client
	bucket         string
	key            string
	releaseTimeout time.Duration
}

// Text is one line for people.
func (l *Lock) Text() string {
	s := fmt.Sprintf("deploy lock %s taken by %s", l.URL, l.Info.Describe(l.Info.Started))
	if l.Waited > 0 {
		s += fmt.Sprintf(" after waiting %s", l.Waited.Round(time.Second))
	}
	return s + "\n"
}

// Acquire takes the lock: PutObject with If-None-Match: * (S3 answers 412 when the object
// exists). While another deploy holds it, Acquire polls every opts.Poll until opts.Timeout, printing
// a line to opts.Progress each time the holder changes, then returns a *HeldError naming the holder.
// info.ID is generated when empty and info.Started defaults to now.
func Acquire(ctx context.Context, s3c *s3.Client, opts Options, info Info) (*Lock, error) {
	if opts.Bucket == "" {
		return nil, errors.New("deploy lock: no bucket given (the OpenTofu state bucket)")
	}
	if info.Holder == "" {
		return nil, errors.New("deploy lock: holder is required (who deploys: user or CI actor)")
	}
	if opts.Poll <= 0 {
		opts.Poll = 10 * time.Second
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	if info.ID == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("deploy lock: random id: %v", err)
		}
		info.ID = hex.EncodeToString(b)
	}
	if info.Started.IsZero() {
		info.Started = time.Now().UTC().Truncate(time.Second)
	}
	body, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return nil, err
	}
	key := opts.key()
	begin := time.Now()
	deadline := begin.Add(opts.Timeout)
	lastHolder := ""
	for {
		out, err := s3c.PutObject(ctx, &s3.PutObjectInput{
			Bucket:      aws.String(opts.Bucket),
			Key:         aws.String(key),
			Body:        bytes.NewReader(body),
			ContentType: aws.String("application/json"),
			// Encrypted like everything in the state bucket (a bucket policy may demand it).
			ServerSideEncryption: s3types.ServerSideEncryptionAes256,
			IfNoneMatch:          aws.String("*"),
		})
		if err == nil {
			return &Lock{URL: opts.url(), Info: info, ETag: aws.ToString(out.ETag), Waited: time.Since(begin),
				s3c: s3c, bucket: opts.Bucket, key: key, releaseTimeout: opts.ReleaseTimeout}, nil
		}
		switch errorCode(err) {
		case "PreconditionFailed", "ConditionalRequestConflict":
		default:
			return nil, fmt.Errorf("deploy lock: write %s: %s", opts.url(), errorLine(err))
		}
		holder, _, found, rerr := readLock(ctx, s3c, opts.Bucket, key)
		if rerr != nil {
			return nil, rerr
		}
		if !found {
			continue // released between our put and our read: try again at once
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return nil, &HeldError{URL: opts.url(), Holder: holder, Waited: time.Since(begin)}
		}
		if holder.ID != lastHolder {
			lastHolder = holder.ID
			fmt.Fprintf(progress, "deploy lock %s held by %s; waiting up to %s\n",
				opts.url(), holder.Describe(time.Now()), remaining.Round(time.Second))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("deploy lock: gave up waiting for %s: %w", opts.url(), ctx.Err())
		case <-time.After(min(opts.Poll, remaining)):
		}
	}
}
