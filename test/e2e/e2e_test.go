//go:build e2e

// Package e2e runs the Dagger module's entry points on a real Dagger engine, from the repository
// root, exactly as a user types them. It needs `dagger` on PATH and an engine
// (_EXPERIMENTAL_DAGGER_RUNNER_HOST); without one every test fails — the tier never passes silently.
package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"bookme-deploy/core/record"
	"bookme-deploy/test/reliability"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// dagger runs `dagger call ARGS...` from the repository root and returns stdout, stderr and the time.
func dagger(t *testing.T, env []string, args ...string) (string, string, time.Duration) {
	t.Helper()
	if _, err := exec.LookPath("dagger"); err != nil {
		t.Fatal("e2e: no dagger CLI on PATH: set up an engine (scripts/test e2e starts the local harness)")
	}
	if os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST") == "" {
		t.Fatal("e2e: _EXPERIMENTAL_DAGGER_RUNNER_HOST is not set: no Dagger engine to run on")
	}
	cmd := exec.Command("dagger", append([]string{"call"}, args...)...)
	cmd.Dir = repoRoot(t)
	// Dots, not plain: the tier runs several pipelines on two cores, and plain progress of a dry-run
	// costs the CLI CPU time the pipelines need; a failure still ends in the error (stderr). The
	// workflow lines run with the runner's environment, as on GitHub.
	cmd.Env = append(append(os.Environ(), "DAGGER_PROGRESS=dots"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		tail := errb.String()
		if len(tail) > 6000 {
			tail = tail[len(tail)-6000:]
		}
		t.Fatalf("dagger call %s failed after %s: %v\nstdout:\n%s\nstderr (tail):\n%s", strings.Join(args, " "), d.Round(time.Second), err, out.String(), tail)
	}
	return out.String(), errb.String(), d
}

func mirror(t *testing.T) string {
	m := os.Getenv("BOOKME_PROVIDER_MIRROR")
	if m == "" {
		t.Fatal("e2e: BOOKME_PROVIDER_MIRROR is not set (scripts/provider-mirror prints it)")
	}
	return m
}

// firstDeploy is closed once the workflow-lines test's first deploy has ended (or that test has).
// TestCheck, which is all compilation, waits for it: on a two-core machine the CPU then goes first to
// the tier's longest chain of steps, the workflow-lines test, whose deploy is its first link.
var firstDeploy = struct {
	once sync.Once
	done chan struct{}
}{done: make(chan struct{})}

func firstDeployEnded() { firstDeploy.once.Do(func() { close(firstDeploy.done) }) }

// scheduled says whether this run of the tests includes the top-level test name (-run).
func scheduled(name string) bool {
	f := flag.Lookup("test.run")
	if f == nil || f.Value.String() == "" {
		return true
	}
	ok, err := regexp.MatchString(strings.SplitN(f.Value.String(), "/", 2)[0], name)
	return err == nil && ok
}

func TestCheck(t *testing.T) {
	t.Parallel()
	if scheduled("TestWorkflowLinesRunAsWritten") {
		start := time.Now()
		select {
		case <-firstDeploy.done:
		case <-time.After(45 * time.Minute):
		}
		t.Logf("waited %s for the workflow-lines test's first deploy", time.Since(start).Round(time.Second))
	}
	out, _, d := dagger(t, nil, "check")
	for _, want := range []string{"go test ./... (unit):", "ok  \tbookme-deploy/core/pipeline", "tofu fmt -check -recursive infra/: ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("dagger call check: %s", d.Round(time.Second))
}

// The README's demo command (with the provider mirror of a machine without the registry): a release
// deployed to the emulated account, deployed again (its plan must find nothing to change), the account checked.
// The scenarios that prove properties (rival deploy refused by the lock, drifted plan file, --stages,
// credential forms) are Go tests of core/deploy against moto; this test runs the user's command.
func TestDryRun(t *testing.T) {
	t.Parallel()
	// The README's line: three releases (A; B; C failing after its cut-over; rollback to A).
	out, _, d := dagger(t, nil, "with-provider-mirror", "--dir", mirror(t), "dry-run")
	for _, want := range []string{
		"## Release A: first deploy",
		// The life of a release, each line a check the rehearsal read from the emulated account.
		"## Release B: commit", "OpenTofu: API task CPU 512, memory 1024", "✔ the API's revision carries OpenTofu's new cpu/memory 512/1024",
		"✔ the services read B's env file", "✔ B's env file carries B's input", "✔ index.html references B's entry",
		"## Release C: commit", "does not answer as itself", "✔ everything is B's again", "✔ the deploy lock is released",
		"(release A) in", "✔ everything is A's again", "✔ A's revisions keep A's cpu/memory",
		"✔ client bucket serves index.html with Cache-Control no-cache",
		"is immutable-cached", "✔ env file", "✔ deploy lock released", "✔ deploy records",
		"✔ services run the image by digest", "Dry-run passed",
		// DB bootstrap and migration ran as one-off tasks before the roll.
		"ran db-bootstrap, migration;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run report lacks %q", want)
		}
	}
	// The rehearsal's moto runs patch 7 (a retry whose answer was lost gets its first answer) and lists
	// the replays; the report says how many there were.
	if !strings.Contains(out, "Lost answers: ") || strings.Contains(out, "Lost answers: unknown") {
		t.Errorf("the dry-run's moto does not list its replays (patch 7 not loaded?)")
	}
	// Release C's smoke step fails on purpose; no check of the account may.
	if failed := regexp.MustCompile(`(?m)^- ✘ .*$`).FindAllString(out, -1); len(failed) > 0 {
		t.Errorf("dry-run report has failed account checks: %v", failed)
	}
	if !regexp.MustCompile(`(?m)^smoke +failed +\S+ +smoke: release C`).MatchString(out) {
		t.Errorf("release C's smoke step did not fail as the rehearsal makes it")
	}
	first := regexp.MustCompile(`image pushed: true .* task definitions registered: [1-9]`)
	if !first.MatchString(out) {
		t.Errorf("the first deploy should push the image and register task definitions")
	}
	t.Logf("dagger call dry-run: %s\n%s", d.Round(time.Second), out)
}

var artifacts struct {
	once          sync.Once
	dir, stderr   string
	redis, awsKey string
	took          time.Duration
}

// dryRunArtifacts runs `dry-run-artifacts` once with recognisable fake secrets and exports its output.
// It rehearses the second app layout, examples/cra-app (its own bookme-deploy.yaml: API in backend/, a
// Create React App client in web/ building build/), laid over the repository: the reference app's
// three releases are TestDryRun's.
func dryRunArtifacts(t *testing.T) (dir, stderr string) {
	artifacts.once.Do(func() {
		if d := os.Getenv("BOOKME_E2E_ARTIFACTS"); d != "" {
			// A developer's shortcut to re-run the tests that only read the artifacts (the leak scan
			// then has no planted values to look for, so it refuses).
			artifacts.dir = d
			return
		}
		artifacts.redis = "FAKEREDISPW" + randHex(t) // the prefix of every password moto generates (the Redis user's)
		artifacts.awsKey = "FAKEAWSSECRET" + randHex(t)
		d, err := os.MkdirTemp("", "bookme-e2e-artifacts-")
		if err != nil {
			t.Fatal(err)
		}
		artifacts.dir = d
		// Plain progress: the leak scan reads every line the pipeline logged.
		_, artifacts.stderr, artifacts.took = dagger(t, []string{"BOOKME_FAKE_AWS=" + artifacts.awsKey, "BOOKME_FAKE_MARK=" + artifacts.redis, "DAGGER_PROGRESS=plain"},
			"--aws-secret-access-key", "env:BOOKME_FAKE_AWS", "with-provider-mirror", "--dir", mirror(t),
			"dry-run-artifacts", "--releases=1", "--password-mark", "env:BOOKME_FAKE_MARK", "--app", "examples/cra-app",
			"export", "--path", d)
	})
	if artifacts.dir == "" {
		t.Fatal("dry-run-artifacts failed earlier")
	}
	return artifacts.dir, artifacts.stderr
}

// Recognisable fake secrets go in; nothing the pipeline produced may contain them.
func TestDryRunLeaksNoSecret(t *testing.T) {
	t.Parallel()
	dir, stderr := dryRunArtifacts(t)
	if artifacts.redis == "" {
		t.Fatal("BOOKME_E2E_ARTIFACTS reuses artifacts without planted secrets: the leak scan cannot run")
	}
	for _, name := range []string{"report.md", "progress.log", "record.json", "image/index.json", "bundle/index.html"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("artifact %s missing: %v", name, err)
		}
	}
	states, _ := filepath.Glob(filepath.Join(dir, "buckets", "*", "staging", "*.tfstate"))
	if len(states) != 3 {
		t.Errorf("want the 3 OpenTofu state objects, found %v", states)
	}
	rec := readRecord(t, dir)
	checkPublishedImage(t, filepath.Join(dir, "image"), rec)
	// The ECR password moto hands out (GetAuthorizationToken) went to WithRegistryAuth: it must not
	// be in the image either.
	secrets := []string{artifacts.redis, artifacts.awsKey, motoECRPassword}
	findings, err := reliability.ScanFiles(dir, secrets)
	if err != nil {
		t.Fatal(err)
	}
	more, err := reliability.ScanBytes("dagger stderr", []byte(stderr), secrets)
	if err != nil {
		t.Fatal(err)
	}
	findings = append(findings, more...)
	f, err := reliability.ScanOCILayout(filepath.Join(dir, "image"), secrets)
	if err != nil {
		t.Fatal(err)
	}
	findings = append(findings, f...)
	if len(findings) > 0 {
		t.Fatalf("secret values found in the dry-run's output:\n%s", reliability.Report(findings))
	}
	n := 0
	_ = filepath.Walk(dir, func(string, os.FileInfo, error) error { n++; return nil })
	t.Logf("scanned %d files + stderr + image layers for %d secrets: none found (%s)", n, len(secrets), artifacts.took.Round(time.Second))
}

func readRecord(t *testing.T, dir string) *record.Record {
	t.Helper()
	recData, err := os.ReadFile(filepath.Join(dir, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := record.Parse(recData)
	if err != nil {
		t.Fatalf("record.json does not parse: %v", err)
	}
	return rec
}

func randHex(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// The CRA-shaped app deployed from its own config: its bundle (build/: static/js/main.<hash>.js with
// .map and .LICENSE.txt, asset-manifest.json) is what the client bucket got, and the rehearsal read
// every object's Cache-Control back against the app's header rules (hashed files immutable,
// asset-manifest.json and the HTML no-cache).
func TestCRAAppRehearsal(t *testing.T) {
	t.Parallel()
	dir, _ := dryRunArtifacts(t)
	for _, pattern := range []string{"bundle/asset-manifest.json", "bundle/static/js/main.*.js", "bundle/static/js/main.*.js.map", "bundle/static/js/main.*.js.LICENSE.txt"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) == 0 {
			t.Errorf("the CRA bundle lacks %s", pattern)
		}
	}
	report, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"✔ the app's header rules on s3://", "asset-manifest.json", "static/js/main."} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the rehearsal's account check lacks %q:\n%s", want, report)
		}
	}
	if regexp.MustCompile(`(?m)^- ✘ `).Match(report) {
		t.Errorf("the rehearsal's account check has a failed line:\n%s", report)
	}
	if !strings.Contains(string(report), "Lost answers: ") || strings.Contains(string(report), "Lost answers: unknown") {
		t.Errorf("the rehearsal's moto does not list its replays (patch 7 not loaded?)")
	}
}
