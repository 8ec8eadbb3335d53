package lock

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// DefaultReleaseTimeout is how long Release and ForceUnlock keep retrying transient failures when
// Options.ReleaseTimeout is zero.
const DefaultReleaseTimeout = 2 * time.Minute

// Back-off between two release attempts: doubles from the first to the cap, never past the deadline.
const (
	firstReleaseBackoff = 250 * time.Millisecond
	maxReleaseBackoff   = 10 * time.Second
)

// callError is an S3 failure already worded for people; it keeps the SDK error for isTransient.
type callError struct {
	line string
	err  error
}

func (e *callError) Error() string { return e.line }
func (e *callError) Unwrap() error { return e.err }

// isTransient tells whether err is worth another try after the SDK's own attempts gave up: a
// connection reset or timeout, a 5xx, throttling (the SDK's default retryable checks). A context
// cancellation or a definite answer from S3 (412, 404, 403 …) is not.
func isTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// retryTransient runs step until it returns nil or an error that is not transient, or until the
// deadline passes (the last error is returned). step gets the attempt number, from 1.
func retryTransient(ctx context.Context, timeout time.Duration, step func(attempt int) error) error {
	if timeout <= 0 {
		timeout = DefaultReleaseTimeout
	}
	deadline := time.Now().Add(timeout)
	wait := firstReleaseBackoff
	for attempt := 1; ; attempt++ {
		err := step(attempt)
		if err == nil || !isTransient(err) {
			return err
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return err
		}
		t := time.NewTimer(min(wait, remaining))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, maxReleaseBackoff)
	}
}
