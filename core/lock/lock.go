// Package lock is the deploy lock: one JSON object per environment in the OpenTofu state bucket
// (deploy/<env>/lock.json, see KeyFor) created with a conditional put (If-None-Match: *), so that of
// two deploys starting together exactly one gets it. The state bucket exists before the first deploy
// (it holds the stacks' state); the config bucket is a base-stack output, so it cannot hold a lock
// taken before tofu base runs. The object says who holds the lock, for which commit, since when
// and from which CI run; a second deploy waits up to a timeout and then refuses, naming the holder.
//
// OpenTofu's own state lock stays on; this lock covers the whole release (image, env file,
// rollout, SPA), which no state lock sees.
package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// DefaultKey is the lock object's key when Options.Key is empty. The pipeline does not use it: it
// locks each environment on its own, at KeyFor(env).
const DefaultKey = "deploy/lock.json"

// KeyFor is the key of an environment's deploy lock in the state bucket: deploy/<env>/lock.json.
func KeyFor(env string) string { return "deploy/" + env + "/lock.json" }

// Info is the content of the lock object.
type Info struct {
	// ID is a random token chosen by the acquirer; Release deletes only a lock with our ID.
	ID string `json:"id"`
	// Holder names who deploys, as the caller was told (--who): a person, or the CI actor the
	// workflow passes. Nothing here reads the runner's environment.
	Holder string `json:"holder"`
	// GitSHA is the commit being deployed.
	GitSHA string `json:"gitSha"`
	// Started is when the lock was taken (UTC).
	Started time.Time `json:"started"`
	// RunURL links to the CI run, empty for a local deploy.
	RunURL string `json:"runUrl,omitempty"`
	// Expires is when the lock lapses unless renewed (UTC): the time of the last write plus the
	// TTL. Zero in lock objects written before locks expired (see ExpiresAt).
	Expires time.Time `json:"expires,omitempty"`
	// Heartbeat is how often the holder renews the lock (a Go duration, e.g. "1m40s"); empty when it
	// does not, or in lock objects written before it was recorded. Alive reads it.
	Heartbeat string `json:"heartbeat,omitempty"`
}

// LegacyTTL is how long a lock without an expiry (written by a version before expiring locks,
// which never renews it) counts as held after its Started time: far longer than any deploy, so a
// lock that old belongs to a dead deploy. A lock with neither an expiry nor a start time never
// lapses: `unlock --force` removes it.
const LegacyTTL = 6 * time.Hour

// ExpiresAt is when the lock lapses: Expires, or Started+LegacyTTL for a lock without an expiry;
// ok=false when neither is known (the lock never lapses on its own).
func (i Info) ExpiresAt() (at time.Time, ok bool) {
	switch {
	case !i.Expires.IsZero():
		return i.Expires, true
	case !i.Started.IsZero():
		return i.Started.Add(LegacyTTL), true
	}
	return time.Time{}, false
}

// Expired tells whether the lock has lapsed at now (its holder stopped renewing it).
func (i Info) Expired(now time.Time) bool {
	at, ok := i.ExpiresAt()
	return ok && !now.Before(at)
}

// Verdict is what a lock object found in the bucket means to an acquirer.
type Verdict int

const (
	// Free: there is no lock object.
	Free Verdict = iota
	// Ours: the object carries our ID: we hold it (our put went through, perhaps with its answer lost).
	Ours
	// HeldByOther: another deploy holds it and it has not expired: wait.
	HeldByOther
	// Stale: another deploy's lock whose expiry has passed: take it over.
	Stale
)

// String names the verdict.
func (v Verdict) String() string {
	return [...]string{"free", "ours", "held by another deploy", "stale"}[v]
}

// Judge decides what a lock read from the bucket (found=false: no object) means to the deploy
// whose lock ID is ours, at now.
func Judge(current Info, found bool, ours string, now time.Time) Verdict {
	switch {
	case !found:
		return Free
	case ours != "" && current.ID == ours:
		return Ours
	case current.Expired(now):
		return Stale
	}
	return HeldByOther
}

// Describe renders the holder for messages: "alice (git 0123456789ab) since 2026-… (run URL)".
func (i Info) Describe(now time.Time) string {
	s := fmt.Sprintf("%s (git %s) since %s", orUnknown(i.Holder), shortSHA(i.GitSHA), i.Started.UTC().Format(time.RFC3339))
	if !i.Started.IsZero() && now.After(i.Started) {
		s += fmt.Sprintf(" (%s ago)", now.Sub(i.Started).Round(time.Second))
	}
	if i.RunURL != "" {
		s += ", run " + i.RunURL
	}
	return s
}

// describeExpiry says when the lock lapses(d), relative to now: "expires 2026-… (in 4m0s)",
// "expired 2026-… (1m0s ago)", "no expiry (older lock format) …".
func (i Info) describeExpiry(now time.Time) string {
	at, ok := i.ExpiresAt()
	if !ok {
		return "never expires (no expiry, no start time): remove it with `unlock --force` if its deploy is dead"
	}
	legacy := ""
	if i.Expires.IsZero() {
		legacy = fmt.Sprintf(" (older lock without expiry: %s after its start)", LegacyTTL)
	}
	if now.Before(at) {
		return fmt.Sprintf("expires %s (in %s)%s", at.UTC().Format(time.RFC3339), at.Sub(now).Round(time.Second), legacy)
	}
	return fmt.Sprintf("expired %s (%s ago)%s", at.UTC().Format(time.RFC3339), now.Sub(at).Round(time.Second), legacy)
}

// Options says where the lock lives and how long to wait for it.
type Options struct {
	// Bucket is the OpenTofu state bucket.
	Bucket string
	// Key of the lock object, KeyFor(env) in the pipeline; DefaultKey when empty.
	Key string
	// Poll is the wait between attempts while another deploy holds the lock (default 10 s).
	Poll time.Duration
	// Timeout is how long Acquire waits in all; 0 means one attempt, no waiting.
	Timeout time.Duration
	// Progress receives one line each time the holder changes while waiting (nil: discard).
	Progress io.Writer
	// ReleaseTimeout bounds how long Release and ForceUnlock retry transient failures (connection
	// resets, 5xx, throttling) after the SDK's own attempts gave up (default DefaultReleaseTimeout).
	ReleaseTimeout time.Duration
	// TTL is how long the lock lives without a renewal (default DefaultTTL): a deploy that dies
	// holding it blocks others for at most this long.
	TTL time.Duration
	// Heartbeat is the interval between renewals, which start when Acquire succeeds and stop at
	// Release (default TTL/3; negative: no heartbeat, the lock lapses after TTL).
	Heartbeat time.Duration
	// OnLost, when set, is called once (from the heartbeat's goroutine) when the lock is lost: a
	// renewal found it taken over or forced open, or no renewal got through before it expired. The
	// error is a *LostError. Lock.Lost and Lock.Err tell the same.
	OnLost func(error)
}

// DefaultTTL is Options.TTL when zero.
const DefaultTTL = 5 * time.Minute

func (o Options) ttl() time.Duration {
	if o.TTL <= 0 {
		return DefaultTTL
	}
	return o.TTL
}

func (o Options) heartbeat() time.Duration {
	switch {
	case o.Heartbeat < 0:
		return 0
	case o.Heartbeat == 0:
		return o.ttl() / 3
	}
	return o.Heartbeat
}

func (o Options) key() string {
	if o.Key == "" {
		return DefaultKey
	}
	return o.Key
}

func (o Options) url() string { return "s3://" + o.Bucket + "/" + o.key() }

// HeldError is returned when another deploy holds the lock past the timeout.
type HeldError struct {
	// URL is s3://bucket/key of the lock.
	URL string
	// Holder is the lock's content at the last look.
	Holder Info
	// Waited is how long Acquire waited.
	Waited time.Duration
}

// Error names the holder and says what to do.
func (e *HeldError) Error() string {
	return fmt.Sprintf("deploy lock %s is held by %s; waited %s. Retry when that deploy ends, or run `unlock --force` if it is dead",
		e.URL, e.Holder.Describe(time.Now()), e.Waited.Round(time.Second))
}

// lockRead is one read of the lock object.
type lockRead struct {
	info          Info
	etag          string
	found         bool
	modified, now time.Time // the object's LastModified and the answer's Date (server clock; zero if absent)
}

// readLock returns the lock's content and ETag; found=false when there is no lock.
func readLock(ctx context.Context, s3c *s3.Client, bucket, key string) (info Info, etag string, found bool, err error) {
	r, err := readLockAt(ctx, s3c, bucket, key)
	return r.info, r.etag, r.found, err
}

// readLockAt reads the lock with one GET: its content, its ETag, and when it was last written as
// the server's clock tells both (LastModified and the answer's Date).
func readLockAt(ctx context.Context, s3c *s3.Client, bucket, key string) (lockRead, error) {
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) {
			return lockRead{}, nil
		}
		return lockRead{}, &callError{line: fmt.Sprintf("deploy lock: read s3://%s/%s: %s", bucket, key, errorLine(err)), err: err}
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, 64<<10))
	if err != nil {
		return lockRead{}, &callError{line: fmt.Sprintf("deploy lock: read s3://%s/%s: %v", bucket, key, err), err: err}
	}
	r := lockRead{etag: aws.ToString(out.ETag), found: true, modified: aws.ToTime(out.LastModified)}
	if err := json.Unmarshal(body, &r.info); err != nil {
		// A lock we cannot read is still a lock: report it as held by an unknown holder.
		r.info = Info{Holder: "unreadable lock object"}
	}
	if raw, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response); ok {
		if d, err := http.ParseTime(raw.Header.Get("Date")); err == nil {
			r.now = d
		}
	}
	return r, nil
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func errorLine(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func shortSHA(s string) string {
	if s == "" {
		return "unknown"
	}
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
