package lock

import (
	"context"
	"errors"
	"net"
	"time"

	"bookme-deploy/core/awsretry"
)

// DefaultReleaseTimeout is how long Release and ForceUnlock keep retrying transient failures when
// Options.ReleaseTimeout is zero.
const DefaultReleaseTimeout = 2 * time.Minute

// releaseBackoff is the wait between two release attempts: doubles from 250 ms up to 10 s, never
// past the deadline.
var releaseBackoff = awsretry.Backoff{First: 250 * time.Millisecond, Max: 10 * time.Second}

// callError is an S3 failure already worded for people; it keeps the SDK error for
// awsretry.Transient.
type callError struct {
	line string
	err  error
}

func (e *callError) Error() string { return e.line }
func (e *callError) Unwrap() error { return e.err }

// retryTransient runs step (see awsretry.Until) on the wall clock until timeout
// (DefaultReleaseTimeout when zero) has passed. An HTTP client timeout (no answer in time: the
// request may or may not have acted) is retried too while ctx itself is live: awsretry.Transient
// cannot tell it from ctx's own deadline, as both wrap context.DeadlineExceeded.
func retryTransient(ctx context.Context, timeout time.Duration, step func(attempt int) error) error {
	if timeout <= 0 {
		timeout = DefaultReleaseTimeout
	}
	return awsretry.Until(ctx, time.Now().Add(timeout), releaseBackoff, nil, func(attempt int) error {
		err := step(attempt)
		var ne net.Error
		if err != nil && ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout() {
			return &timedOut{err: err}
		}
		return err
	})
}

// timedOut is a call that got no answer in time; retryable. It does not unwrap (the SDK error
// wraps context.DeadlineExceeded, which awsretry.Transient takes for a cancelled caller).
type timedOut struct{ err error }

func (e *timedOut) Error() string        { return e.err.Error() }
func (e *timedOut) RetryableError() bool { return true }
