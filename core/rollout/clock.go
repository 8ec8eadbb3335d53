package rollout

import "bookme-deploy/core/awsretry"

// Clock is the engine's source of time. Production uses the wall clock; tests and benchmarks inject a
// scaled clock (see internal/ecsfake) so that default settings (5 s polls, 15 min timeout) run in
// milliseconds of wall time. It is the retry helper's clock: one clock for both.
type Clock = awsretry.Clock

// WallClock is the real clock.
type WallClock = awsretry.WallClock
