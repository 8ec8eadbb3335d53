package lock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"bookme-deploy/core/awsretry"
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

func TestIsTransient(t *testing.T) {
	reset := &smithyhttp.RequestSendError{Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
	cases := map[string]struct {
		err  error
		want bool
	}{
		"reset after the SDK's attempts": {&retry.MaxAttemptsError{Attempt: 3, Err: reset}, true},
		"503": {&retry.MaxAttemptsError{Attempt: 3, Err: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 503}},
			Err:      &smithy.GenericAPIError{Code: "ServiceUnavailable"}}}, true},
		"throttled":           {&retry.MaxAttemptsError{Attempt: 3, Err: &smithy.GenericAPIError{Code: "SlowDown"}}, true},
		"worded for people":   {&callError{line: "deploy lock: read …", err: &retry.MaxAttemptsError{Err: reset}}, true},
		"look again":          {&errLookAgain{line: "changed"}, true},
		"precondition failed": {&smithy.GenericAPIError{Code: "PreconditionFailed"}, false},
		"access denied":       {&smithy.GenericAPIError{Code: "AccessDenied"}, false},
		"cancelled":           {fmt.Errorf("op: %w", context.Canceled), false},
		"not held":            {ErrNotHeld, false},
		"nil":                 {nil, false},
	}
	for name, c := range cases {
		if got := awsretry.Transient(c.err); got != c.want {
			t.Errorf("%s: awsretry.Transient(%v) = %v, want %v", name, c.err, got, c.want)
		}
	}
}

func TestKeyFor(t *testing.T) {
	if k := KeyFor("production"); k != "deploy/production/lock.json" {
		t.Fatalf("KeyFor = %s", k)
	}
}

func TestJudge(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	ours := "aaaa"
	cases := []struct {
		name    string
		current Info
		found   bool
		want    Verdict
	}{
		{"no object", Info{}, false, Free},
		{"ours, live", Info{ID: ours, Expires: now.Add(time.Minute)}, true, Ours},
		{"ours, even expired (our put went through; we are still here)", Info{ID: ours, Expires: now.Add(-time.Minute)}, true, Ours},
		{"other, live", Info{ID: "bbbb", Expires: now.Add(time.Second)}, true, HeldByOther},
		{"other, expiring this very instant", Info{ID: "bbbb", Expires: now}, true, Stale},
		{"other, expired", Info{ID: "bbbb", Expires: now.Add(-time.Second)}, true, Stale},
		{"older lock without expiry, recent", Info{ID: "bbbb", Started: now.Add(-time.Hour)}, true, HeldByOther},
		{"older lock without expiry, older than LegacyTTL", Info{ID: "bbbb", Started: now.Add(-LegacyTTL - time.Second)}, true, Stale},
		{"unreadable object (no ID, no times): never lapses", Info{Holder: "unreadable lock object"}, true, HeldByOther},
		{"empty own ID never matches an ID-less object", Info{}, true, HeldByOther},
	}
	for _, c := range cases {
		id := ours
		if c.name == "empty own ID never matches an ID-less object" {
			id = ""
		}
		if got := Judge(c.current, c.found, id, now); got != c.want {
			t.Errorf("%s: Judge = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestExpiryWording(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	live := Info{Expires: now.Add(4 * time.Minute)}
	if s := live.describeExpiry(now); s != "expires 2026-11-26T12:04:00Z (in 4m0s)" {
		t.Errorf("live: %q", s)
	}
	gone := Info{Expires: now.Add(-time.Minute)}
	if s := gone.describeExpiry(now); s != "expired 2026-11-26T11:59:00Z (1m0s ago)" {
		t.Errorf("expired: %q", s)
	}
	legacy := Info{Started: now.Add(-time.Hour)}
	if s := legacy.describeExpiry(now); !strings.Contains(s, "expires 2026-11-26T17:00:00Z") || !strings.Contains(s, "older lock without expiry") {
		t.Errorf("legacy: %q", s)
	}
	if s := (Info{}).describeExpiry(now); !strings.Contains(s, "unlock --force") {
		t.Errorf("no times: %q", s)
	}
	st := &Status{URL: "s3://b/k", Held: true, Holder: &gone, Stale: true}
	if !strings.Contains(st.Text(), "stale: the next deploy takes it over") {
		t.Errorf("status: %q", st.Text())
	}
	e := &LostError{URL: "s3://b/k", Holder: &Info{Holder: "bob", Started: now}}
	if !strings.Contains(e.Error(), "lost: taken over by bob") || !strings.Contains(e.Error(), "stop it") {
		t.Errorf("LostError: %q", e.Error())
	}
	if e := (&LostError{URL: "s3://b/k"}); !strings.Contains(e.Error(), "forced open") {
		t.Errorf("LostError forced: %q", e.Error())
	}
}

func TestOptionDefaults(t *testing.T) {
	if (Options{}).ttl() != DefaultTTL || (Options{}).heartbeat() != DefaultTTL/3 {
		t.Error("defaults")
	}
	if (Options{TTL: time.Minute}).heartbeat() != 20*time.Second || (Options{Heartbeat: -1}).heartbeat() != 0 {
		t.Error("heartbeat from TTL / disabled")
	}
}

// An HTTP client timeout (the request may have acted, its answer never came) is retried by
// Release and ForceUnlock while the caller's context is live; the caller's own deadline is not.
func TestRetryTransientRetriesClientTimeouts(t *testing.T) {
	// A real client timeout: a server that never answers, a client that waits 50 ms.
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer silent.Close()
	_, herr := (&http.Client{Timeout: 50 * time.Millisecond}).Get(silent.URL)
	if !errors.Is(herr, context.DeadlineExceeded) || awsretry.Transient(herr) {
		t.Fatalf("premise: a client timeout wraps context.DeadlineExceeded and awsretry.Transient refuses it: %v", herr)
	}
	clientTimeout := &smithyhttp.RequestSendError{Err: herr}
	calls := 0
	err := retryTransient(context.Background(), 5*time.Second, func(int) error {
		calls++
		if calls < 3 {
			return &retry.MaxAttemptsError{Attempt: 3, Err: clientTimeout}
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("client timeouts: %d calls, %v; want retried until success", calls, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls = 0
	err = retryTransient(ctx, 5*time.Second, func(int) error { calls++; return fmt.Errorf("op: %w", context.DeadlineExceeded) })
	if err == nil || calls != 1 {
		t.Fatalf("cancelled caller: %d calls, %v; want one", calls, err)
	}
}
