package lock

import (
	"context"
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
// (DefaultReleaseTimeout when zero) has passed.
func retryTransient(ctx context.Context, timeout time.Duration, step func(attempt int) error) error {
	if timeout <= 0 {
		timeout = DefaultReleaseTimeout
	}
	return awsretry.Until(ctx, time.Now().Add(timeout), releaseBackoff, nil, step)
}
