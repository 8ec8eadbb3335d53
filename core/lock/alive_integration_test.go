//go:build integration

package lock

import (
	"context"
	"testing"
	"time"
)

// Alive against moto: a holder whose heartbeat runs is seen renewing the lock; one whose heartbeat
// stopped (a killed deploy: its process is gone, its lock stays) is not; a lock released while Alive
// watches is gone; another deploy's lock is refused.
func TestAliveTellsARunningHolderFromADeadOne(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := context.Background()
	opts := Options{Bucket: bucket, TTL: 3 * time.Second} // heartbeat every second

	live, err := Acquire(ctx, c, opts, Info{Holder: "live", GitSHA: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if live.Info.Heartbeat != "1s" {
		t.Errorf("the lock records heartbeat %q, want 1s", live.Info.Heartbeat)
	}
	l, err := Alive(ctx, c, opts, live.Info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Renewed || l.Gone || l.Every != time.Second {
		t.Errorf("a holder renewing every second: got %+v, want Renewed", l)
	}
	if _, err := Alive(ctx, c, opts, "not-this-lock"); err == nil {
		t.Errorf("Alive of another lock's ID: no error")
	}

	// The deploy dies: its heartbeat stops, the lock stays as it last wrote it.
	live.stopHeartbeat()
	start := time.Now()
	l, err = Alive(ctx, c, opts, live.Info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l.Renewed || l.Gone {
		t.Errorf("a holder that stopped renewing: got %+v, want neither renewed nor gone", l)
	}
	if took := time.Since(start); took > time.Second+AliveSlack+2*time.Second {
		t.Errorf("Alive watched a dead holder for %s, more than one interval plus slack", took)
	}
	// Long dead (its last write older than an interval plus the slack): no watching at all.
	l, err = Alive(ctx, c, opts, live.Info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l.Renewed || l.Waited != 0 {
		t.Errorf("a lock whose renewal is overdue: got %+v, want an answer without waiting", l)
	}

	// Released while watched.
	other, err := Acquire(ctx, c, Options{Bucket: bucket, Key: "deploy/other/lock.json", TTL: 30 * time.Second}, Info{Holder: "other"})
	if err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(time.Second); _ = other.Release(ctx) }()
	l, err = Alive(ctx, c, Options{Bucket: bucket, Key: "deploy/other/lock.json"}, other.Info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Gone {
		t.Errorf("a lock released while watched: got %+v, want Gone", l)
	}
}
