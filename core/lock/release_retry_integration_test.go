//go:build integration

package lock

// Release and ForceUnlock under connection resets: a testenv.FaultProxy between the SDK and moto
// closes the TCP connection of chosen requests (no response at all), more often in a row than the
// SDK's 3 attempts, which is what a 50 % reset rate produces now and then.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/internal/testenv"
)

// faultySetup returns a direct client, a client through a fault proxy (SDK back-off shortened to
// 20 ms so the test is quick; the attempts stay the SDK's default 3) and the proxy.
func faultySetup(t *testing.T) (direct, proxied *s3.Client, p *testenv.FaultProxy) {
	t.Helper()
	m := testenv.StartMoto(t, testenv.WithEmulatorPatches()) // atomic conditional writes, as on AWS (patch 8)
	cfg := m.Config(t)
	testenv.CreateBucket(t, cfg, bucket)
	p = testenv.StartFaultProxy(t, m.Endpoint, 1)
	pcfg := testenv.ConfigFor(t, p.URL)
	pcfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 20 * time.Millisecond })
	}
	return testenv.S3(cfg), testenv.S3(pcfg), p
}

func lockHeld(t *testing.T, direct *s3.Client) (Info, bool) {
	t.Helper()
	info, _, found, err := readLock(context.Background(), direct, bucket, DefaultKey)
	if err != nil {
		t.Fatal(err)
	}
	return info, found
}

// Five resets of the DELETE in a row (the SDK gives up after 3): Release tries again and the lock
// is gone.
func TestReleaseRetriesPastSDKAttempts(t *testing.T) {
	direct, proxied, p := faultySetup(t)
	ctx := context.Background()
	l, err := Acquire(ctx, proxied, Options{Bucket: bucket}, Info{Holder: "ci", GitSHA: "aaaa"})
	if err != nil {
		t.Fatal(err)
	}
	p.SetRules(testenv.Rule{Method: http.MethodDelete, Fault: testenv.FaultReset, Times: 5})
	if err := l.Release(ctx); err != nil {
		t.Fatalf("release under 5 resets: %v", err)
	}
	if _, held := lockHeld(t, direct); held {
		t.Fatal("lock still held after Release returned nil")
	}
	if n := p.Count(http.MethodDelete, DefaultKey); n != 6 {
		t.Errorf("DELETE requests = %d, want 5 reset + 1 through", n)
	}
}

// Every request reset: Release stops at ReleaseTimeout, says it gave up, and the lock is still there
// (nothing pretended).
func TestReleaseGivesUpAtDeadline(t *testing.T) {
	direct, proxied, p := faultySetup(t)
	ctx := context.Background()
	l, err := Acquire(ctx, proxied, Options{Bucket: bucket, ReleaseTimeout: time.Second}, Info{Holder: "ci", GitSHA: "aaaa"})
	if err != nil {
		t.Fatal(err)
	}
	p.SetRules(testenv.Rule{Fault: testenv.FaultReset})
	begin := time.Now()
	err = l.Release(ctx)
	took := time.Since(begin)
	if err == nil || !strings.Contains(err.Error(), "gave up after") || !strings.Contains(err.Error(), "unlock --force") {
		t.Fatalf("release with every request reset: %v", err)
	}
	if took < time.Second || took > 10*time.Second {
		t.Errorf("release took %s for a 1 s ReleaseTimeout", took)
	}
	if n := p.Count("", DefaultKey); n < 6 {
		t.Errorf("only %d requests: Release did not retry past the SDK's 3 attempts", n)
	}
	if _, held := lockHeld(t, direct); !held {
		t.Fatal("lock gone although every request was reset")
	}
}

// A definite answer is not retried: after a force-unlock Release returns ErrNotHeld at once.
func TestReleaseDoesNotRetryDefiniteAnswers(t *testing.T) {
	_, proxied, p := faultySetup(t)
	ctx := context.Background()
	l, err := Acquire(ctx, proxied, Options{Bucket: bucket}, Info{Holder: "ci", GitSHA: "aaaa"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ForceUnlock(ctx, proxied, Options{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	p.ResetCounters()
	if err := l.Release(ctx); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("release of a forced lock: %v, want ErrNotHeld", err)
	}
	if n := p.Count("", ""); n != 1 {
		t.Errorf("%d requests for a lock that is gone, want 1 read", n)
	}
}

// While our DELETE is being reset, another deploy forces the lock open and takes it: the retried
// Release reads the new holder and leaves that lock in place.
func TestReleaseRetryNeverDeletesAnotherLock(t *testing.T) {
	direct, proxied, p := faultySetup(t)
	ctx := context.Background()
	l, err := Acquire(ctx, proxied, Options{Bucket: bucket}, Info{Holder: "old-run", GitSHA: "aaaa"})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	var other *Lock
	takeOver := func(*http.Request) bool {
		once.Do(func() {
			if _, _, err := ForceUnlock(ctx, direct, Options{Bucket: bucket}); err != nil {
				t.Error(err)
			}
			other, err = Acquire(ctx, direct, Options{Bucket: bucket}, Info{Holder: "new-run", GitSHA: "bbbb"})
			if err != nil {
				t.Error(err)
			}
		})
		return true
	}
	p.SetRules(testenv.Rule{Method: http.MethodDelete, Match: takeOver, Fault: testenv.FaultReset, Times: 3})
	err = l.Release(ctx)
	if err == nil || !strings.Contains(err.Error(), "now held by new-run") {
		t.Fatalf("release after a take-over: %v", err)
	}
	info, held := lockHeld(t, direct)
	if !held || other == nil || info.ID != other.Info.ID {
		t.Fatalf("the new holder's lock was removed or replaced: held=%v %+v", held, info)
	}
}

// ForceUnlock retries its DELETE too, and removes exactly the lock it read.
func TestForceUnlockRetries(t *testing.T) {
	direct, proxied, p := faultySetup(t)
	ctx := context.Background()
	if _, err := Acquire(ctx, proxied, Options{Bucket: bucket}, Info{Holder: "dead-run", GitSHA: "aaaa"}); err != nil {
		t.Fatal(err)
	}
	p.SetRules(testenv.Rule{Method: http.MethodDelete, Fault: testenv.FaultReset, Times: 4})
	held, found, err := ForceUnlock(ctx, proxied, Options{Bucket: bucket})
	if err != nil || !found || held.Holder != "dead-run" {
		t.Fatalf("force unlock under 4 resets: %+v %v %v", held, found, err)
	}
	if _, still := lockHeld(t, direct); still {
		t.Fatal("lock still held after ForceUnlock returned nil")
	}
}
