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

// ErrNotHeld is returned by Release when the lock object is gone (someone forced it open).
var ErrNotHeld = errors.New("deploy lock: the lock is no longer there (forced open?); nothing released")

// errLookAgain says a conditional delete found the object changed or gone: read it again before
// deciding (our own earlier delete may have gone through with its answer lost). The SDK's retry
// checks see it as retryable, so retryTransient loops at once.
type errLookAgain struct{ line string }

func (e *errLookAgain) Error() string        { return e.line }
func (e *errLookAgain) RetryableError() bool { return true }

// Release stops the heartbeat, then deletes the lock if it is still ours: it reads the object, compares its ID with ours,
// and deletes with If-Match on the ETag read, so a lock taken over in between is never removed.
// Transient failures (connection resets, 5xx, throttling) are retried, read and delete again,
// until Options.ReleaseTimeout (default DefaultReleaseTimeout) has passed.
// Call it with a context that is not cancelled by the deploy's failure (context.WithoutCancel).
func (l *Lock) Release(ctx context.Context) error {
	l.stopHeartbeat()
	begin := time.Now()
	tried := false // a delete was sent: if the lock is gone now, that delete went through
	attempts := 0
	err := retryTransient(ctx, l.releaseTimeout, func(int) error {
		attempts++
		current, etag, found, err := readLock(ctx, l.s3c, l.bucket, l.key)
		if err != nil {
			return err
		}
		if !found {
			if tried {
				return nil
			}
			return ErrNotHeld
		}
		if current.ID != l.Info.ID {
			return fmt.Errorf("deploy lock %s is now held by %s, not by us; left in place", l.URL, current.Describe(l.Info.Started))
		}
		tried = true
		_, err = l.s3c.DeleteObject(ctx, &s3.DeleteObjectInput{
			Bucket: aws.String(l.bucket), Key: aws.String(l.key), IfMatch: aws.String(etag),
		})
		switch {
		case err == nil:
			return nil
		case errorCode(err) == "PreconditionFailed" || errorCode(err) == "NoSuchKey":
			return &errLookAgain{line: fmt.Sprintf("deploy lock %s changed while releasing; left in place, check it with the lock status", l.URL)}
		}
		return &callError{line: fmt.Sprintf("deploy lock: delete %s: %s", l.URL, errorLine(err)), err: err}
	})
	if err != nil && awsretry.Transient(err) {
		return fmt.Errorf("%w (gave up after %d attempts in %s; the lock may still be held: run `unlock --force` when no deploy runs)",
			err, attempts, time.Since(begin).Round(time.Second))
	}
	return err
}
