package record

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"bookme-deploy/core/pipeline"
)

// A record as stored before the record shared the pipeline's statuses ("ran" for a success).
const oldRecord = `{
  "environment": "production",
  "who": "octocat",
  "gitSha": "0123456789abcdef0123456789abcdef01234567",
  "started": "2026-11-26T09:30:05Z",
  "finished": "2026-11-26T09:33:17Z",
  "steps": [
    {"name": "lock", "status": "ran", "started": "2026-11-26T09:30:05Z", "durationMs": 420},
    {"name": "tofu-base", "status": "failed", "durationMs": 61000, "detail": "apply: Error"},
    {"name": "migrate", "status": "skipped", "durationMs": 0, "detail": "after failed step tofu-base"}
  ],
  "outcome": "failed",
  "durationMs": 192000
}`

func TestParseOldRecord(t *testing.T) {
	r, err := Parse([]byte(oldRecord))
	if err != nil {
		t.Fatal(err)
	}
	want := []Status{pipeline.Succeeded, pipeline.Failed, pipeline.Skipped}
	for i, s := range r.Steps {
		if s.Status != want[i] {
			t.Errorf("step %s: status %q, want %q", s.Name, s.Status, want[i])
		}
	}
	if r.Steps[0].Duration != 420*time.Millisecond || r.Succeeded() || r.Who != "octocat" {
		t.Fatalf("parsed = %+v", r)
	}
	if md := r.Markdown(); !strings.Contains(md, "| lock | ✅ succeeded | 420ms |  |") {
		t.Errorf("markdown:\n%s", md)
	}
	// Written again, it carries the pipeline's word.
	b, _ := r.JSON()
	if !strings.Contains(string(b), `"status": "succeeded"`) || strings.Contains(string(b), `"ran"`) {
		t.Errorf("rewritten JSON:\n%s", b)
	}
}

func TestSetStepsFromReport(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 30, 5, 0, time.FixedZone("CET", 3600))
	rep := &pipeline.Report{Steps: []pipeline.Outcome{
		{Name: "lock", Status: pipeline.Succeeded, Detail: "s3://state/deploy/production/lock.json", Started: t0, Duration: 2 * time.Second},
		{Name: "tofu-base", Status: pipeline.Failed, Detail: "ignored", Error: "apply: Error", Started: t0, Duration: time.Minute},
		{Name: "rollout", Status: pipeline.Skipped, Detail: "after failed step tofu-base"},
		{Name: "unlock", Status: pipeline.Succeeded, Detail: "released", Started: t0, Duration: time.Second},
	}}
	r := New("production", "octocat", "abc")
	r.Add(Step{Name: "stale", Status: Succeeded})
	r.SetSteps(rep)
	r.AddOutcome(pipeline.Outcome{Name: "record", Status: pipeline.Failed, Error: "write: denied", Started: t0})
	if len(r.Steps) != 5 {
		t.Fatalf("steps = %+v", r.Steps)
	}
	got := []string{}
	for _, s := range r.Steps {
		got = append(got, s.Name+"="+string(s.Status)+":"+s.Detail)
	}
	want := "lock=succeeded:s3://state/deploy/production/lock.json tofu-base=failed:apply: Error rollout=skipped:after failed step tofu-base unlock=succeeded:released record=failed:write: denied"
	if strings.Join(got, " ") != want {
		t.Errorf("steps =\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	if s := r.Steps[0]; s.Started.Location() != time.UTC || !s.Started.Equal(t0) || s.Duration != 2*time.Second {
		t.Errorf("lock step = %+v", s)
	}
	if !r.Steps[2].Started.IsZero() {
		t.Errorf("skipped step has a start: %v", r.Steps[2].Started)
	}
	if r.Succeeded() {
		t.Error("record with failed steps succeeded")
	}
	r.SetSteps(nil)
	if r.Steps == nil || len(r.Steps) != 0 {
		t.Errorf("SetSteps(nil) = %#v", r.Steps)
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"steps":[]`) {
		t.Errorf("json = %s", b)
	}
}

func TestSetStepsFromARun(t *testing.T) {
	rep := pipeline.Run(t.Context(), nil, []pipeline.Step{
		{Name: "a", Run: func(ctx context.Context) (string, error) { return "ok", nil }},
		{Name: "b", After: []string{"a"}, Run: func(ctx context.Context) (string, error) { return "", errors.New("boom") }},
		{Name: "c", After: []string{"b"}, Run: func(ctx context.Context) (string, error) { return "", nil }},
	})
	r := New("staging", "me", "abc")
	r.SetSteps(rep)
	if r.Steps[0].Status != Succeeded || r.Steps[1].Status != Failed || r.Steps[1].Detail != "boom" || r.Steps[2].Status != Skipped {
		t.Fatalf("steps = %+v", r.Steps)
	}
}
