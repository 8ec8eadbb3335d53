package planfile

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func complete(t *testing.T) *File {
	t.Helper()
	f := New("staging", "0123456789abcdef0123456789abcdef01234567", time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	for i, p := range Parts {
		f.Set(p, "sha256:"+strings.Repeat(string(rune('a'+i)), 64), p+" summary\nsecond line")
	}
	f.Text = "## Plan"
	return f
}

func TestRoundTrip(t *testing.T) {
	f := complete(t)
	data, err := f.JSON()
	if err != nil {
		t.Fatal(err)
	}
	g, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if d := f.Compare(g); d.Err() != nil {
		t.Fatalf("a parsed file differs from its source: %v", d)
	}
	if p, _ := g.Get(PartImage); p.Summary != "image summary second line" {
		t.Errorf("summary not one line: %q", p.Summary)
	}
}

func TestParseRefusesIncompleteOrForeign(t *testing.T) {
	f := complete(t)
	delete(f.Parts, PartRelease)
	data, _ := f.JSON()
	if _, err := Parse(data); err == nil || !strings.Contains(err.Error(), "no fingerprint for release") {
		t.Errorf("incomplete plan: %v", err)
	}
	for _, bad := range []string{`{}`, `not json`, `{"version":2,"environment":"s","gitSha":"x","parts":{}}`, `{"version":1,"environment":"s","gitSha":"x","parts":{},"extra":1}`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s) accepted", bad)
		}
	}
}

func TestCheckTarget(t *testing.T) {
	f := complete(t)
	if err := f.CheckTarget("staging", f.GitSHA); err != nil {
		t.Fatal(err)
	}
	if err := f.CheckTarget("production", f.GitSHA); err == nil || !strings.Contains(err.Error(), `"staging"`) {
		t.Errorf("other environment: %v", err)
	}
	if err := f.CheckTarget("staging", "fedcba9876543210fedcba9876543210fedcba98"); err == nil || !strings.Contains(err.Error(), "made for commit 0123456789ab") {
		t.Errorf("other commit: %v", err)
	}
}

func TestVerifyAndCompare(t *testing.T) {
	f := complete(t)
	p, _ := f.Get(PartTofuBase)
	if err := f.Verify(PartTofuBase, p.Fingerprint, "same"); err != nil {
		t.Fatalf("same fingerprint refused: %v", err)
	}
	err := f.Verify(PartTofuBase, "sha256:"+strings.Repeat("f", 64), "2 to change")
	var d DriftError
	if !errors.As(err, &d) || len(d) != 1 || d[0].Part != PartTofuBase {
		t.Fatalf("drift not reported: %v", err)
	}
	if !strings.Contains(err.Error(), "tofu-base (planned: tofu-base summary second line [aaaaaaaaaaaa]; now: 2 to change [ffffffffffff])") {
		t.Errorf("message: %v", err)
	}
	if err := f.Verify("nonsense", "x", ""); err == nil {
		t.Error("unknown part accepted")
	}

	now := complete(t)
	now.Set(PartRelease, "sha256:other", "another bundle")
	now.Set(PartImage, "sha256:other", "build")
	drift := f.Compare(now)
	if len(drift) != 2 || drift[0].Part != PartImage || drift[1].Part != PartRelease {
		t.Fatalf("compare: %+v (want image then release, deploy order)", drift)
	}
	delete(now.Parts, PartEnvFile)
	if drift := f.Compare(now); len(drift) != 3 {
		t.Fatalf("a missing part is drift: %+v", drift)
	}
}
