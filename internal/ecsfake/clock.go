package ecsfake

import (
	"context"
	"sync"
	"time"
)

// Clock is simulated time running Scale times faster than the wall clock. The fake and the engine
// under test share one Clock (it satisfies rollout.Clock), so default settings — 5 s polls, a 15 min
// timeout — run in milliseconds. Scale 1 is real time.
type Clock struct {
	mu    sync.Mutex
	base  time.Time
	wall  time.Time
	Scale float64
}

// NewClock starts simulated time at a fixed instant, running scale× faster than wall time.
func NewClock(scale float64) *Clock {
	if scale <= 0 {
		scale = 1
	}
	return &Clock{base: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), wall: time.Now(), Scale: scale}
}

// Now returns the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Duration(float64(time.Since(c.wall)) * c.Scale))
}

// Sleep waits d of simulated time (d/Scale of wall time) or until ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(time.Duration(float64(d) / c.Scale))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Wall converts a simulated duration into the wall time it takes.
func (c *Clock) Wall(d time.Duration) time.Duration { return time.Duration(float64(d) / c.Scale) }
