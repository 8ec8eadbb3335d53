package lock

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestDescribeAndHeldError(t *testing.T) {
	started := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	i := Info{Holder: "alice", GitSHA: "0123456789abcdef0123", Started: started, RunURL: "https://ci.example/1"}
	got := i.Describe(started.Add(90 * time.Second))
	want := "alice (git 0123456789ab) since 2026-11-26T09:00:00Z (1m30s ago), run https://ci.example/1"
	if got != want {
		t.Fatalf("Describe = %q\nwant %q", got, want)
	}
	if d := (Info{}).Describe(started); d != "unknown (git unknown) since 0001-01-01T00:00:00Z" {
		t.Fatalf("empty Describe = %q", d)
	}
	e := &HeldError{URL: "s3://b/deploy/lock.json", Holder: i, Waited: 10 * time.Minute}
	if !strings.Contains(e.Error(), "s3://b/deploy/lock.json is held by alice") || !strings.Contains(e.Error(), "waited 10m0s") {
		t.Fatalf("HeldError = %q", e.Error())
	}
}

func TestAcquireRefusesMissingInputsBeforeAnyCall(t *testing.T) {
	// A nil client proves no AWS call is made.
	if _, err := Acquire(context.Background(), nil, Options{}, Info{Holder: "x"}); err == nil || !strings.Contains(err.Error(), "no bucket") {
		t.Fatalf("no bucket: %v", err)
	}
	if _, err := Acquire(context.Background(), nil, Options{Bucket: "b"}, Info{}); err == nil || !strings.Contains(err.Error(), "holder is required") {
		t.Fatalf("no holder: %v", err)
	}
}
