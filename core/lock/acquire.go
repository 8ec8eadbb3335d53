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
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Lock is a held deploy lock. While it is held a heartbeat renews its expiry (see Options.Heartbeat);
// Release stops the heartbeat and deletes the lock.
type Lock struct {
	// URL is s3://bucket/key of the lock object.
	URL string `json:"url"`
	// Info is what was written when the lock was taken (renewals change only its expiry: see Expires).
	Info Info `json:"info"`
	// ETag of the object when the lock was taken (each renewal writes a new one).
	ETag string `json:"etag"`
	// Waited is how long Acquire waited for another deploy.
	Waited time.Duration `json:"waitedNs"`
	// TookOver names the lapsed lock this one replaced (nil when the lock was free).
	TookOver *Info `json:"tookOver,omitempty"`

	s3c            *s3.Client
	bucket         string
	key            string
	releaseTimeout time.Duration
	ttl            time.Duration

	mu      sync.Mutex
	etag    string    // the object's current ETag (ours)
	expires time.Time // its current expiry
	hb      *heartbeat
	lost    chan struct{} // closed when the lock is lost
	lostErr error
}

// Text is one line for people.
func (l *Lock) Text() string {
	s := fmt.Sprintf("deploy lock %s taken by %s", l.URL, l.Info.Describe(l.Info.Started))
	if l.Waited > 0 {
		s += fmt.Sprintf(" after waiting %s", l.Waited.Round(time.Second))
	}
	if l.TookOver != nil {
		s += fmt.Sprintf(", taking over the lapsed lock of %s", l.TookOver.Describe(time.Now()))
	}
	return s + "\n"
}

// Acquire takes the lock: PutObject with If-None-Match: * (S3 answers 412 when the object
// exists). On 412 it reads the lock and judges it (Judge):
//   - ours (our put went through and only its answer was lost, the SDK's retry got the 412): held;
//   - stale (its expiry has passed: a dead deploy's): taken over with PutObject If-Match on the
//     stale lock's ETag, so of two takers exactly one wins; a progress line names the old holder;
//   - held by another deploy: Acquire polls every opts.Poll until opts.Timeout, printing a line to
//     opts.Progress each time the holder changes, then returns a *HeldError naming the holder.
//
// The lock written expires opts.TTL from now; a heartbeat renews it every opts.Heartbeat until
// Release (see Lock.Lost). info.ID is generated when empty and info.Started defaults to now.
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
	if every := opts.heartbeat(); every > 0 {
		info.Heartbeat = every.String()
	}
	key := opts.key()
	begin := time.Now()
	deadline := begin.Add(opts.Timeout)
	lastHolder := ""
	held := func(etag string, written Info, tookOver *Info) *Lock {
		l := &Lock{URL: opts.url(), Info: info, ETag: etag, Waited: time.Since(begin), TookOver: tookOver,
			s3c: s3c, bucket: opts.Bucket, key: key, releaseTimeout: opts.ReleaseTimeout, ttl: opts.ttl(),
			etag: etag, expires: written.Expires, lost: make(chan struct{})}
		l.Info.Expires = written.Expires
		if every := opts.heartbeat(); every > 0 {
			l.startHeartbeat(ctx, every, opts.OnLost)
		}
		return l
	}
	for {
		info.Expires = time.Now().UTC().Add(opts.ttl())
		etag, err := putLock(ctx, s3c, opts.Bucket, key, info, condition{ifNoneMatch: true})
		if err == nil {
			return held(etag, info, nil), nil
		}
		if !isConflict(err) {
			return nil, fmt.Errorf("deploy lock: write %s: %s", opts.url(), errorLine(err))
		}
		current, etag, found, rerr := readLock(ctx, s3c, opts.Bucket, key)
		if rerr != nil {
			return nil, rerr
		}
		now := time.Now()
		switch Judge(current, found, info.ID, now) {
		case Free:
			continue // released between our put and our read: try again at once
		case Ours:
			// Our put went through; its answer was lost and the SDK's retry met our own lock.
			return held(etag, current, nil), nil
		case Stale:
			fmt.Fprintf(progress, "deploy lock %s: the lock of %s %s (its deploy stopped renewing it); taking it over\n",
				opts.url(), current.Describe(now), current.describeExpiry(now))
			info.Expires = time.Now().UTC().Add(opts.ttl())
			newETag, err := putLock(ctx, s3c, opts.Bucket, key, info, condition{ifMatch: etag})
			if err == nil {
				old := current
				return held(newETag, info, &old), nil
			}
			if !isConflict(err) && errorCode(err) != "NoSuchKey" {
				return nil, fmt.Errorf("deploy lock: take over %s: %s", opts.url(), errorLine(err))
			}
			// Someone else took it over or removed it first, or our take-over went through with
			// its answer lost: look again at once.
			continue
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return nil, &HeldError{URL: opts.url(), Holder: current, Waited: time.Since(begin)}
		}
		if current.ID != lastHolder {
			lastHolder = current.ID
			fmt.Fprintf(progress, "deploy lock %s held by %s, %s; waiting up to %s\n",
				opts.url(), current.Describe(now), current.describeExpiry(now), remaining.Round(time.Second))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("deploy lock: gave up waiting for %s: %w", opts.url(), ctx.Err())
		case <-time.After(min(opts.Poll, remaining)):
		}
	}
}

// condition is the precondition of a lock write: create only (If-None-Match: *) or replace
// exactly the object with this ETag (If-Match).
type condition struct {
	ifNoneMatch bool
	ifMatch     string
}

// putLock writes info as the lock object under the condition and returns the new ETag.
func putLock(ctx context.Context, s3c *s3.Client, bucket, key string, info Info, c condition) (string, error) {
	body, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return "", err
	}
	in := &s3.PutObjectInput{
		Bucket:      aws.String(bucket),
		Key:         aws.String(key),
		Body:        bytes.NewReader(body),
		ContentType: aws.String("application/json"),
		// Encrypted like everything in the state bucket (a bucket policy may demand it).
		ServerSideEncryption: s3types.ServerSideEncryptionAes256,
	}
	if c.ifNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	if c.ifMatch != "" {
		in.IfMatch = aws.String(c.ifMatch)
	}
	out, err := s3c.PutObject(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// isConflict tells whether a conditional write was refused because the object is not as expected.
func isConflict(err error) bool {
	switch errorCode(err) {
	case "PreconditionFailed", "ConditionalRequestConflict":
		return true
	}
	return false
}
