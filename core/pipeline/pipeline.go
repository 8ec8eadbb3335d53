// Package pipeline runs the deploy as a DAG of named steps: each step starts as soon as the steps it
// comes after have succeeded, independent steps run in parallel, and the first failure stops the
// pipeline — no new step starts (steps already running finish), every step that did not run is
// reported as skipped with the reason, and the Finally steps (unlock, record) always run.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Step is one node of the DAG.
type Step struct {
	// Name identifies the step in After lists, progress lines and the report.
	Name string
	// After names the steps that must succeed before this one starts.
	After []string
	// Run does the work and returns a one-line detail for the report.
	Run func(ctx context.Context) (detail string, err error)
}

// Status of a step after the run.
type Status string

// The statuses a step can end in.
const (
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
	Skipped   Status = "skipped"
)

// Outcome is what happened to one step.
type Outcome struct {
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Detail   string        `json:"detail,omitempty"`
	Error    string        `json:"error,omitempty"`
	Started  time.Time     `json:"started,omitzero"`
	Duration time.Duration `json:"duration"`
}

// Report lists every step's outcome in the order steps were declared (Finally steps last).
type Report struct {
	Steps    []Outcome     `json:"steps"`
	Duration time.Duration `json:"duration"`
}

// Err is the first step failure, or nil.
func (r *Report) Err() error {
	for _, s := range r.Steps {
		if s.Status == Failed {
			return fmt.Errorf("step %s failed: %s", s.Name, s.Error)
		}
	}
	return nil
}

// Text renders the report as an aligned table for people.
func (r *Report) Text() string {
	var b strings.Builder
	w := 4
	for _, s := range r.Steps {
		w = max(w, len(s.Name))
	}
	for _, s := range r.Steps {
		what := s.Detail
		if s.Error != "" {
			what = oneLine(s.Error)
		}
		fmt.Fprintf(&b, "%-*s  %-9s %7s  %s\n", w, s.Name, s.Status, s.Duration.Round(100*time.Millisecond), what)
	}
	fmt.Fprintf(&b, "total %s\n", r.Duration.Round(100*time.Millisecond))
	return b.String()
}

// Validate checks that names are unique, every After names a known step, and there is no cycle.
func Validate(steps []Step) error {
	idx := map[string]int{}
	for i, s := range steps {
		if s.Name == "" {
			return errors.New("pipeline: a step has no name")
		}
		if _, dup := idx[s.Name]; dup {
			return fmt.Errorf("pipeline: step %q declared twice", s.Name)
		}
		if s.Run == nil {
			return fmt.Errorf("pipeline: step %q has no Run", s.Name)
		}
		idx[s.Name] = i
	}
	for _, s := range steps {
		for _, a := range s.After {
			if _, ok := idx[a]; !ok {
				return fmt.Errorf("pipeline: step %q comes after unknown step %q", s.Name, a)
			}
		}
	}
	// Kahn's algorithm: a cycle leaves nodes unvisited.
	indeg := map[string]int{}
	for _, s := range steps {
		indeg[s.Name] = len(s.After)
	}
	var queue []string
	for _, s := range steps {
		if indeg[s.Name] == 0 {
			queue = append(queue, s.Name)
		}
	}
	seen := 0
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		seen++
		for _, s := range steps {
			for _, a := range s.After {
				if a == n {
					indeg[s.Name]--
					if indeg[s.Name] == 0 {
						queue = append(queue, s.Name)
					}
				}
			}
		}
	}
	if seen != len(steps) {
		var stuck []string
		for n, d := range indeg {
			if d > 0 {
				stuck = append(stuck, n)
			}
		}
		sort.Strings(stuck)
		return fmt.Errorf("pipeline: dependency cycle among %s", strings.Join(stuck, ", "))
	}
	return nil
}

// Run executes steps as a DAG and then the finally steps one by one, whatever happened. Progress lines
// ("▶ name", "✔ name 1.2s detail", "✘ name: error", "- name skipped: reason") go to out.
func Run(ctx context.Context, out io.Writer, steps []Step, finally ...Step) *Report {
	start := time.Now()
	if out == nil {
		out = io.Discard
	}
	rep := &Report{}
	if err := Validate(append(append([]Step{}, steps...), finally...)); err != nil {
		rep.Steps = append(rep.Steps, Outcome{Name: "pipeline", Status: Failed, Error: err.Error()})
		return rep
	}
	var mu sync.Mutex
	outcomes := map[string]*Outcome{}
	logf := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, format+"\n", a...)
	}
	done := make(chan string, len(steps))
	running := 0
	failed := ""
	started := map[string]bool{}

	ready := func(s Step) bool {
		for _, a := range s.After {
			o := outcomes[a]
			if o == nil || o.Status != Succeeded {
				return false
			}
		}
		return true
	}
	launch := func(s Step) {
		started[s.Name] = true
		running++
		t0 := time.Now()
		logf("▶ %s", s.Name)
		go func() {
			detail, err := safeRun(ctx, s)
			o := &Outcome{Name: s.Name, Status: Succeeded, Detail: detail, Started: t0, Duration: time.Since(t0)}
			if err != nil {
				o.Status, o.Error = Failed, err.Error()
				logf("✘ %s (%s): %s", s.Name, o.Duration.Round(100*time.Millisecond), o.Error)
			} else {
				logf("✔ %s (%s) %s", s.Name, o.Duration.Round(100*time.Millisecond), detail)
			}
			mu.Lock()
			outcomes[s.Name] = o
			mu.Unlock()
			done <- s.Name
		}()
	}
	for {
		if failed == "" && ctx.Err() == nil {
			mu.Lock()
			var next []Step
			for _, s := range steps {
				if !started[s.Name] && ready(s) {
					next = append(next, s)
				}
			}
			mu.Unlock()
			for _, s := range next {
				launch(s)
			}
		}
		if running == 0 {
			break
		}
		name := <-done
		running--
		mu.Lock()
		if outcomes[name].Status == Failed && failed == "" {
			failed = name
		}
		mu.Unlock()
	}
	for _, s := range steps {
		if o := outcomes[s.Name]; o != nil {
			rep.Steps = append(rep.Steps, *o)
			continue
		}
		reason := skipReason(s, outcomes, failed, ctx.Err())
		logf("- %s skipped: %s", s.Name, reason)
		rep.Steps = append(rep.Steps, Outcome{Name: s.Name, Status: Skipped, Detail: reason})
	}
	// Finally steps run even when ctx is cancelled: they release what the pipeline holds.
	fctx := context.WithoutCancel(ctx)
	for _, s := range finally {
		t0 := time.Now()
		logf("▶ %s", s.Name)
		detail, err := safeRun(fctx, s)
		o := Outcome{Name: s.Name, Status: Succeeded, Detail: detail, Started: t0, Duration: time.Since(t0)}
		if err != nil {
			o.Status, o.Error = Failed, err.Error()
			logf("✘ %s: %s", s.Name, o.Error)
		} else {
			logf("✔ %s (%s) %s", s.Name, o.Duration.Round(100*time.Millisecond), detail)
		}
		rep.Steps = append(rep.Steps, o)
	}
	rep.Duration = time.Since(start)
	return rep
}

func skipReason(s Step, outcomes map[string]*Outcome, failed string, ctxErr error) string {
	for _, a := range s.After {
		if o := outcomes[a]; o != nil && o.Status == Failed {
			return "after failed step " + a
		}
	}
	for _, a := range s.After {
		if outcomes[a] == nil {
			return "after step " + a + ", which did not run"
		}
	}
	if ctxErr != nil {
		return "cancelled: " + ctxErr.Error()
	}
	if failed != "" {
		return "pipeline stopped after step " + failed + " failed"
	}
	return "not reached"
}

func safeRun(ctx context.Context, s Step) (detail string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return s.Run(ctx)
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
