package rehearsal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The steps' edits apply to the repository as it is: every file they name exists, every edit
// changes it, and C carries B's changes plus its own.
func TestStepsEditTheRepository(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) (string, error) {
		b, err := os.ReadFile(filepath.Join(root, p))
		return string(b), err
	}
	steps := Steps("staging", strings.Repeat("a", 40), Paths{APIDir: "examples/bookme/api", ClientDir: "examples/bookme/frontend", ServiceConfigDir: "service-config/api"})
	if len(steps) != 3 || steps[0].GitSHA != strings.Repeat("a", 40) || len(steps[0].Edits) != 0 {
		t.Fatalf("steps %+v", steps)
	}
	seen := map[string]bool{}
	for _, s := range steps {
		if len(s.GitSHA) != 40 || seen[s.GitSHA] {
			t.Errorf("release %s: commit %q (not 40 hex digits or not unique)", s.Name, s.GitSHA)
		}
		seen[s.GitSHA] = true
	}
	b, err := steps[1].Files(read)
	if err != nil {
		t.Fatal(err)
	}
	c, err := steps[2].Files(read)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 4 || len(c) != 4 {
		t.Fatalf("B edits %d files, C %d; want 4 each", len(b), len(c))
	}
	for p, content := range b {
		old, _ := read(p)
		if content == old {
			t.Errorf("B leaves %s unchanged", p)
		}
	}
	tfvars := b["infra/environments/staging.backend.tfvars"]
	if !strings.Contains(tfvars, "api_cpu    = "+APICPU) || !strings.Contains(tfvars, "api_memory = "+APIMemory) {
		t.Errorf("B's tfvars:\n%s", tfvars)
	}
	if in := b["service-config/api/staging.inputs.json"]; !strings.Contains(in, `"sendgrid_sender_email": "`+SenderB+`"`) || !strings.Contains(in, `"db_app_user"`) {
		t.Errorf("B's inputs:\n%s", in)
	}
	api := c["examples/bookme/api/accounts/views.py"]
	if !strings.Contains(api, "release B") || !strings.Contains(api, "release C") {
		t.Errorf("C's API source does not carry B's and C's changes:\n%s", api)
	}
	if !steps[2].FailSmoke || steps[1].FailSmoke {
		t.Error("only C fails its smoke check")
	}
	if _, err := steps[1].Files(func(string) (string, error) { return "", errors.New("no such file") }); err == nil || !strings.Contains(err.Error(), "release B: read") {
		t.Errorf("a missing file: %v", err)
	}
	bad := Step{Name: "X", Edits: []Edit{{Path: "x.json", Why: "w", Apply: setJSON("missing", "v")}}}
	if _, err := bad.Files(func(string) (string, error) { return `{"a": 1}`, nil }); err == nil || !strings.Contains(err.Error(), "no missing to change") {
		t.Errorf("an edit that cannot apply: %v", err)
	}
}
