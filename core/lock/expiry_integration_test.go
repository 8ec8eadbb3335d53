//go:build integration

package lock

// The lock against moto when answers get lost after S3 acted (testenv's after-forward faults),
// and the lock's expiry: take-over of a lapsed lock, two takers racing, the heartbeat keeping a
// lock alive past its TTL and noticing when it is lost. moto 5.2.1 honours If-Match on PutObject
// (412 on a stale ETag, 404 NoSuchKey on a missing object), as AWS does since 2024-11
// (TestMotoHonoursPutIfMatch pins it down).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/internal/testenv"
)

// lostSetup is faultySetup with a short HTTP timeout (a timeout-after-forward fault holds the
// connection until the client gives up).
func lostSetup(t *testing.T) (direct, proxied *s3.Client, p *testenv.FaultProxy) {
	t.Helper()
	direct, proxied, p = faultySetup(t)
	proxied = s3.New(proxied.Options(), func(o *s3.Options) { o.HTTPClient = &http.Client{Timeout: 2 * time.Second} })
	return direct, proxied, p
}

// lockObjects lists every object under deploy/ (the lock must be exactly one object).
func lockObjects(t *testing.T, direct *s3.Client) []string {
	t.Helper()
	out, err := direct.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// writeLock puts a lock object as another (older or dead) deploy left it, without conditions.
func writeLock(t *testing.T, direct *s3.Client, info Info) {
	t.Helper()
	body, _ := json.Marshal(info)
	if _, err := direct.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(DefaultKey), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

// S3 stores our lock, the answer is lost (reset, or silence until the client times out), the SDK
// retries and gets 412: Acquire must see its own ID and hold the lock at once — not wait the
// whole timeout for itself.
func TestAcquireRecognisesOwnLockAfterLostAnswer(t *testing.T) {
	for _, fault := range []testenv.FaultKind{testenv.FaultResetAfterForward, testenv.FaultTimeoutAfterForward} {
		t.Run(fault.String(), func(t *testing.T) {
			direct, proxied, p := lostSetup(t)
			ctx := context.Background()
			p.SetRules(testenv.Rule{Method: http.MethodPut, PathContains: DefaultKey, Fault: fault, Times: 1})
			begin := time.Now()
			l, err := Acquire(ctx, proxied, Options{Bucket: bucket, Timeout: 30 * time.Second, Poll: time.Second}, Info{Holder: "ci", GitSHA: "aaaa"})
			took := time.Since(begin)
			if err != nil {
				t.Fatalf("acquire after a lost answer: %v", err)
			}
			if took > 5*time.Second {
				t.Errorf("acquire took %s: it waited for its own lock", took)
			}
			recs := p.Records()
			if len(recs) == 0 || !recs[0].Forwarded || recs[0].TargetStatus != http.StatusOK || recs[0].Status != 0 {
				t.Fatalf("the first put did not reach moto with its answer lost: %+v", recs)
			}
			if puts := p.Count(http.MethodPut, DefaultKey); puts != 2 {
				t.Errorf("%d PUTs of the lock, want the lost one and the SDK's retry (412)", puts)
			}
			if keys := lockObjects(t, direct); len(keys) != 1 || keys[0] != DefaultKey {
				t.Fatalf("lock objects: %v, want exactly %s", keys, DefaultKey)
			}
			info, etag, _, _ := readLock(ctx, direct, bucket, DefaultKey)
			if info.ID != l.Info.ID || etag != l.ETag {
				t.Fatalf("the stored lock %s (%s) is not the one held %s (%s)", info.ID, etag, l.Info.ID, l.ETag)
			}
			if err := l.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if keys := lockObjects(t, direct); len(keys) != 0 {
				t.Fatalf("after release: %v", keys)
			}
		})
	}
}

// A dead deploy's lock has expired: the next deploy takes it over at once, names the old holder,
// and the object is now its own.
func TestAcquireTakesOverExpiredLock(t *testing.T) {
	direct, proxied, _ := lostSetup(t)
	ctx := context.Background()
	dead := Info{ID: "dead", Holder: "dead-run", GitSHA: "dddd", Started: time.Now().Add(-time.Hour).UTC(), Expires: time.Now().Add(-time.Minute).UTC()}
	writeLock(t, direct, dead)
	var progress bytes.Buffer
	l, err := Acquire(ctx, proxied, Options{Bucket: bucket, Progress: &progress}, Info{Holder: "alice", GitSHA: "aaaa"})
	if err != nil {
		t.Fatalf("take-over of an expired lock: %v", err)
	}
	if l.TookOver == nil || l.TookOver.ID != "dead" || !strings.Contains(l.Text(), "taking over the lapsed lock of dead-run") {
		t.Errorf("the lock does not say whose it took over: %+v %q", l.TookOver, l.Text())
	}
	if !strings.Contains(progress.String(), "the lock of dead-run (git dddd)") || !strings.Contains(progress.String(), "expired") ||
		!strings.Contains(progress.String(), "taking it over") {
		t.Errorf("progress does not name the old holder: %q", progress.String())
	}
	info, _, found, _ := readLock(ctx, direct, bucket, DefaultKey)
	if !found || info.ID != l.Info.ID || !info.Expires.After(time.Now()) {
		t.Fatalf("stored lock after take-over: %+v", info)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// Old lock objects (no expiry): held for LegacyTTL after their start, then taken over.
func TestAcquireOlderLockWithoutExpiry(t *testing.T) {
	direct, proxied, _ := lostSetup(t)
	ctx := context.Background()
	writeLock(t, direct, Info{ID: "old", Holder: "old-version", GitSHA: "eeee", Started: time.Now().Add(-time.Hour).UTC()})
	_, err := Acquire(ctx, proxied, Options{Bucket: bucket}, Info{Holder: "alice"})
	var held *HeldError
	if !errors.As(err, &held) || held.Holder.ID != "old" {
		t.Fatalf("a recent lock without expiry: %v, want HeldError", err)
	}
	writeLock(t, direct, Info{ID: "old", Holder: "old-version", GitSHA: "eeee", Started: time.Now().Add(-LegacyTTL - time.Minute).UTC()})
	l, err := Acquire(ctx, proxied, Options{Bucket: bucket}, Info{Holder: "alice"})
	if err != nil || l.TookOver == nil || l.TookOver.ID != "old" {
		t.Fatalf("a lock without expiry older than LegacyTTL: %v %+v", err, l)
	}
	_ = l.Release(ctx)
}

// Five deploys find the same expired lock at once: exactly one takes it over (If-Match on the
// stale ETag), the others are refused naming the winner, and the winner's lock stays.
func TestTakeOverRaceExactlyOneWins(t *testing.T) {
	direct, _, _ := lostSetup(t)
	ctx := context.Background()
	writeLock(t, direct, Info{ID: "dead", Holder: "dead-run", Started: time.Now().Add(-time.Hour).UTC(), Expires: time.Now().Add(-time.Second).UTC()})
	const n = 5
	var wg sync.WaitGroup
	locks := make([]*Lock, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			locks[i], errs[i] = Acquire(ctx, direct, Options{Bucket: bucket}, Info{Holder: "taker-" + string(rune('a'+i))})
		}()
	}
	close(start)
	wg.Wait()
	var winner *Lock
	for i := range n {
		if errs[i] == nil {
			if winner != nil {
				t.Fatalf("two takers won: %s and %s", winner.Info.Holder, locks[i].Info.Holder)
			}
			winner = locks[i]
		}
	}
	if winner == nil {
		t.Fatalf("nobody took the expired lock over: %v", errs)
	}
	for i := range n {
		var held *HeldError
		if errs[i] != nil && (!errors.As(errs[i], &held) || held.Holder.ID != winner.Info.ID) {
			t.Errorf("loser %d: %v, want HeldError naming %s", i, errs[i], winner.Info.Holder)
		}
	}
	if info, _, _, _ := readLock(ctx, direct, bucket, DefaultKey); info.ID != winner.Info.ID {
		t.Fatalf("stored lock is %s's, not the winner's", info.Holder)
	}
	if err := winner.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// The heartbeat keeps a lock alive well past its TTL: another deploy is refused all along,
// although the TTL passed many times over; the renewals survive lost answers.
func TestHeartbeatKeepsLockPastTTL(t *testing.T) {
	direct, proxied, p := lostSetup(t)
	ctx := context.Background()
	const ttl = 800 * time.Millisecond
	l, err := Acquire(ctx, proxied, Options{Bucket: bucket, TTL: ttl, Heartbeat: 200 * time.Millisecond}, Info{Holder: "long-deploy"})
	if err != nil {
		t.Fatal(err)
	}
	first := l.Expires()
	// Two renewals go through with their answers lost: the heartbeat must see its own lock.
	p.SetRules(testenv.Rule{Method: http.MethodPut, PathContains: DefaultKey, Fault: testenv.FaultResetAfterForward, Times: 2})
	end := time.Now().Add(4 * ttl)
	for time.Now().Before(end) {
		if _, err := Acquire(ctx, direct, Options{Bucket: bucket, TTL: ttl, Heartbeat: -1}, Info{Holder: "rival"}); err == nil {
			t.Fatal("a rival took the lock while its holder's heartbeat ran")
		}
		time.Sleep(100 * time.Millisecond)
	}
	select {
	case <-l.Lost():
		t.Fatalf("lock lost: %v", l.Err())
	default:
	}
	if inj := p.TotalInjected(); inj != 2 {
		t.Errorf("%d renewals lost their answer, want 2", inj)
	}
	info, _, _, _ := readLock(ctx, direct, bucket, DefaultKey)
	if info.ID != l.Info.ID || !info.Expires.After(first.Add(2*ttl)) || !info.Expires.After(time.Now()) {
		t.Fatalf("stored lock not renewed: %+v (first expiry %s)", info, first)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if keys := lockObjects(t, direct); len(keys) != 0 {
		t.Fatalf("after release: %v", keys)
	}
}

// Without a heartbeat the same lock lapses after its TTL and a rival takes it over (the control
// for the test above).
func TestNoHeartbeatLockLapses(t *testing.T) {
	direct, _, _ := lostSetup(t)
	ctx := context.Background()
	l, err := Acquire(ctx, direct, Options{Bucket: bucket, TTL: 300 * time.Millisecond, Heartbeat: -1}, Info{Holder: "silent"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	rival, err := Acquire(ctx, direct, Options{Bucket: bucket}, Info{Holder: "rival"})
	if err != nil || rival.TookOver == nil || rival.TookOver.ID != l.Info.ID {
		t.Fatalf("rival after the TTL: %v %+v", err, rival)
	}
	if err := l.Release(ctx); err == nil || !strings.Contains(err.Error(), "now held by rival") {
		t.Fatalf("the lapsed holder's release: %v", err)
	}
	_ = rival.Release(ctx)
}

// The lock is forced open and taken by another deploy while ours runs: the next renewal notices,
// Lost closes, Err and OnLost name the new holder, and the new holder's lock is left alone.
func TestHeartbeatNoticesLoss(t *testing.T) {
	direct, proxied, _ := lostSetup(t)
	ctx := context.Background()
	lostCh := make(chan error, 1)
	l, err := Acquire(ctx, proxied, Options{Bucket: bucket, TTL: 2 * time.Second, Heartbeat: 100 * time.Millisecond,
		OnLost: func(err error) { lostCh <- err }}, Info{Holder: "victim"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ForceUnlock(ctx, direct, Options{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	other, err := Acquire(ctx, direct, Options{Bucket: bucket, Heartbeat: -1}, Info{Holder: "newcomer"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Lost():
	case <-time.After(2 * time.Second):
		t.Fatal("the heartbeat did not notice the lock was taken")
	}
	var le *LostError
	if !errors.As(l.Err(), &le) || le.Holder == nil || le.Holder.ID != other.Info.ID || !strings.Contains(l.Err().Error(), "taken over by newcomer") {
		t.Fatalf("Err = %v", l.Err())
	}
	if cb := <-lostCh; cb != l.Err() {
		t.Errorf("OnLost got %v", cb)
	}
	if info, _, _, _ := readLock(ctx, direct, bucket, DefaultKey); info.ID != other.Info.ID {
		t.Fatalf("the newcomer's lock was touched: %+v", info)
	}
	if err := l.Release(ctx); err == nil || !strings.Contains(err.Error(), "now held by newcomer") {
		t.Fatalf("release of a lost lock: %v", err)
	}
}

// Every renewal fails (S3 unreachable): the heartbeat keeps trying until the lock's expiry, then
// reports it lost — before a rival could take it over unnoticed.
func TestHeartbeatGivesUpAtExpiry(t *testing.T) {
	_, proxied, p := lostSetup(t)
	ctx := context.Background()
	const ttl = time.Second
	l, err := Acquire(ctx, proxied, Options{Bucket: bucket, TTL: ttl, Heartbeat: 200 * time.Millisecond}, Info{Holder: "cut-off"})
	if err != nil {
		t.Fatal(err)
	}
	expires := l.Expires()
	p.SetRules(testenv.Rule{Fault: testenv.FaultReset})
	select {
	case <-l.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("no loss reported with every renewal failing")
	}
	var le *LostError
	if !errors.As(l.Err(), &le) || le.Expired.IsZero() || !strings.Contains(l.Err().Error(), "not renewed before it expired") {
		t.Fatalf("Err = %v", l.Err())
	}
	if lostAt := time.Now(); lostAt.After(expires.Add(time.Second)) {
		t.Errorf("loss reported at %s, lock expired at %s", lostAt, expires)
	}
	if n := p.Count(http.MethodPut, DefaultKey); n < 3 {
		t.Errorf("only %d renewal attempts before giving up", n)
	}
}

// PutObject with a stale If-Match is refused by moto (412), with a missing object 404: the
// take-over and the heartbeat rely on it.
func TestMotoHonoursPutIfMatch(t *testing.T) {
	direct, _, _ := lostSetup(t)
	ctx := context.Background()
	out, err := direct.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("v1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("v2"), IfMatch: out.ETag}); err != nil {
		t.Fatalf("put with the current ETag: %v", err)
	}
	_, err = direct.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("v3"), IfMatch: out.ETag})
	if errorCode(err) != "PreconditionFailed" {
		t.Fatalf("put with a stale If-Match: %v, want PreconditionFailed", err)
	}
	_, err = direct.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("absent"), Body: strings.NewReader("x"), IfMatch: out.ETag})
	if errorCode(err) != "NoSuchKey" {
		t.Fatalf("put If-Match on a missing object: %v, want NoSuchKey", err)
	}
}

// `unlock --force` of a lock whose holder is alive and renewing it every 20 ms: the force follows
// the renewals (same ID, new ETag) and removes it; the holder's next renewal reports it forced open.
func TestForceUnlockOfARenewingLock(t *testing.T) {
	direct, _, _ := lostSetup(t)
	ctx := context.Background()
	l, err := Acquire(ctx, direct, Options{Bucket: bucket, TTL: 2 * time.Second, Heartbeat: 20 * time.Millisecond}, Info{Holder: "busy"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		held, found, err := ForceUnlock(ctx, direct, Options{Bucket: bucket})
		if err != nil || !found || held.ID != l.Info.ID {
			t.Fatalf("force %d: %+v %v %v", i, held, found, err)
		}
		if keys := lockObjects(t, direct); len(keys) != 0 {
			t.Fatalf("force %d returned but the lock is there: %v", i, keys)
		}
		select {
		case <-l.Lost():
		case <-time.After(2 * time.Second):
			t.Fatal("the holder did not notice its lock was forced open")
		}
		if le := (*LostError)(nil); !errors.As(l.Err(), &le) || le.Holder != nil || !strings.Contains(l.Err().Error(), "forced open") {
			t.Fatalf("Err = %v", l.Err())
		}
		l, err = Acquire(ctx, direct, Options{Bucket: bucket, TTL: 2 * time.Second, Heartbeat: 20 * time.Millisecond}, Info{Holder: "busy"})
		if err != nil {
			t.Fatal(err)
		}
	}
	_ = l.Release(ctx)
}
