package pipeline

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func ok(detail string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return detail, nil }
}

func statuses(r *Report) map[string]Status {
	m := map[string]Status{}
	for _, s := range r.Steps {
		m[s.Name] = s.Status
	}
	return m
}

func TestRunsInDependencyOrder(t *testing.T) {
	var mu sync.Mutex
	var order []string
	rec := func(n string) func(context.Context) (string, error) {
		return func(context.Context) (string, error) {
			mu.Lock()
			order = append(order, n)
			mu.Unlock()
			return n, nil
		}
	}
	rep := Run(context.Background(), nil, []Step{
		{Name: "c", After: []string{"b"}, Run: rec("c")},
		{Name: "a", Run: rec("a")},
		{Name: "b", After: []string{"a"}, Run: rec("b")},
	})
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "a,b,c" {
		t.Fatalf("order = %v", order)
	}
}

func TestIndependentStepsRunInParallel(t *testing.T) {
	var inFlight, peak atomic.Int32
	slow := func(context.Context) (string, error) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		inFlight.Add(-1)
		return "", nil
	}
	rep := Run(context.Background(), nil, []Step{
		{Name: "root", Run: ok("")},
		{Name: "x", After: []string{"root"}, Run: slow},
		{Name: "y", After: []string{"root"}, Run: slow},
		{Name: "z", After: []string{"root"}, Run: slow},
	})
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if peak.Load() != 3 {
		t.Fatalf("peak parallelism = %d, want 3", peak.Load())
	}
}

func TestFailureStopsDependantsAndLaterSteps(t *testing.T) {
	var ranLate atomic.Bool
	var unlocked atomic.Bool
	var out bytes.Buffer
	rep := Run(context.Background(), &out, []Step{
		{Name: "lock", Run: ok("held")},
		{Name: "build", After: []string{"lock"}, Run: func(context.Context) (string, error) {
			return "", errors.New("compile error\nsecond line")
		}},
		{Name: "slow-sibling", After: []string{"lock"}, Run: func(context.Context) (string, error) {
			time.Sleep(30 * time.Millisecond)
			return "finished", nil
		}},
		{Name: "after-sibling", After: []string{"slow-sibling"}, Run: func(context.Context) (string, error) {
			ranLate.Store(true)
			return "", nil
		}},
		{Name: "roll", After: []string{"build"}, Run: ok("")},
	}, Step{Name: "unlock", Run: func(context.Context) (string, error) { unlocked.Store(true); return "released", nil }})
	st := statuses(rep)
	want := map[string]Status{"lock": Succeeded, "build": Failed, "slow-sibling": Succeeded,
		"after-sibling": Skipped, "roll": Skipped, "unlock": Succeeded}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("%s = %s, want %s", k, st[k], v)
		}
	}
	if ranLate.Load() {
		t.Error("a step started after the pipeline had failed")
	}
	if !unlocked.Load() {
		t.Error("finally step did not run")
	}
	if rep.Err() == nil || !strings.Contains(rep.Err().Error(), "build") {
		t.Errorf("Err() = %v", rep.Err())
	}
	for _, s := range rep.Steps {
		if s.Name == "roll" && s.Detail != "after failed step build" {
			t.Errorf("roll skip reason = %q", s.Detail)
		}
	}
	if strings.Contains(rep.Text(), "second line") {
		t.Error("report table should show one line per step")
	}
	if !strings.Contains(out.String(), "✘ build") {
		t.Errorf("progress lacks the failure line:\n%s", out.String())
	}
}

func TestFinallyRunsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var finallyCtxErr error
	rep := Run(ctx, nil, []Step{
		{Name: "a", Run: func(context.Context) (string, error) { cancel(); return "", nil }},
		{Name: "b", After: []string{"a"}, Run: ok("")},
	}, Step{Name: "unlock", Run: func(c context.Context) (string, error) { finallyCtxErr = c.Err(); return "", nil }})
	st := statuses(rep)
	if st["b"] != Skipped || st["unlock"] != Succeeded {
		t.Fatalf("statuses = %v", st)
	}
	if finallyCtxErr != nil {
		t.Fatalf("finally step got a cancelled context: %v", finallyCtxErr)
	}
}

func TestPanicIsAFailure(t *testing.T) {
	rep := Run(context.Background(), nil, []Step{{Name: "p", Run: func(context.Context) (string, error) { panic("boom") }}})
	if rep.Err() == nil || !strings.Contains(rep.Err().Error(), "boom") {
		t.Fatalf("Err() = %v", rep.Err())
	}
}

func TestValidate(t *testing.T) {
	cases := map[string][]Step{
		"unknown": {{Name: "a", After: []string{"zz"}, Run: ok("")}},
		"dup":     {{Name: "a", Run: ok("")}, {Name: "a", Run: ok("")}},
		"cycle":   {{Name: "a", After: []string{"b"}, Run: ok("")}, {Name: "b", After: []string{"a"}, Run: ok("")}},
		"norun":   {{Name: "a"}},
	}
	for name, steps := range cases {
		if err := Validate(steps); err == nil {
			t.Errorf("%s: expected an error", name)
		}
		rep := Run(context.Background(), nil, steps)
		if rep.Err() == nil {
			t.Errorf("%s: Run should fail on an invalid DAG", name)
		}
	}
}

// A step running when ctx is cancelled, and returning an error, is Cancelled (not Failed); steps
// after it are skipped; Err says the run was cancelled.
func TestInterruptedStepIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	rep := Run(ctx, &out, []Step{
		{Name: "roll", Run: func(c context.Context) (string, error) {
			cancel()
			<-c.Done()
			return "", errors.New("interrupted: " + c.Err().Error())
		}},
		{Name: "smoke", After: []string{"roll"}, Run: ok("")},
	}, Step{Name: "unlock", Run: ok("released")})
	st := statuses(rep)
	if st["roll"] != Cancelled || st["smoke"] != Skipped || st["unlock"] != Succeeded {
		t.Fatalf("statuses = %v", st)
	}
	if !rep.Cancelled() || !errors.Is(rep.Err(), ErrCancelled) || !strings.Contains(rep.Err().Error(), "during step roll: interrupted") {
		t.Errorf("Cancelled %v, Err %v", rep.Cancelled(), rep.Err())
	}
	if !strings.Contains(out.String(), "⊘ roll cancelled") || !strings.Contains(out.String(), "smoke skipped: after cancelled step roll") {
		t.Errorf("progress:\n%s", out.String())
	}
	// A step that fails with the run not cancelled stays Failed.
	rep = Run(context.Background(), nil, []Step{{Name: "x", Run: func(context.Context) (string, error) { return "", errors.New("boom") }}})
	if statuses(rep)["x"] != Failed || rep.Cancelled() || errors.Is(rep.Err(), ErrCancelled) {
		t.Errorf("a plain failure: %v, %v", statuses(rep), rep.Err())
	}
}

// Cancelled between steps (the running one finished well): the run still reports the cancellation.
func TestCancelledBetweenStepsIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rep := Run(ctx, nil, []Step{
		{Name: "a", Run: func(context.Context) (string, error) { cancel(); return "done", nil }},
		{Name: "b", After: []string{"a"}, Run: ok("")},
	})
	st := statuses(rep)
	if st["a"] != Succeeded || st["b"] != Skipped || !rep.Cancelled() || rep.CancelledBy != "context canceled" ||
		!errors.Is(rep.Err(), ErrCancelled) {
		t.Errorf("statuses %v, cancelled %q, err %v", st, rep.CancelledBy, rep.Err())
	}
}
