//go:build integration

package lock

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/internal/testenv"
)

const bucket = "book-me-prod-config"

func setup(t *testing.T) *s3.Client {
	t.Helper()
	m := testenv.StartMoto(t, testenv.WithEmulatorPatches()) // atomic conditional writes, as on AWS (patch 8)
	cfg := m.Config(t)
	testenv.CreateBucket(t, cfg, bucket)
	return testenv.S3(cfg)
}

// Five deploys start at the same moment: exactly one gets the lock, the others are refused
// naming the winner (moto answers the losers' conditional puts with 412).
func TestConcurrentAcquireExactlyOneWins(t *testing.T) {
	s3c := setup(t)
	ctx := context.Background()
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
			locks[i], errs[i] = Acquire(ctx, s3c, Options{Bucket: bucket}, Info{Holder: "deployer-" + string(rune('a'+i)), GitSHA: "0123456789abcdef"})
		}()
	}
	close(start)
	wg.Wait()
	winners := 0
	var winner *Lock
	for i := range n {
		if errs[i] == nil {
			winners++
			winner = locks[i]
		}
	}
	if winners != 1 {
		t.Fatalf("%d acquirers won, want exactly 1; errors: %v", winners, errs)
	}
	for i := range n {
		if errs[i] == nil {
			continue
		}
		var held *HeldError
		if !errors.As(errs[i], &held) || held.Holder.ID != winner.Info.ID {
			t.Fatalf("loser %d: %v (want HeldError naming %s)", i, errs[i], winner.Info.Holder)
		}
		if !strings.Contains(errs[i].Error(), winner.Info.Holder) || !strings.Contains(errs[i].Error(), "unlock --force") {
			t.Fatalf("refusal does not name the holder or the way out: %v", errs[i])
		}
	}
	if err := winner.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := Inspect(ctx, s3c, Options{Bucket: bucket}); err != nil || st.Held {
		t.Fatalf("after release: %+v %v", st, err)
	}
}

// A second deploy waits while the first runs, then gets the lock once it is released.
func TestAcquireWaitsForRelease(t *testing.T) {
	s3c := setup(t)
	ctx := context.Background()
	first, err := Acquire(ctx, s3c, Options{Bucket: bucket}, Info{Holder: "ci", GitSHA: "aaaa", RunURL: "https://ci.example/run/1"})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(500 * time.Millisecond)
		if err := first.Release(ctx); err != nil {
			t.Error(err)
		}
	}()
	var progress bytes.Buffer
	second, err := Acquire(ctx, s3c, Options{Bucket: bucket, Poll: 100 * time.Millisecond, Timeout: 10 * time.Second, Progress: &progress},
		Info{Holder: "alice", GitSHA: "bbbb"})
	if err != nil {
		t.Fatal(err)
	}
	if second.Waited < 400*time.Millisecond {
		t.Fatalf("second acquirer waited only %s", second.Waited)
	}
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "held by ci (git aaaa)") || !strings.Contains(lines[0], "https://ci.example/run/1") {
		t.Fatalf("progress should be one line naming the holder, got:\n%s", progress.String())
	}
	st, err := Inspect(ctx, s3c, Options{Bucket: bucket})
	if err != nil || !st.Held || st.Holder.Holder != "alice" || !strings.Contains(st.Text(), "held by alice") {
		t.Fatalf("status = %+v %v", st, err)
	}
}

// The holder never releases: the waiter gives up after the timeout and says who holds it since when.
func TestAcquireTimesOutNamingHolder(t *testing.T) {
	s3c := setup(t)
	ctx := context.Background()
	started := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	if _, err := Acquire(ctx, s3c, Options{Bucket: bucket}, Info{Holder: "github-actions[bot] deploy.yml", GitSHA: "0123456789abcdef0123", Started: started, RunURL: "https://ci.example/runs/42"}); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	_, err := Acquire(ctx, s3c, Options{Bucket: bucket, Poll: 100 * time.Millisecond, Timeout: 400 * time.Millisecond}, Info{Holder: "bob"})
	waited := time.Since(begin)
	var held *HeldError
	if !errors.As(err, &held) {
		t.Fatalf("want HeldError, got %v", err)
	}
	for _, want := range []string{"github-actions[bot] deploy.yml", "git 0123456789ab", "since 2026-11-26T09:30:00Z", "https://ci.example/runs/42", "s3://book-me-prod-config/deploy/lock.json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal lacks %q: %v", want, err)
		}
	}
	if waited < 400*time.Millisecond || waited > 3*time.Second {
		t.Fatalf("waited %s for a 400ms timeout", waited)
	}
}

// Release removes only our own lock: after a force-unlock and a new holder, the old holder's
// Release leaves the new lock alone.
func TestReleaseOnlyOurs(t *testing.T) {
	s3c := setup(t)
	ctx := context.Background()
	opts := Options{Bucket: bucket}
	stale, err := Acquire(ctx, s3c, opts, Info{Holder: "dead-run", GitSHA: "aaaa"})
	if err != nil {
		t.Fatal(err)
	}
	held, found, err := ForceUnlock(ctx, s3c, opts)
	if err != nil || !found || held.Holder != "dead-run" {
		t.Fatalf("force unlock: %+v %v %v", held, found, err)
	}
	if err := stale.Release(ctx); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("release after force: %v, want ErrNotHeld", err)
	}
	fresh, err := Acquire(ctx, s3c, opts, Info{Holder: "new-run", GitSHA: "bbbb"})
	if err != nil {
		t.Fatal(err)
	}
	if err := stale.Release(ctx); err == nil || !strings.Contains(err.Error(), "now held by new-run") {
		t.Fatalf("stale release: %v", err)
	}
	st, _ := Inspect(ctx, s3c, opts)
	if !st.Held || st.Holder.ID != fresh.Info.ID {
		t.Fatalf("the new holder's lock was removed: %+v", st)
	}
	if _, found, err := ForceUnlock(ctx, s3c, opts); err != nil || !found {
		t.Fatal(err)
	}
	if _, found, err := ForceUnlock(ctx, s3c, opts); err != nil || found {
		t.Fatalf("second force unlock: found=%v %v", found, err)
	}
}

// Release relies on DeleteObject If-Match; this pins down that moto honours it (412 on a stale ETag).
func TestMotoHonoursDeleteIfMatch(t *testing.T) {
	s3c := setup(t)
	ctx := context.Background()
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	_, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), IfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
	if errorCode(err) != "PreconditionFailed" {
		t.Fatalf("delete with a stale If-Match: %v, want PreconditionFailed", err)
	}
	if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); err != nil {
		t.Fatalf("object gone after a refused delete: %v", err)
	}
}
