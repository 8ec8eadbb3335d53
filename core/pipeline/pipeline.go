// Package pipeline runs the deploy as a DAG of named steps: each step starts as soon as the steps it
// comes after have succeeded, independent steps run in parallel, and the first failure stops the
// pipeline — no new step starts (steps already running finish), every step that did not run is
// reported as skipped with the reason, and the Finally steps (unlock) always run. The deploy record
// is not a step: the caller writes it after Run returns, from the Report.
//
// # Tracing
//
// Run opens one OpenTelemetry span per step with the global tracer provider
// (otel.Tracer(TracerName)), so Dagger's TUI shows each stage when the module runs in the engine.
// The span is named after the step, is a child of the span in the ctx given to Run, and the ctx a
// step's Run receives carries it: spans the step opens (a nested Run, an instrumented client) become
// its children. Every step span carries the attribute pipeline.step.status (succeeded, failed,
// skipped) and, when set, pipeline.step.detail; a failed step's span also has status Error and the
// error recorded as an event. A skipped step gets a zero-length span with its skip reason in
// pipeline.step.detail, so the trace lists every step of the DAG.
//
// A step's progress lines belong in its span: Progress(ctx) is the step's writer, which writes each
// line to Run's out (whole lines, never interleaved with another step's) and adds it to the step's
// span as a "progress" event with the attribute line.
package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"bookme-deploy/core/redact"
)

// TracerName is the instrumentation scope of the step spans.
const TracerName = "bookme-deploy/core/pipeline"

// Span attribute keys set on every step span.
const (
	// AttrStatus is the step's Status: succeeded, failed or skipped.
	AttrStatus = attribute.Key("pipeline.step.status")
	// AttrDetail is the step's one-line detail, or why it was skipped.
	AttrDetail = attribute.Key("pipeline.step.detail")
	// AttrAfter lists the steps this one comes after.
	AttrAfter = attribute.Key("pipeline.step.after")
	// AttrFinally is true on the Finally steps.
	AttrFinally = attribute.Key("pipeline.step.finally")
	// AttrLine is the text of a progress event.
	AttrLine = attribute.Key("line")
)

// ProgressEvent is the name of the span event each progress line becomes.
const ProgressEvent = "progress"

// Step is one node of the DAG.
type Step struct {
	// Name identifies the step in After lists, progress lines and the report.
	Name string
	// After names the steps that must succeed before this one starts.
	After []string
	// Run does the work and returns a one-line detail for the report.
	Run func(ctx context.Context) (detail string, err error)
}

// Skip is what a step returns when, having looked, it has nothing to do: the step is reported
// Skipped with the reason (not Failed), e.g. a finally step that only acts after a failure.
func Skip(reason string) error { return skipped{reason} }

type skipped struct{ reason string }

func (s skipped) Error() string { return "skipped: " + s.reason }

// Status of a step after the run.
type Status string

// The statuses a step can end in.
const (
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
	Skipped   Status = "skipped"
	// Cancelled: the step was running when Run's ctx was cancelled (Ctrl-C, SIGTERM, a cancelled CI
	// job) and returned an error; Error says what it left behind.
	Cancelled Status = "cancelled"
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
	// CancelledBy is set when Run's ctx was cancelled before every step ran (its cause), also when
	// no running step was interrupted (the cancel came between steps).
	CancelledBy string `json:"cancelledBy,omitempty"`
}

// Err is the first step failure, or nil. A run that was cancelled and had no other failure
// returns the first cancelled step's error (ErrCancelled matches it with errors.Is).
func (r *Report) Err() error {
	for _, s := range r.Steps {
		if s.Status == Failed {
			return fmt.Errorf("step %s failed: %s", s.Name, s.Error)
		}
	}
	for _, s := range r.Steps {
		if s.Status == Cancelled {
			return fmt.Errorf("%w during step %s: %s", ErrCancelled, s.Name, s.Error)
		}
	}
	if r.CancelledBy != "" {
		return fmt.Errorf("%w before every step ran: %s", ErrCancelled, r.CancelledBy)
	}
	return nil
}

// ErrCancelled is the error Report.Err wraps when the run was cancelled.
var ErrCancelled = errors.New("cancelled")

// Cancelled reports whether the run was cancelled: a step was interrupted, or steps never ran.
func (r *Report) Cancelled() bool {
	if r.CancelledBy != "" {
		return true
	}
	for _, s := range r.Steps {
		if s.Status == Cancelled {
			return true
		}
	}
	return false
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

// Run executes steps as a DAG and then the finally steps one by one, whatever happened. When ctx is
// cancelled no new step starts; a running step that then returns an error is Cancelled (not
// Failed), the steps that never started are Skipped ("cancelled: …"), and the finally steps run
// with a ctx that is not cancelled (context.WithoutCancel: they bound themselves). Progress lines
// ("▶ name", "✔ name 1.2s detail", "✘ name: error", "- name skipped: reason") go to out, and so do
// the lines steps write to Progress(ctx). Each step runs inside its own span (see the package doc).
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
	// Every text a step hands back (detail, error, progress lines) leaves through the report, the
	// output and the span: all are redacted with the context's Redactor (core/redact).
	red := redact.From(ctx)
	tracer := otel.Tracer(TracerName)
	var mu sync.Mutex
	outcomes := map[string]*Outcome{}
	// outMu serialises writes to out: the runner's own lines and the steps' progress lines.
	outMu := &sync.Mutex{}
	logf := func(format string, a ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(out, format+"\n", a...)
	}
	done := make(chan string, len(steps))
	running := 0
	failed := ""
	started := map[string]bool{}

	// runStep runs one step inside its span and ends the span with the outcome.
	runStep := func(ctx context.Context, s Step, isFinally bool) *Outcome {
		attrs := []attribute.KeyValue{AttrFinally.Bool(isFinally)}
		if len(s.After) > 0 {
			attrs = append(attrs, AttrAfter.StringSlice(s.After))
		}
		sctx, span := tracer.Start(ctx, s.Name, trace.WithAttributes(attrs...))
		defer span.End()
		pw := &progressWriter{out: out, mu: outMu, span: span, red: red.Lines()}
		sctx = context.WithValue(sctx, progressKey{}, pw)
		t0 := time.Now()
		logf("▶ %s", s.Name)
		detail, err := safeRun(sctx, s)
		pw.flush()
		detail, err = red.String(detail), red.Error(err)
		o := &Outcome{Name: s.Name, Status: Succeeded, Detail: detail, Started: t0, Duration: time.Since(t0)}
		var skip skipped
		if errors.As(err, &skip) {
			o.Status, o.Detail = Skipped, red.String(skip.reason)
			logf("- %s skipped: %s", s.Name, o.Detail)
			span.SetAttributes(AttrStatus.String(string(o.Status)), AttrDetail.String(oneLine(o.Detail)))
			return o
		}
		if err != nil && !isFinally && ctx.Err() != nil {
			// Interrupted: whatever the step says, it stopped because the run was cancelled.
			o.Status, o.Error = Cancelled, err.Error()
			logf("⊘ %s cancelled (%s): %s", s.Name, o.Duration.Round(100*time.Millisecond), o.Error)
			span.RecordError(err)
			span.SetStatus(codes.Error, "cancelled: "+oneLine(o.Error))
		} else if err != nil {
			o.Status, o.Error = Failed, err.Error()
			logf("✘ %s (%s): %s", s.Name, o.Duration.Round(100*time.Millisecond), o.Error)
			span.RecordError(err)
			span.SetStatus(codes.Error, oneLine(o.Error))
		} else {
			logf("✔ %s (%s) %s", s.Name, o.Duration.Round(100*time.Millisecond), detail)
		}
		span.SetAttributes(AttrStatus.String(string(o.Status)))
		if detail != "" {
			span.SetAttributes(AttrDetail.String(oneLine(detail)))
		}
		return o
	}

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
		go func() {
			o := runStep(ctx, s, false)
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
		if st := outcomes[name].Status; (st == Failed || st == Cancelled) && failed == "" {
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
		if ctx.Err() != nil && failed == "" {
			rep.CancelledBy = context.Cause(ctx).Error()
		}
		logf("- %s skipped: %s", s.Name, reason)
		// A skipped step gets a zero-length span, so the trace shows the whole DAG.
		attrs := []attribute.KeyValue{AttrFinally.Bool(false), AttrStatus.String(string(Skipped)), AttrDetail.String(reason)}
		if len(s.After) > 0 {
			attrs = append(attrs, AttrAfter.StringSlice(s.After))
		}
		_, span := tracer.Start(ctx, s.Name, trace.WithAttributes(attrs...))
		span.End()
		rep.Steps = append(rep.Steps, Outcome{Name: s.Name, Status: Skipped, Detail: reason})
	}
	// Finally steps run even when ctx is cancelled: they release what the pipeline holds.
	fctx := context.WithoutCancel(ctx)
	for _, s := range finally {
		rep.Steps = append(rep.Steps, *runStep(fctx, s, true))
	}
	rep.Duration = time.Since(start)
	return rep
}

type progressKey struct{}

// Progress is the progress writer of the step whose ctx this is: each line written to it goes to
// Run's out and becomes a "progress" event of the step's span. Outside a step it is io.Discard.
// Safe for use by several goroutines of the same step.
func Progress(ctx context.Context) io.Writer {
	if w, ok := ctx.Value(progressKey{}).(*progressWriter); ok {
		return w
	}
	return io.Discard
}

// progressWriter writes whole lines to out (under mu, shared with the runner) and adds each line to
// span as an event. A last line without a newline is written when the step ends.
type progressWriter struct {
	out  io.Writer
	mu   *sync.Mutex
	span trace.Span

	bufMu sync.Mutex
	buf   []byte
	// red redacts the lines (a private key block may span several), under bufMu.
	red *redact.Lines
}

func (w *progressWriter) Write(p []byte) (int, error) {
	w.bufMu.Lock()
	defer w.bufMu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i+1])
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *progressWriter) flush() {
	w.bufMu.Lock()
	defer w.bufMu.Unlock()
	if len(w.buf) > 0 {
		w.emit(append(w.buf, '\n'))
		w.buf = nil
	}
}

// emit writes one line (ending in '\n') to out and to the span.
func (w *progressWriter) emit(line []byte) {
	red := w.red.Redact(string(line))
	if red == "" {
		return // inside a private key block
	}
	line = []byte(red)
	w.mu.Lock()
	w.out.Write(line) //nolint:errcheck // progress is best effort, like the runner's own lines
	w.mu.Unlock()
	if w.span.IsRecording() {
		w.span.AddEvent(ProgressEvent, trace.WithAttributes(AttrLine.String(strings.TrimRight(string(line), "\r\n"))))
	}
}

func skipReason(s Step, outcomes map[string]*Outcome, failed string, ctxErr error) string {
	for _, a := range s.After {
		if o := outcomes[a]; o != nil && o.Status == Failed {
			return "after failed step " + a
		}
		if o := outcomes[a]; o != nil && o.Status == Cancelled {
			return "after cancelled step " + a
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
