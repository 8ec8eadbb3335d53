//go:build integration

package lock

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"bookme-deploy/internal/testenv"
)

// A cancelled CI job's `unlock --run-url` step: it removes the lock of its own run only — also when
// the answer to its delete is lost (reset after S3 acted) — and leaves another run's or a local
// deploy's lock in place.
func TestUnlockRunRemovesOnlyItsRunsLock(t *testing.T) {
	direct, proxied, p := faultySetup(t)
	ctx := context.Background()
	const run, other = "https://github.com/o/r/actions/runs/1", "https://github.com/o/r/actions/runs/2"

	if _, found, err := UnlockRun(ctx, proxied, Options{Bucket: bucket}, run); err != nil || found {
		t.Fatalf("no lock: found=%v err=%v", found, err)
	}
	for _, holder := range []Info{{Holder: "ci", GitSHA: "bbbb", RunURL: other}, {Holder: "alice", GitSHA: "cccc"}} {
		l, err := Acquire(ctx, direct, Options{Bucket: bucket}, holder)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = UnlockRun(ctx, proxied, Options{Bucket: bucket}, run)
		if !errors.Is(err, ErrHeldByAnotherRun) {
			t.Fatalf("a lock of %q/%q: want ErrHeldByAnotherRun, got %v", holder.Holder, holder.RunURL, err)
		}
		if got, ok := lockHeld(t, direct); !ok || got.ID != l.Info.ID {
			t.Fatalf("the other holder's lock must stay: %+v %v", got, ok)
		}
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := Acquire(ctx, direct, Options{Bucket: bucket}, Info{Holder: "ci", GitSHA: "aaaa", RunURL: run}); err != nil {
		t.Fatal(err)
	}
	p.SetRules(testenv.Rule{Method: http.MethodDelete, Fault: testenv.FaultResetAfterForward, Times: 1})
	held, found, err := UnlockRun(ctx, proxied, Options{Bucket: bucket}, run)
	if err != nil || !found || held.RunURL != run {
		t.Fatalf("its own run's lock: held=%+v found=%v err=%v", held, found, err)
	}
	if _, ok := lockHeld(t, direct); ok {
		t.Fatal("the run's lock is still there")
	}
	if p.TotalInjected() != 1 {
		t.Fatalf("the lost answer was not injected: %v", p.Injected())
	}
	if _, _, err := UnlockRun(ctx, proxied, Options{Bucket: bucket}, ""); err == nil {
		t.Fatal("an empty run URL must be refused")
	}
}
