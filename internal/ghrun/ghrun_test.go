package ghrun

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	c := Contexts{"vars.AWS_REGION": "eu-central-1", "github.run_id": "42"}
	for expr, want := range map[string]string{
		"vars.AWS_REGION":                     "eu-central-1",
		"inputs.environment || 'production'":  "production",
		"vars.AWS_REGION || 'x'":              "eu-central-1",
		"'it''s'":                             "it's",
		"secrets.TF_ENCRYPTION":               "",
		"'a||b'":                              "a||b",
		"inputs.x || vars.AWS_REGION || 'no'": "eu-central-1",
	} {
		got, err := Eval(expr, c)
		if err != nil || got != want {
			t.Errorf("Eval(%q) = %q, %v; want %q", expr, got, err, want)
		}
	}
	for _, bad := range []string{"!cancelled()", "format('{0}', github.run_id)", "foo.bar", "vars.A == 'b'", "'unterminated"} {
		if got, err := Eval(bad, c); err == nil {
			t.Errorf("Eval(%q) = %q, want an error", bad, got)
		}
	}
}

func TestExpand(t *testing.T) {
	got, err := Expand("${{ github.server_url }}/${{github.repository}}/runs/${{ github.run_id }}",
		Contexts{"github.server_url": "https://github.com", "github.repository": "o/r", "github.run_id": "7"})
	if err != nil || got != "https://github.com/o/r/runs/7" {
		t.Fatalf("Expand = %q, %v", got, err)
	}
	if _, err := Expand("${{ toJSON(github) }}", nil); err == nil {
		t.Fatal("an unsupported expression must be an error")
	}
}

const wf = `
name: deploy
env:
  TOP: top
jobs:
  deploy:
    env:
      DEPLOY_ENV: ${{ inputs.environment || 'production' }}
      TOP: job
    steps:
      - name: Check out
        uses: actions/checkout@v6
      - name: Deploy
        shell: bash
        env:
          OUT: ${{ runner.temp }}/out.txt
        run: |
          echo "$DEPLOY_ENV $TOP $FROM_ACTION ${{ vars.GREETING }}" > "$OUT"
          false | true
      - name: Pipefail
        shell: bash
        run: |
          false | true
      - name: No shell
        run: |
          false | true
`

func TestRunsAStepAsTheRunnerDoes(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "wf.yml")
	if err := os.WriteFile(p, []byte(wf), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	c := Contexts{"runner.temp": dir, "vars.GREETING": "hello"}
	run := func(name string) error {
		j, s, err := w.Step("deploy", name)
		if err != nil {
			t.Fatal(err)
		}
		env, err := w.StepEnv(j, s, map[string]string{"PATH": os.Getenv("PATH"), "FROM_ACTION": "exported"}, c)
		if err != nil {
			t.Fatal(err)
		}
		cmd, err := s.Command(dir, dir, env, c)
		if err != nil {
			t.Fatal(err)
		}
		var errb bytes.Buffer
		cmd.Stderr = &errb
		return cmd.Run()
	}
	if err := run("Deploy"); err == nil {
		t.Fatal("`false | true` under bash -eo pipefail must fail the step")
	}
	out, err := os.ReadFile(filepath.Join(dir, "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "production job exported hello" {
		t.Fatalf("the step saw %q", got)
	}
	if err := run("Pipefail"); err == nil {
		t.Fatal("shell: bash must run with pipefail")
	}
	if err := run("No shell"); err != nil {
		t.Fatalf("no shell is bash -e without pipefail: %v", err)
	}
	if _, _, err := w.Step("deploy", "Check out"); err == nil {
		t.Fatal("a uses: step has no script: Step must refuse it")
	}
	if _, _, err := w.Step("deploy", "Nope"); err == nil {
		t.Fatal("a missing step must be an error")
	}
}
