package rollout

import (
	"context"
	"time"

	"bookme-deploy/core/awsretry"
)

// rollbackBackoff is the wait between two attempts of a roll-back call, on the engine's clock:
// doubles from 1 s up to 15 s.
var rollbackBackoff = awsretry.Backoff{First: time.Second, Max: 15 * time.Second}

// explained is an AWS failure worded for people (see explain); it keeps the SDK error for
// awsretry.Transient.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// retryTransient runs step (see awsretry.Until) on the engine's clock until deadline.
func (e *Engine) retryTransient(ctx context.Context, deadline time.Time, step func(attempt int) error) error {
	return awsretry.Until(ctx, deadline, rollbackBackoff, e.clock(), step)
}
