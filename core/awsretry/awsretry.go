// Package awsretry retries an AWS operation past the SDK's own attempts while its failure is
// transient. The SDK already retries each call a few times; the clean-up paths (releasing the deploy
// lock, rolling services back) must not give up on a network blip that outlasts those attempts, so
// they loop with Until until the failure is definite or a deadline passes.
package awsretry

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// Transient tells whether err is worth another try after the SDK's own attempts gave up: a
// connection reset or timeout, a 5xx, throttling, or any error in the chain with
// RetryableError() == true (the SDK's default retryable checks). A context cancellation or a
// definite answer (412, 404, 403, invalid parameter …) is not. Errors that wrap the SDK's error
// (Unwrap) keep its verdict.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// Backoff is the wait between two attempts: First after the first failure, doubling up to Max.
type Backoff struct {
	First, Max time.Duration
}

// Clock is the source of time Until waits on; nil means the wall clock.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// Until runs step until it returns nil or an error that is not Transient, or until clk passes
// deadline or ctx is done; then it returns step's last error (never ctx's own error). step gets the
// attempt number, from 1. The wait between attempts follows b and never runs past the deadline.
func Until(ctx context.Context, deadline time.Time, b Backoff, clk Clock, step func(attempt int) error) error {
	if clk == nil {
		clk = WallClock{}
	}
	wait := b.First
	for attempt := 1; ; attempt++ {
		err := step(attempt)
		if err == nil || !Transient(err) {
			return err
		}
		remaining := deadline.Sub(clk.Now())
		if remaining <= 0 {
			return err
		}
		if serr := clk.Sleep(ctx, min(wait, remaining)); serr != nil {
			return err
		}
		wait = min(2*wait, b.Max)
	}
}

// WallClock is the real clock (the default when Until gets a nil Clock).
type WallClock struct{}

// Now returns time.Now().
func (WallClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (WallClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
