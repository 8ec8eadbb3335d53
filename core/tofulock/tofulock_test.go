package tofulock

import (
	"testing"
	"time"
)

func TestBetweenPicksTheRunsLocksOnly(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	until := start.Add(20 * time.Minute)
	locks := []Lock{
		{Key: "production/base.tfstate.tflock", Created: start.Add(-time.Second)},        // before the run: a person's
		{Key: "production/backend.tfstate.tflock", Created: start},                       // the run's first moment
		{Key: "production/frontend.tfstate.tflock", Created: start.Add(5 * time.Minute)}, // mid-run
		{Key: "production/x.tfstate.tflock", Created: until.Add(time.Second)},            // after the lock lapsed: a take-over's
		{Key: "production/y.tfstate.tflock"},                                             // unreadable: no time
	}
	got := Between(locks, start, until)
	if len(got) != 2 || got[0].Key != "production/backend.tfstate.tflock" || got[1].Key != "production/frontend.tfstate.tflock" {
		t.Fatalf("Between picked %+v", got)
	}
}

func TestDescribe(t *testing.T) {
	l := Lock{Bucket: "state", Key: "production/backend.tfstate.tflock", Operation: "OperationTypeApply", Who: "root@buildkitsandbox",
		Created: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	want := "s3://state/production/backend.tfstate (apply by root@buildkitsandbox, taken 2026-12-01T10:00:00Z)"
	if got := l.Describe(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := (Lock{Bucket: "b", Key: "k.tflock"}).Describe(); got != "s3://b/k (unknown operation by unknown holder, taken 0001-01-01T00:00:00Z)" {
		t.Fatalf("an unreadable lock: %q", got)
	}
}
