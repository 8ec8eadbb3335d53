package rollout

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// Back-off between two attempts of a roll-back call, on the engine's clock: doubles up to the cap.
const (
	firstRollbackBackoff = time.Second
	maxRollbackBackoff   = 15 * time.Second
)

// explained is an AWS failure worded for people (see explain); it keeps the SDK error for isTransient.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// isTransient tells whether err is worth another try after the SDK's own attempts gave up: a
// connection reset or timeout, a 5xx, throttling (the SDK's default retryable checks). A context
// cancellation or a definite answer (not found, access denied, invalid parameter …) is not.
func isTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// retryTransient runs step until it returns nil or an error that is not transient, or until the
// engine's clock passes deadline (the last error is returned). step gets the attempt number, from 1.
func (e *Engine) retryTransient(ctx context.Context, deadline time.Time, step func(attempt int) error) error {
	clk := e.clock()
	wait := firstRollbackBackoff
	for attempt := 1; ; attempt++ {
		err := step(attempt)
		if err == nil || !isTransient(err) {
			return err
		}
		remaining := deadline.Sub(clk.Now())
		if remaining <= 0 {
			return err
		}
		if serr := clk.Sleep(ctx, min(wait, remaining)); serr != nil {
			return err
		}
		wait = min(2*wait, maxRollbackBackoff)
	}
}
