package record

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample() *Record {
	start := time.Date(2026, 11, 26, 9, 30, 5, 0, time.UTC)
	r := &Record{
		Environment: "production", Who: "alice", GitSHA: "0123456789abcdef0123456789abcdef01234567",
		RunURL: "https://ci.example/runs/7", Started: start, Finished: start.Add(3*time.Minute + 12*time.Second),
		ImageRef:        "123456789012.dkr.ecr.eu-central-1.amazonaws.com/book-me-prod-api@sha256:" + strings.Repeat("ab", 32),
		TaskDefinitions: map[string]string{"worker": "arn:aws:ecs:eu-central-1:123456789012:task-definition/worker:4", "api": "arn:aws:ecs:eu-central-1:123456789012:task-definition/api:12"},
		PlanHashes:      map[string]string{"base": "sha256:" + strings.Repeat("1", 64), "frontend": strings.Repeat("2", 64)}, // as stack.Plan hashes them; a bare hex too
		Bundle:          &Bundle{Entry: "assets/index.3f2a1b.js", Files: 14, Bytes: 312345, Uploaded: 3, Deleted: 1},
		Steps:           []Step{},
	}
	r.Add(Step{Name: "lock", Status: Ran, Started: start, Duration: 420 * time.Millisecond})
	r.Add(Step{Name: "tofu base", Status: Failed, Started: start, Duration: 61 * time.Second, Detail: "apply: Error | bad\nsecond line"})
	r.Skip("migrate", "an earlier step failed")
	return r
}

func TestMarkdown(t *testing.T) {
	md := sample().Markdown()
	for _, want := range []string{
		"## ❌ Deploy production failed\n",
		"| Commit | `0123456789abcdef0123456789abcdef01234567` |",
		"| By | alice |",
		"| Duration | 3m12s |",
		"| lock | ✅ succeeded | 420ms |  |",
		`| tofu base | ❌ failed | 1m1s | apply: Error \| bad second line |`,
		"| migrate | ⏭️ skipped |  | an earlier step failed |",
		"- api: `arn:aws:ecs:eu-central-1:123456789012:task-definition/api:12`\n- worker:",
		"- base: `sha256:1111",
		"- frontend: `sha256:2222",
		"- entry `assets/index.3f2a1b.js`, 14 files, 305.0 KiB, 3 uploaded, 1 deleted",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "sha256:sha256:") {
		t.Errorf("a plan hash is printed with its prefix twice:\n%s", md)
	}
	ok := &Record{Environment: "production", DryRun: true, Started: time.Now()}
	ok.Ran("lock", time.Now(), "")
	if md := ok.Markdown(); !strings.HasPrefix(md, "## ✅ Deploy production succeeded (dry-run, emulated account)") {
		t.Fatalf("success heading: %s", md)
	}
}

func TestJSONRoundTripAndKey(t *testing.T) {
	r := sample()
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"outcome": "failed"`, `"durationMs": 192000`, `"durationMs": 61000`, `"status": "skipped"`, `"gitSha": "0123456789abcdef`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s:\n%s", want, s)
		}
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Steps[1].Duration != 61*time.Second || back.Steps[1].Status != Failed || back.ImageRef != r.ImageRef || back.Bundle.Files != 14 {
		t.Fatalf("round trip: %+v", back)
	}
	if k := r.Key(); k != "deploy/records/20261126T093005Z-0123456789ab.json" {
		t.Fatalf("key = %s", k)
	}
}

func TestStepHelpers(t *testing.T) {
	r := New("production", "ci", "abc")
	start := time.Now().Add(-2 * time.Second)
	r.Ran("build", start, "pushed")
	r.Fail("smoke", start, errors.New("GET /auth/ping/ = 502"))
	if r.Succeeded() || r.Steps[0].Duration < 2*time.Second || r.Steps[1].Detail != "GET /auth/ping/ = 502" {
		t.Fatalf("steps = %+v", r.Steps)
	}
	if r.Duration() != 0 {
		t.Fatal("duration before Finish")
	}
	r.Finish()
	if r.Duration() <= 0 {
		t.Fatal("duration after Finish")
	}
}

func TestAppendStepSummary(t *testing.T) {
	t.Setenv(StepSummaryEnv, "")
	if done, err := AppendStepSummary(sample()); done || err != nil {
		t.Fatalf("unset variable: %v %v", done, err)
	}
	path := filepath.Join(t.TempDir(), "summary.md")
	os.WriteFile(path, []byte("earlier step\n"), 0o644)
	t.Setenv(StepSummaryEnv, path)
	if done, err := AppendStepSummary(sample()); !done || err != nil {
		t.Fatalf("append: %v %v", done, err)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "earlier step\n## ❌ Deploy production failed") {
		t.Fatalf("summary file = %q", b)
	}
}

func TestKeyIsUniquePerRun(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	a := &Record{GitSHA: "0123456789abcdef0123", Started: at, RunID: "20261201T100000Z-aaaaaaaaaaaa"}
	b := &Record{GitSHA: "0123456789abcdef0123", Started: at, RunID: "20261201T100000Z-bbbbbbbbbbbb"}
	if a.Key() == b.Key() {
		t.Fatalf("two runs of one commit in one second share the key %s", a.Key())
	}
	if want := "deploy/records/20261201T100000Z-0123456789ab-aaaaaaaaaaaa.json"; a.Key() != want {
		t.Fatalf("key %s, want %s", a.Key(), want)
	}
	old := &Record{GitSHA: "0123456789abcdef0123", Started: at}
	if want := "deploy/records/20261201T100000Z-0123456789ab.json"; old.Key() != want {
		t.Fatalf("a record without a run id keeps the old key: %s", old.Key())
	}
}

// A cancelled step is stored as failed + cancelled (a reader that predates "cancelled" sees no
// success) and read back as Cancelled; the outcomes say cancelled.
func TestCancelledRecord(t *testing.T) {
	r := New("staging", "ci", "c0ffee0123456789")
	r.Add(Step{Name: "lock", Status: Succeeded})
	r.Add(Step{Name: "migrate-and-roll", Status: Cancelled, Detail: "rollout: cancelled while rolling api"})
	r.Add(Step{Name: "smoke", Status: Skipped, Detail: "after cancelled step migrate-and-roll"})
	r.Cancellation = &Cancellation{Reason: "context canceled", Interrupted: []string{"migrate-and-roll: rollout: cancelled while rolling api"}}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var stored struct {
		Outcome string `json:"outcome"`
		Steps   []map[string]any
	}
	if err := json.Unmarshal(b, &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Outcome != "cancelled" || stored.Steps[1]["status"] != "failed" || stored.Steps[1]["cancelled"] != true || stored.Steps[0]["cancelled"] != nil {
		t.Errorf("stored %s", b)
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Steps[1].Status != Cancelled || back.Succeeded() || !back.Cancelled() || back.ReleaseOutcome() != "cancelled" {
		t.Errorf("read back: %+v, outcome %s", back.Steps[1], back.ReleaseOutcome())
	}
	back.Rollback = &Rollback{Services: []ServiceRollback{{Service: "api", RolledBack: true}}}
	if got := back.ReleaseOutcome(); got != "cancelled, rolled back" {
		t.Errorf("outcome %q", got)
	}
	back.Rollback.Services[0].RolledBack = false
	if got := back.ReleaseOutcome(); got != "cancelled, roll-back incomplete" {
		t.Errorf("outcome %q", got)
	}
	md := back.Markdown()
	for _, want := range []string{"## ⊘ Deploy staging cancelled", "| migrate-and-roll | ⊘ cancelled |", "### Cancelled", "- interrupted: migrate-and-roll: rollout"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	// A record written before cancellation existed reads as before.
	old, err := Parse([]byte(`{"environment":"staging","gitSha":"c0ffee","started":"2026-01-01T00:00:00Z","steps":[{"name":"lock","status":"ran","durationMs":5},{"name":"roll","status":"failed","durationMs":5}]}`))
	if err != nil || old.Cancelled() || old.Outcome() != "failed" || old.Steps[0].Status != Succeeded {
		t.Errorf("old record: %+v %v", old, err)
	}
}
