package deploy

// Unit tests of the release-level roll-back's target selection and of the history's reading of
// records: no server, no build tag.

import (
	"strings"
	"testing"
	"time"

	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/record"
)

var svcs = []string{"api", "worker"}

// rel is a release of commit c with service revisions n, ended as outcome.
func rel(key, c string, n int, outcome string) Release {
	ok := outcome == "succeeded" || (strings.HasPrefix(outcome, "rollback to ") && strings.Count(outcome, " ") == 2)
	return Release{Key: RecordsPrefix + key + ".json", GitSHA: c, Outcome: outcome, OK: ok,
		TaskDefinitions: map[string]string{"api": td("api", n), "worker": td("worker", n)}}
}

func td(family string, n int) string {
	return "arn:aws:ecs:eu-central-1:123456789012:task-definition/" + family + ":" + string(rune('0'+n))
}

func live(n int) map[string]string {
	return map[string]string{"api": td("api", n), "worker": td("worker", n)}
}

const (
	shaA = "aaaa000000000000000000000000000000000000"
	shaB = "bbbb000000000000000000000000000000000000"
	shaC = "cccc000000000000000000000000000000000000"
	shaD = "dddd000000000000000000000000000000000000"
)

func pick(t *testing.T, rs []Release, live map[string]string, to string) (Release, []string) {
	t.Helper()
	i, skipped, err := pickTarget(rs, svcs, matchRunning(rs, svcs, live), to)
	if err != nil {
		t.Fatalf("pickTarget(%q): %v", to, err)
	}
	return rs[i], skipped
}

func TestDefaultTargetIsThePreviousSuccessfulRelease(t *testing.T) {
	rs := []Release{rel("3-b", shaB, 2, "succeeded"), rel("1-a", shaA, 1, "succeeded")}
	got, _ := pick(t, rs, live(2), "")
	if got.GitSHA != shaA {
		t.Fatalf("target %s, want A", got.GitSHA)
	}
}

func TestDefaultTargetSkipsFailedRolledBackRefusedAndPartialRuns(t *testing.T) {
	partial := rel("4-p", shaD, 0, "succeeded")
	partial.TaskDefinitions = map[string]string{"api": td("api", 7)} // --stages: no worker revision
	refused := Release{Key: RecordsPrefix + "3-r.json", GitSHA: shaD, Outcome: record.OutcomeRefusedByLock}
	rs := []Release{
		rel("6-c", shaC, 4, "succeeded"),
		partial,
		rel("5-c0", shaC, 4, "succeeded"),             // the same release, deployed again: running now too
		rel("3-b", shaB, 3, record.OutcomeRolledBack), // failed after the cut-over, returned
		refused,
		rel("2-b", shaB, 2, "failed"),
		rel("1-a", shaA, 1, "succeeded"),
	}
	got, skipped := pick(t, rs, live(4), "")
	if got.GitSHA != shaA {
		t.Fatalf("target %s, want A", got.GitSHA)
	}
	text := strings.Join(skipped, "\n")
	for _, want := range []string{"4-p", "5-c0", "3-b (commit bbbb00000000): rolled back", "3-r", "2-b"} {
		if !strings.Contains(text, want) {
			t.Errorf("skipped does not name %s:\n%s", want, text)
		}
	}
}

func TestDefaultTargetAfterAFailedNewerDeployIsOlderThanTheRunningOne(t *testing.T) {
	// C failed after rolling (smoke) and went back to B: B runs, A is the previous release.
	rs := []Release{rel("3-c", shaC, 3, record.OutcomeRolledBack), rel("2-b", shaB, 2, "succeeded"), rel("1-a", shaA, 1, "succeeded")}
	got, skipped := pick(t, rs, live(2), "")
	if got.GitSHA != shaA {
		t.Fatalf("target %s, want A", got.GitSHA)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], "newer than the release running now") {
		t.Errorf("skipped %v", skipped)
	}
}

func TestASecondRollbackGoesFurtherBack(t *testing.T) {
	// A, B, C, rollback to B: the next default roll-back serves A, not C again.
	rb := rel("4-rb", shaB, 2, "rollback to bbbb00000000")
	rb.RollbackTo = &record.RollbackTo{Record: RecordsPrefix + "2-b.json", GitSHA: shaB}
	rs := []Release{rb, rel("3-c", shaC, 3, "succeeded"), rel("2-b", shaB, 2, "succeeded"), rel("1-a", shaA, 1, "succeeded")}
	got, _ := pick(t, rs, live(2), "")
	if got.GitSHA != shaA {
		t.Fatalf("target %s, want A", got.GitSHA)
	}
	// A successful roll-back's record is itself a release one can return to.
	if !rb.Succeeded() {
		t.Error("a successful roll-back's record does not count as successful")
	}
}

func TestNoPreviousReleaseAndUnrecordedLiveState(t *testing.T) {
	rs := []Release{rel("1-a", shaA, 1, "succeeded")}
	if _, _, err := pickTarget(rs, svcs, matchRunning(rs, svcs, live(1)), ""); err == nil || !strings.Contains(err.Error(), "no successful release older") {
		t.Errorf("only one release: %v", err)
	}
	running := matchRunning(rs, svcs, live(9))
	if running != -1 {
		t.Fatalf("a hand-changed state matched record %d", running)
	}
	_, _, err := pickTarget(rs, svcs, running, "")
	if err == nil || !strings.Contains(err.Error(), "changed by hand") || !strings.Contains(err.Error(), "--to") {
		t.Errorf("unrecorded live state: %v", err)
	}
	// Half a release (one service changed by hand) is no release either.
	half := live(1)
	half["worker"] = td("worker", 8)
	if matchRunning(rs, svcs, half) != -1 {
		t.Error("a half-matching live state matched a record")
	}
}

func TestNamedTarget(t *testing.T) {
	rs := []Release{rel("4-b", shaB, 3, "succeeded"), rel("3-a", shaA, 2, "failed"), rel("2-a", shaA, 1, "succeeded"),
		rel("1-d", "aaab000000000000000000000000000000000000", 5, "succeeded")}
	if got, _ := pick(t, rs, live(3), "aaaa0"); got.Key != RecordsPrefix+"2-a.json" {
		t.Errorf("commit prefix: %s, want the newest successful record of the commit", got.Key)
	}
	for _, to := range []string{RecordsPrefix + "2-a.json", "2-a.json", "2-a"} {
		if got, _ := pick(t, rs, live(3), to); got.Key != RecordsPrefix+"2-a.json" {
			t.Errorf("--to %s: %s", to, got.Key)
		}
	}
	for to, want := range map[string]string{
		"aaa":     "not a commit prefix",
		"aaa0x":   "not a commit prefix",
		"aaab0":   "",
		"aaa0000": "no deploy record",
		"3-a":     "did not succeed",
	} {
		_, _, err := pickTarget(rs, svcs, 0, to)
		if want == "" {
			if err != nil {
				t.Errorf("--to %s: %v", to, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--to %s: error %v, want %q", to, err, want)
		}
	}
	amb := append(rs, rel("0-x", "aaaa100000000000000000000000000000000000", 6, "succeeded"))
	if _, _, err := pickTarget(amb, svcs, 0, "aaaa"); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	onlyFailed := []Release{rel("1-c", shaC, 1, "failed")}
	if _, _, err := pickTarget(onlyFailed, svcs, -1, "cccc"); err == nil || !strings.Contains(err.Error(), "no successful") {
		t.Errorf("a commit with only failed runs: %v", err)
	}
}

func TestReleaseOfRecordAndOutcomes(t *testing.T) {
	rec := record.New("staging", "alice", shaA)
	rec.ImageRef = "123.dkr.ecr/x@sha256:abcdef0123456789"
	rec.TaskDefinitions = map[string]string{"api": td("api", 1)}
	rec.EnvFileKey = "service-config/api/staging.env"
	rec.Bundle = &record.Bundle{ManifestSHA256: "0123456789abcdef", Entry: "assets/index.1.js"}
	rec.Add(record.Step{Name: "lock", Status: pipeline.Succeeded})
	r := ReleaseOf("cfg", rec.Key(), rec)
	if r.ImageDigest != "sha256:abcdef0123456789" || r.SPA == nil || r.SPA.Digest != "0123456789abcdef" || r.Outcome != "succeeded" ||
		r.EnvFileKey != rec.EnvFileKey || r.TaskDefinitions["api"] != td("api", 1) {
		t.Errorf("release %+v", r)
	}
	table := HistoryText([]Release{r})
	for _, want := range []string{"aaaa00000000", "abcdef012345", "api:1", "service-config/api/staging.env", "0123456789ab assets/index.1.js", "alice"} {
		if !strings.Contains(table, want) {
			t.Errorf("history table lacks %q:\n%s", want, table)
		}
	}
	if !strings.Contains(r.Text(), "env file      service-config/api/staging.env") {
		t.Errorf("release text:\n%s", r.Text())
	}

	refused := record.New("staging", "bob", shaB)
	refused.Add(record.Step{Name: "lock", Status: pipeline.Failed, Detail: "held by alice"})
	if o := refused.ReleaseOutcome(); o != record.OutcomeRefusedByLock {
		t.Errorf("refused: %q", o)
	}
	rolled := record.New("staging", "bob", shaB)
	rolled.Add(record.Step{Name: "smoke", Status: pipeline.Failed})
	rolled.Rollback = &record.Rollback{Reason: "smoke", Services: []record.ServiceRollback{{Service: "api", RolledBack: true}}}
	if o := rolled.ReleaseOutcome(); o != record.OutcomeRolledBack {
		t.Errorf("rolled back: %q", o)
	}
	rb := record.New("staging", "bob", shaA)
	rb.RollbackTo = &record.RollbackTo{Record: rec.Key(), GitSHA: shaA}
	rb.Started = time.Now().UTC()
	if o := rb.ReleaseOutcome(); o != "rollback to aaaa00000000" {
		t.Errorf("rollback: %q", o)
	}
	if r := ReleaseOf("cfg", rb.Key(), rb); !r.Succeeded() {
		t.Errorf("a successful roll-back's release: %+v", r)
	}
	refusedRB := *rb
	refusedRB.Steps = []record.Step{{Name: "lock", Status: pipeline.Failed}}
	if o := refusedRB.ReleaseOutcome(); o != "rollback to aaaa00000000 refused by lock" {
		t.Errorf("refused rollback: %q", o)
	}
	rb.Add(record.Step{Name: "roll-services", Status: pipeline.Failed})
	if o := rb.ReleaseOutcome(); o != "rollback to aaaa00000000 failed" {
		t.Errorf("failed rollback: %q", o)
	}
	if r := ReleaseOf("cfg", rb.Key(), rb); r.Succeeded() {
		t.Error("a failed roll-back counts as successful")
	}
}
