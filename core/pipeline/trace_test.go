package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// withRecorder installs a recording global tracer provider for the test and returns its recorder.
func withRecorder(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() {
		otel.SetTracerProvider(prev)
		_ = tp.Shutdown(context.Background())
	})
	return sr
}

func spansByName(t *testing.T, sr *tracetest.SpanRecorder) map[string]sdktrace.ReadOnlySpan {
	t.Helper()
	m := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range sr.Ended() {
		if _, dup := m[s.Name()]; dup {
			t.Fatalf("two spans named %q", s.Name())
		}
		m[s.Name()] = s
	}
	return m
}

func attr(s sdktrace.ReadOnlySpan, k attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if kv.Key == k {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func TestOneSpanPerStepChildOfCallerSpan(t *testing.T) {
	sr := withRecorder(t)
	ctx, parent := otel.Tracer("test").Start(context.Background(), "deploy")
	boom := errors.New("boom\nsecond line")
	rep := Run(ctx, nil, []Step{
		{Name: "lock", Run: ok("held")},
		{Name: "tofu-base", After: []string{"lock"}, Run: func(context.Context) (string, error) { return "", boom }},
		{Name: "rollout", After: []string{"tofu-base"}, Run: ok("")},
	}, Step{Name: "unlock", Run: ok("released")})
	parent.End()
	if rep.Err() == nil {
		t.Fatal("no error")
	}
	spans := spansByName(t, sr)
	want := map[string]Status{"lock": Succeeded, "tofu-base": Failed, "rollout": Skipped, "unlock": Succeeded}
	for name, st := range want {
		s, ok := spans[name]
		if !ok {
			t.Fatalf("no span %q; have %v", name, spans)
		}
		if s.Parent().SpanID() != parent.SpanContext().SpanID() || s.SpanContext().TraceID() != parent.SpanContext().TraceID() {
			t.Errorf("%s: parent %v, want the caller's span %v", name, s.Parent().SpanID(), parent.SpanContext().SpanID())
		}
		if v, _ := attr(s, AttrStatus); v.AsString() != string(st) {
			t.Errorf("%s: %s = %q, want %q", name, AttrStatus, v.AsString(), st)
		}
	}
	if got := spans["tofu-base"].Status(); got.Code != codes.Error || got.Description != "boom …" {
		t.Errorf("tofu-base status = %+v, want Error \"boom …\"", got)
	}
	var recorded bool
	for _, e := range spans["tofu-base"].Events() {
		if e.Name == "exception" {
			recorded = true
		}
	}
	if !recorded {
		t.Error("tofu-base: error not recorded as an exception event")
	}
	if got := spans["lock"].Status().Code; got == codes.Error {
		t.Errorf("lock status = %v", got)
	}
	if v, _ := attr(spans["rollout"], AttrDetail); v.AsString() != "after failed step tofu-base" {
		t.Errorf("rollout detail = %q", v.AsString())
	}
	if s := spans["rollout"]; s.EndTime() != s.StartTime() && s.EndTime().Sub(s.StartTime()) > 1e8 {
		t.Errorf("skipped span lasted %s", s.EndTime().Sub(s.StartTime()))
	}
	if v, _ := attr(spans["unlock"], AttrFinally); !v.AsBool() {
		t.Error("unlock span not marked finally")
	}
	if v, _ := attr(spans["rollout"], AttrAfter); strings.Join(v.AsStringSlice(), ",") != "tofu-base" {
		t.Errorf("rollout after = %v", v.AsStringSlice())
	}
}

func TestNestedWorkIsAChildOfTheStep(t *testing.T) {
	sr := withRecorder(t)
	var out bytes.Buffer
	rep := Run(context.Background(), &out, []Step{{Name: "rollout", Run: func(ctx context.Context) (string, error) {
		inner := Run(ctx, Progress(ctx), []Step{
			{Name: "migrate", Run: ok("")},
			{Name: "roll", After: []string{"migrate"}, Run: func(ctx context.Context) (string, error) {
				_, s := otel.Tracer("test").Start(ctx, "UpdateService")
				s.End()
				return "", nil
			}},
		})
		return "", inner.Err()
	}}})
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	spans := spansByName(t, sr)
	if p := spans["rollout"].Parent(); p.IsValid() {
		t.Errorf("rollout has parent %v with no span in ctx", p.SpanID())
	}
	for child, parent := range map[string]string{"migrate": "rollout", "roll": "rollout", "UpdateService": "roll"} {
		if got, want := spans[child].Parent().SpanID(), spans[parent].SpanContext().SpanID(); got != want {
			t.Errorf("%s: parent %v, want %s (%v)", child, got, parent, want)
		}
	}
	// The nested run's lines went through the outer step's progress writer.
	var lines []string
	for _, e := range spans["rollout"].Events() {
		if e.Name == ProgressEvent {
			for _, kv := range e.Attributes {
				if kv.Key == AttrLine {
					lines = append(lines, kv.Value.AsString())
				}
			}
		}
	}
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "▶ migrate") || !strings.HasPrefix(lines[3], "✔ roll") {
		t.Errorf("rollout progress events = %q", lines)
	}
	if !strings.Contains(out.String(), "▶ migrate\n") {
		t.Errorf("out lacks the nested lines:\n%s", out.String())
	}
}

func TestProgressLinesLandInTheStepSpanAndOut(t *testing.T) {
	sr := withRecorder(t)
	var out bytes.Buffer
	Run(context.Background(), &out, []Step{{Name: "release", Run: func(ctx context.Context) (string, error) {
		w := Progress(ctx)
		fmt.Fprint(w, "uploading 3 files")
		fmt.Fprint(w, "…\ncut over\r\nno newline")
		return "done", nil
	}}})
	s := spansByName(t, sr)["release"]
	var lines []string
	for _, e := range s.Events() {
		if e.Name == ProgressEvent {
			lines = append(lines, e.Attributes[0].Value.AsString())
		}
	}
	if got := strings.Join(lines, "|"); got != "uploading 3 files…|cut over|no newline" {
		t.Errorf("events = %q", got)
	}
	if !strings.Contains(out.String(), "uploading 3 files…\ncut over\r\nno newline\n✔ release") {
		t.Errorf("out =\n%s", out.String())
	}
	if v, _ := attr(s, AttrDetail); v.AsString() != "done" {
		t.Errorf("detail = %q", v.AsString())
	}
}

func TestProgressOutsideAStepDiscards(t *testing.T) {
	if n, err := fmt.Fprintln(Progress(context.Background()), "x"); n != 2 || err != nil {
		t.Fatalf("Fprintln = %d, %v", n, err)
	}
}

func TestPanicIsAFailedSpan(t *testing.T) {
	sr := withRecorder(t)
	Run(context.Background(), nil, []Step{{Name: "p", Run: func(context.Context) (string, error) { panic("oops") }}})
	s := spansByName(t, sr)["p"]
	if s.Status().Code != codes.Error || s.Status().Description != "panic: oops" {
		t.Errorf("status = %+v", s.Status())
	}
}
