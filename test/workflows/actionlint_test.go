//go:build integration

package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// actionlintBin is where scripts/lint-workflows builds actionlint.
func actionlintBin() string {
	cache := os.Getenv("BOOKME_CACHE")
	if cache == "" {
		cache = "/var/cache/bookme-deploy"
	}
	return filepath.Join(cache, "bin", "actionlint")
}

// TestActionlint runs scripts/lint-workflows (which builds actionlint when missing) on .github/workflows.
func TestActionlint(t *testing.T) {
	root := repoRoot(t)
	cmd := exec.Command(filepath.Join(root, "scripts", "lint-workflows"))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/lint-workflows failed (%v): fix the findings, or if actionlint could not be built, check Go and the module proxy:\n%s", err, out)
	}
	if !strings.Contains(string(out), "workflow files clean") {
		t.Fatalf("scripts/lint-workflows did not report a clean run:\n%s", out)
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Fatal("shellcheck is not installed, so actionlint did not check the run: scripts (apt-get install shellcheck)")
	}
}

// TestActionlintCatchesMistakes proves the linter run above can fail: a workflow with a typo'd context, an
// unknown permission and a shell bug must be rejected.
func TestActionlintCatchesMistakes(t *testing.T) {
	TestActionlint(t) // builds the binary if needed
	dir := t.TempDir()
	bad := `name: bad
on: push
permissions:
  id-tokens: write
jobs:
  x:
    runs-on: ubuntu-latest
    steps:
      - run: echo ${{ github.evnt.ref }} $UNQUOTED_VAR
        shell: bash
`
	if err := os.MkdirAll(filepath.Join(dir, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, ".github", "workflows", "bad.yml")
	if err := os.WriteFile(f, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(actionlintBin(), "-no-color", f)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("actionlint accepted a broken workflow:\n%s", out)
	}
	for _, want := range []string{"id-tokens", "evnt", "SC2086"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("actionlint output does not mention %q:\n%s", want, out)
		}
	}
}
