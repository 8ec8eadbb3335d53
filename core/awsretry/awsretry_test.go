package awsretry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

type worded struct {
	line string
	err  error
}

func (e *worded) Error() string { return e.line }
func (e *worded) Unwrap() error { return e.err }

type lookAgain struct{}

func (lookAgain) Error() string        { return "changed" }
func (lookAgain) RetryableError() bool { return true }

var reset = &smithyhttp.RequestSendError{Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}

func TestTransient(t *testing.T) {
	cases := map[string]struct {
		err  error
		want bool
	}{
		"reset after the SDK's attempts": {&retry.MaxAttemptsError{Attempt: 3, Err: reset}, true},
		"503": {&retry.MaxAttemptsError{Attempt: 3, Err: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 503}},
			Err:      &smithy.GenericAPIError{Code: "ServiceUnavailable"}}}, true},
		"throttled":           {&retry.MaxAttemptsError{Attempt: 3, Err: &smithy.GenericAPIError{Code: "ThrottlingException"}}, true},
		"worded for people":   {&worded{line: "read …", err: &retry.MaxAttemptsError{Err: reset}}, true},
		"retryable marker":    {lookAgain{}, true},
		"precondition failed": {&smithy.GenericAPIError{Code: "PreconditionFailed"}, false},
		"access denied":       {&smithy.GenericAPIError{Code: "AccessDenied"}, false},
		"cancelled":           {fmt.Errorf("op: %w", context.Canceled), false},
		"deadline":            {&worded{line: "x", err: context.DeadlineExceeded}, false},
		"plain":               {errors.New("no"), false},
		"nil":                 {nil, false},
	}
	for name, c := range cases {
		if got := Transient(c.err); got != c.want {
			t.Errorf("%s: Transient(%v) = %v, want %v", name, c.err, got, c.want)
		}
	}
}

// fakeClock advances only when slept on.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func TestUntilBacksOffUntilTheDeadline(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	var attempts []int
	err := Until(context.Background(), clk.now.Add(10*time.Second), Backoff{First: time.Second, Max: 3 * time.Second}, clk, func(a int) error {
		attempts = append(attempts, a)
		return &worded{line: fmt.Sprintf("attempt %d", a), err: reset}
	})
	if err == nil || err.Error() != "attempt 6" {
		t.Fatalf("err = %v, want the last attempt's error", err)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second, time.Second}
	if fmt.Sprint(clk.sleeps) != fmt.Sprint(want) {
		t.Errorf("sleeps = %v, want %v (doubling, capped, never past the deadline)", clk.sleeps, want)
	}
	if len(attempts) != 6 || attempts[0] != 1 || attempts[5] != 6 {
		t.Errorf("attempts = %v", attempts)
	}
}

func TestUntilStopsOnSuccessOrDefiniteError(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	n := 0
	err := Until(context.Background(), clk.now.Add(time.Minute), Backoff{First: time.Second, Max: time.Second}, clk, func(int) error {
		n++
		if n < 3 {
			return reset
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("success: err = %v after %d attempts", err, n)
	}
	definite := &smithy.GenericAPIError{Code: "AccessDenied"}
	n = 0
	err = Until(context.Background(), clk.now.Add(time.Minute), Backoff{First: time.Second, Max: time.Second}, clk, func(int) error {
		n++
		return definite
	})
	if !errors.Is(err, definite) || n != 1 {
		t.Fatalf("definite: err = %v after %d attempts", err, n)
	}
}

func TestUntilStopsWhenCancelledWithTheStepsError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := Until(ctx, time.Now().Add(time.Minute), Backoff{First: time.Hour, Max: time.Hour}, nil, func(int) error {
		n++
		cancel()
		return &worded{line: "blip", err: reset}
	})
	if err == nil || err.Error() != "blip" || n != 1 {
		t.Fatalf("err = %v after %d attempts, want the step's error after 1", err, n)
	}
}

func TestUntilWallClock(t *testing.T) {
	n := 0
	start := time.Now()
	err := Until(context.Background(), start.Add(time.Minute), Backoff{First: time.Millisecond, Max: 2 * time.Millisecond}, nil, func(int) error {
		n++
		if n < 4 {
			return reset
		}
		return nil
	})
	if err != nil || n != 4 {
		t.Fatalf("err = %v after %d attempts", err, n)
	}
}
