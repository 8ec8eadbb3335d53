package lock

import (
	"context"
	"fmt"
	"time"
)

// LostError says the lock is no longer ours while the deploy runs: stop the deploy, another one
// may be changing the same environment.
type LostError struct {
	// URL is s3://bucket/key of the lock.
	URL string
	// Holder is who holds it now (nil: no lock object, it was forced open; or unknown).
	Holder *Info
	// Expired is set when no renewal got through before the lock's expiry (Err is the last failure).
	Expired time.Time
	Err     error
}

func (e *LostError) Error() string {
	what := "forced open (the lock object is gone)"
	switch {
	case e.Holder != nil:
		what = "taken over by " + e.Holder.Describe(time.Now())
	case !e.Expired.IsZero():
		what = fmt.Sprintf("not renewed before it expired at %s (last error: %v); another deploy may take it over",
			e.Expired.UTC().Format(time.RFC3339), e.Err)
	}
	return fmt.Sprintf("deploy lock %s lost: %s. This deploy no longer holds the lock: stop it and check what runs", e.URL, what)
}

func (e *LostError) Unwrap() error { return e.Err }

// Lost is closed when the lock is lost while held: a renewal found it taken over or forced open,
// or no renewal got through before it expired. Err then says why. Watch it during the deploy and
// stop the deploy when it closes (Options.OnLost is the same as a callback). It is never closed
// by Release.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Err is nil while the lock is held; a *LostError once Lost is closed.
func (l *Lock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lostErr
}

// Expires is the lock's current expiry (moved on by each renewal).
func (l *Lock) Expires() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.expires
}

type heartbeat struct {
	stop chan struct{} // closed by stopHeartbeat
	done chan struct{} // closed when the goroutine has returned
}

// startHeartbeat renews the lock every interval until stopHeartbeat (Release) or the lock is lost.
// It outlives ctx's cancellation (the lock must stay ours until Release, also while a failed
// deploy rolls back) but keeps its values.
func (l *Lock) startHeartbeat(ctx context.Context, every time.Duration, onLost func(error)) {
	hb := &heartbeat{stop: make(chan struct{}), done: make(chan struct{})}
	l.hb = hb
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		<-hb.stop
		cancel() // a renewal in flight is abandoned: Release reads the lock before deleting
	}()
	go func() {
		defer close(hb.done)
		t := time.NewTimer(every)
		defer t.Stop()
		for {
			select {
			case <-hb.stop:
				return
			case <-t.C:
			}
			err := l.renew(ctx, every)
			if ctx.Err() != nil {
				return // stopped meanwhile
			}
			if err != nil {
				l.mu.Lock()
				l.lostErr = err
				l.mu.Unlock()
				close(l.lost)
				if onLost != nil {
					onLost(err)
				}
				return
			}
			t.Reset(every)
		}
	}()
}

// stopHeartbeat ends the heartbeat and waits for it.
func (l *Lock) stopHeartbeat() {
	l.mu.Lock()
	hb := l.hb
	l.hb = nil
	l.mu.Unlock()
	if hb != nil {
		close(hb.stop)
		<-hb.done
	}
}

// renew moves the lock's expiry on: PutObject If-Match on our ETag. A 412 (or 404) means the
// object changed: read it — our ID means our earlier renewal went through with its answer lost
// (take its ETag); another ID, or no object, means the lock is lost. Other failures are retried,
// backing off from a tenth of the interval, until the lock's current expiry; then it is lost.
func (l *Lock) renew(ctx context.Context, every time.Duration) error {
	l.mu.Lock()
	etag, expires := l.etag, l.expires
	l.mu.Unlock()
	rctx, cancel := context.WithDeadline(ctx, expires)
	defer cancel()
	wait := max(every/10, 10*time.Millisecond)
	var last error
	for {
		next := l.Info
		next.Expires = time.Now().UTC().Add(l.ttl)
		newETag, err := putLock(rctx, l.s3c, l.bucket, l.key, next, condition{ifMatch: etag})
		if err == nil {
			l.mu.Lock()
			l.etag, l.expires = newETag, next.Expires
			l.mu.Unlock()
			return nil
		}
		last = err
		if isConflict(err) || errorCode(err) == "NoSuchKey" {
			current, curETag, found, rerr := readLock(rctx, l.s3c, l.bucket, l.key)
			switch {
			case rerr != nil:
				last = rerr
			case !found:
				return &LostError{URL: l.URL}
			case current.ID != l.Info.ID:
				return &LostError{URL: l.URL, Holder: &current}
			default:
				l.mu.Lock()
				l.etag, l.expires = curETag, current.Expires
				l.mu.Unlock()
				return nil
			}
		}
		if ctx.Err() != nil {
			return nil // stopped: not a loss
		}
		if rctx.Err() != nil || !time.Now().Add(wait).Before(expires) {
			return &LostError{URL: l.URL, Expired: expires, Err: fmt.Errorf("%s", errorLine(last))}
		}
		select {
		case <-rctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, every)
	}
}
