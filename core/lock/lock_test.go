package lock

import (
	"context"
	"fmt"
	"net"
	"net/http"
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
