package lock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/awsretry"
)

// ForceUnlock deletes the lock whoever holds it (`unlock --force`, for a dead deploy) and returns
// what it held; found=false when there was no lock. Say who forced it in the deploy record.
//
// It deletes exactly the lock object it read (If-Match on its ETag; a renewal by the same holder's
// heartbeat in between is followed): should another deploy take the lock while the force runs,
// that new lock is left in place and an error names its holder.
// Transient failures are retried until Options.ReleaseTimeout (default DefaultReleaseTimeout).
func ForceUnlock(ctx context.Context, s3c *s3.Client, opts Options) (held Info, found bool, err error) {
	return forceUnlock(ctx, s3c, opts, "")
}

// ErrHeldByAnotherRun is UnlockRun's answer when the lock is held, but not by the run it was given.
var ErrHeldByAnotherRun = errors.New("the deploy lock is held by another run")

// UnlockRun is ForceUnlock of the lock only when the CI run runURL holds it (a cancelled job's step
// that runs after the runner stopped the deploy); a lock of another run or of a local deploy is left
// in place and the answer wraps ErrHeldByAnotherRun with its holder.
func UnlockRun(ctx context.Context, s3c *s3.Client, opts Options, runURL string) (held Info, found bool, err error) {
	if runURL == "" {
		return Info{}, false, errors.New("deploy lock: no run URL given")
	}
	return forceUnlock(ctx, s3c, opts, runURL)
}

// forceUnlock removes the lock; with runURL set, only a lock that run holds.
func forceUnlock(ctx context.Context, s3c *s3.Client, opts Options, runURL string) (held Info, found bool, err error) {
	if opts.Bucket == "" {
		return Info{}, false, errors.New("deploy lock: no bucket given (the OpenTofu state bucket)")
	}
	begin := time.Now()
	pinned := "" // ETag of the lock we decided to remove
	attempts := 0
	err = retryTransient(ctx, opts.ReleaseTimeout, func(int) error {
		attempts++
		info, etag, ok, err := readLock(ctx, s3c, opts.Bucket, opts.key())
		if err != nil {
			return err
		}
		if !ok {
			return nil // no lock, or the one we read is gone (our delete went through)
		}
		switch {
		case runURL != "" && info.RunURL != runURL:
			return fmt.Errorf("%w: %s, left in place", ErrHeldByAnotherRun, info.Describe(time.Now()))
		case pinned == "":
			pinned, held, found = etag, info, true
		case etag != pinned && info.ID != "" && info.ID == held.ID:
			// The same lock, renewed by its holder's heartbeat since we read it: still the one to remove.
			pinned = etag
		case etag != pinned:
			return fmt.Errorf("deploy lock %s was taken by %s while forcing it open; left in place (force again if that deploy is dead too)",
				opts.url(), info.Describe(time.Now()))
		}
		_, err = s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(opts.Bucket), Key: aws.String(opts.key()), IfMatch: aws.String(pinned)})
		switch {
		case err == nil:
			return nil
		case errorCode(err) == "PreconditionFailed" || errorCode(err) == "NoSuchKey":
			return &errLookAgain{line: fmt.Sprintf("deploy lock %s changed while forcing it open; check it with the lock status", opts.url())}
		}
		return &callError{line: fmt.Sprintf("deploy lock: delete %s: %s", opts.url(), errorLine(err)), err: err}
	})
	if err != nil && awsretry.Transient(err) {
		err = fmt.Errorf("%w (gave up after %d attempts in %s)", err, attempts, time.Since(begin).Round(time.Second))
	}
	return held, found, err
}
