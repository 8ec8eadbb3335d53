package lock

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// AliveSlack is what Alive adds to the holder's heartbeat interval before it calls a renewal missed:
// a renewal's own S3 round trip, and LastModified's one-second precision.
const AliveSlack = 10 * time.Second

// Liveness is Alive's answer.
type Liveness struct {
	// Renewed is true when the holder renewed the lock while Alive watched it: it still runs.
	Renewed bool
	// Gone is true when the lock was released (or lapsed and was removed) meanwhile.
	Gone bool
	// Waited is how long Alive watched; zero when the last renewal was already overdue.
	Waited time.Duration
	// Every is the holder's heartbeat interval as the lock records it (DefaultTTL/3 when it does not).
	Every time.Duration
}

// Alive tells whether the holder of the lock with the given ID is still running, as only the lock
// can tell it: a live holder renews the lock every heartbeat interval (Info.Heartbeat). Alive reads
// the lock and, unless its last write (S3's LastModified, against the Date of the same answer, so
// both are the server's clock) is already older than one interval plus AliveSlack, reads it again
// until it would be: a new write with the same ID is a renewal. A killed CI job's deploy
// stops renewing at once; one that is still deploying (a recover started too early, or a job whose
// processes outlived the cancel) is caught within one interval.
func Alive(ctx context.Context, s3c *s3.Client, opts Options, id string) (Liveness, error) {
	first, err := readLockAt(ctx, s3c, opts.Bucket, opts.key())
	switch {
	case err != nil:
		return Liveness{}, err
	case !first.found:
		return Liveness{Gone: true}, nil
	case first.info.ID != id:
		return Liveness{}, fmt.Errorf("deploy lock %s: held by %s, not by lock %s", opts.url(), first.info.Describe(time.Now()), id)
	}
	l := Liveness{Every: DefaultTTL / 3}
	if d, err := time.ParseDuration(first.info.Heartbeat); err == nil && d > 0 {
		l.Every = d
	}
	wait := first.modified.Add(l.Every + AliveSlack).Sub(first.now)
	if first.modified.IsZero() || first.now.IsZero() {
		wait = l.Every + AliveSlack // no server times: watch a whole interval
	}
	if wait <= 0 {
		return l, nil // a renewal is already overdue
	}
	// Look again every half interval (at most every 5 s) until the deadline: a renewal ends the watch.
	began, deadline := time.Now(), time.Now().Add(wait)
	step := min(l.Every/2, 5*time.Second)
	for {
		next := min(step, time.Until(deadline))
		if next > 0 {
			t := time.NewTimer(next)
			select {
			case <-ctx.Done():
				t.Stop()
				return l, ctx.Err()
			case <-t.C:
			}
		}
		l.Waited = time.Since(began)
		again, err := readLockAt(ctx, s3c, opts.Bucket, opts.key())
		switch {
		case err != nil:
			return l, err
		case !again.found:
			l.Gone = true
			return l, nil
		case again.info.ID != id:
			return l, fmt.Errorf("deploy lock %s: taken by %s while watching lock %s", opts.url(), again.info.Describe(time.Now()), id)
		case again.etag != first.etag:
			l.Renewed = true
			return l, nil
		case !time.Now().Before(deadline):
			return l, nil
		}
	}
}
