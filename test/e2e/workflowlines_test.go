//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator"
	"bookme-deploy/core/lock"
	"bookme-deploy/core/record"
	"bookme-deploy/core/smoke"
	"bookme-deploy/internal/ghrun"
	"bookme-deploy/internal/testenv"
	"bookme-deploy/test/reliability"
)

// The CI lines as written. Each workflow step that calls the module runs verbatim — its script from
// the YAML, `shell: bash` as the runner runs it (bash --noprofile --norc -eo pipefail) — with only
// what its job gives it: the job's and step's env, their ${{ }} expressions evaluated from fake
// repository variables and secrets, the session credentials configure-aws-credentials would export
// (fake), RUNNER_TEMP and GITHUB_STEP_SUMMARY. The engine stands for dagger-for-github's.
//
// The account is moto on loopback (HTTPS, patched as the dry-run's, marking every password it
// generates), prepared as docs/github-actions.md says a real account is before the first run (the
// state bucket of infra/bootstrap, the hosted zone). The lines do not name it: the checkout has a
// .env of Dagger local defaults (--emulated-account, its CA, the provider mirror: this machine
// reaches no provider registry), as a user's own .env would. Moto runs no containers, so the
// deploy's smoke check reads the account (core/emulator/rehearsal.Adapt); everything else is the
// real deploy.
//
// Asserted on the account: push to main deploys production (the services run the image ECR holds
// for the commit, the client bucket serves the new bundle's entry, an invalidation was made, the
// record says who and which run, the lock is released); the PR plan and the nightly drift plan
// succeed on the fresh apply and change nothing; the failed-deploy summary line runs; and no
// planted secret is anywhere in the account, the job summary or the steps' output.
func TestWorkflowLinesRunAsWritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	certs, err := emulator.NewTLS(emulator.Host)
	if err != nil {
		t.Fatal(err)
	}
	mark := "FAKEREDISPW" + randHex(t)
	// Reached through the engine's tunnel to a host service, which loses some answers: a retried create
	// gets its first answer (emulator.ReplayRetriesEnv, part of MotoEnv), as on a network that delivers answers.
	opts := []testenv.MotoOption{testenv.WithEmulatorPatches(), testenv.WithEnv(emulator.PasswordMarkEnv, mark)}
	for k, v := range emulator.MotoEnv {
		opts = append(opts, testenv.WithEnv(k, v))
	}
	moto := testenv.StartMotoTLS(t, certs, opts...)
	cfg, err := awsconf.Load(ctx, awsconf.Options{Region: testenv.Region, AccessKeyID: "testing", SecretAccessKey: "testing",
		Endpoint: moto.Endpoint, CABundlePEM: certs.CAPEM, TLSServerName: emulator.Host})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // how often the tunnel lost an answer (moto replayed it), for the log
		if rs, err := emulator.Replays(context.Background(), cfg.HTTPClient, moto.Endpoint); err == nil {
			t.Logf("lost answers: %d; %s", len(rs), emulator.ReplaysText(rs))
		}
	})
	acct := account{cfg: cfg, s3: testenv.S3(cfg), stateBucket: deploy.StateBucketName("123456789012")}
	if err := emulator.Prepare(ctx, cfg, acct.s3, emulator.Account{StateBucket: acct.stateBucket, HostedZone: "book-me.example.com"}); err != nil {
		t.Fatal(err)
	}

	work := checkout(t)
	ca := filepath.Join(t.TempDir(), "emulator-ca.pem")
	if err := os.WriteFile(ca, certs.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	defaults := fmt.Sprintf("BOOKME_EMULATEDACCOUNT=tcp://localhost:%d\nBOOKME_EMULATEDACCOUNTCA=%s\nBOOKME_PROVIDERMIRROR=%s\n", moto.Port, ca, mirror(t))
	if err := os.WriteFile(filepath.Join(work, ".env"), []byte(defaults), 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, work)
	secrets := []string{r.awsSecret, r.awsToken, r.passphrase, mark, motoECRPassword}

	// deploy.yml, a push to main.
	t.Cleanup(firstDeployEnded)
	dep := r.run(t, "deploy.yml", "deploy", "Deploy")
	firstDeployEnded()
	if dep.err != nil {
		t.Fatalf("deploy.yml's Deploy step failed: %s", dep)
	}
	head := strings.TrimSpace(gitOut(t, work, "rev-parse", "HEAD"))
	acct.deployed(ctx, t, head, r)
	before := acct.snapshot(ctx, t)

	// pr.yml's plan job and drift.yml (the nightly plan of production), on the fresh apply: two jobs,
	// each on a runner of its own, at the same time (both only read the account). deploy.yml's summary
	// step runs after the cancel below, where it matters.
	prJob, driftJob := r.job(t), r.job(t)
	var plan, drift stepResult
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); plan = prJob.run(t, "pr.yml", "plan", "Plan") }()
	go func() {
		defer wg.Done()
		drift = driftJob.run(t, "drift.yml", "drift", "Plan production (fails on drift)")
	}()
	wg.Wait()
	if plan.err != nil {
		t.Fatalf("pr.yml's Plan step failed: %s", plan)
	}
	if b, err := os.ReadFile(filepath.Join(prJob.temp, "plan.md")); err != nil || len(b) == 0 {
		t.Errorf("pr.yml's Plan step left no plan for the PR comment (%v)", err)
	}
	if drift.err != nil {
		planMD, _ := os.ReadFile(filepath.Join(driftJob.temp, "plan.md"))
		t.Errorf("drift.yml says production drifted right after the deploy: %s\nplan.md:\n%s", drift, planMD)
	}
	if after := acct.snapshot(ctx, t); !slices.Equal(before, after) {
		t.Errorf("plan changed the account:\nbefore %v\nafter  %v", before, after)
	}

	// The next push (release B: API source, OpenTofu cpu/memory and SPA changes), a run of its own,
	// cancelled as GitHub cancels a job while OpenTofu works on the backend stack (its state lock is
	// there: B's new API revision and the roll come after it) — then the job's if: cancelled() steps:
	// recover, and the summary. (B's env file is A's: the same inputs give the same content-addressed
	// file, so its upload cannot be the moment.)
	imagesA := acct.serviceImages(ctx, t)
	_, indexA := acct.index(ctx, t)
	headB := r.commit(t, "release B", map[string]func(string) string{
		path.Join(deploy.DefaultLayout.APIDir, "accounts", "views.py"): appendLine("# release B"),
		path.Join(deploy.DefaultLayout.ClientDir, "src", "main.jsx"):   appendLine("document.documentElement.dataset.release = 'B';"),
		"infra/environments/production.backend.tfvars":                 setTfvar(map[string]string{"api_cpu": "512", "api_memory": "1024"}),
	})
	r.newRun("4243")
	cancelled := r.runCancelled(t, "deploy.yml", "deploy", "Deploy", func() bool {
		return len(acct.keys(ctx, t, acct.stateBucket, "production/backend.tfstate.tflock")) > 0
	})
	acct.watch(ctx, t, 40*time.Second)
	recovered := r.run(t, "deploy.yml", "deploy", "Recover from a cancelled deploy")
	if recovered.err != nil {
		t.Errorf("deploy.yml's cancelled-job recover step failed: %s", recovered)
	}
	size := r.summarySize(t)
	sum := r.run(t, "deploy.yml", "deploy", "Summary of a failed or cancelled deploy")
	if sum.err != nil {
		t.Errorf("deploy.yml's summary step after the cancel failed: %s", sum)
	}
	if r.summarySize(t) <= size {
		t.Errorf("the summary step of the cancelled run added nothing to the job summary")
	}
	t.Logf("after the cancelled run: recover said:\n%s", recovered.stdout)
	// What the cancelled run left is cleaned up, and release A is what runs and is served.
	if keys := acct.keys(ctx, t, acct.stateBucket, lock.KeyFor("production")); len(keys) != 0 {
		t.Errorf("the cancelled run's deploy lock is still held after the job's cancelled() steps")
	}
	if left := acct.tofuLocks(ctx, t); len(left) > 0 {
		t.Errorf("OpenTofu state locks left after the job's cancelled() steps: %v", left)
	}
	// One release, whole: A's (the run was stopped and recovered), or B's if the run got to finish it
	// before it died (then its own record says it succeeded) — never a mix.
	var ofRun []string
	finishedB := false
	for _, rec := range acct.records(ctx, t) {
		if rec.RunURL == r.runURL {
			ofRun = append(ofRun, rec.Outcome())
			finishedB = finishedB || (rec.Succeeded() && rec.GitSHA == headB && rec.RollbackTo == nil && rec.Recovered == nil)
		}
	}
	t.Logf("records of the cancelled run: %v", ofRun)
	if len(ofRun) == 0 {
		t.Errorf("no record names the cancelled run %s", r.runURL)
	}
	_, index := acct.index(ctx, t)
	switch images := acct.serviceImages(ctx, t); {
	case maps.Equal(images, imagesA) && bytes.Equal(index, indexA):
		t.Logf("after the cancelled run release A runs and is served")
	case finishedB && !bytes.Equal(index, indexA):
		acct.deployedLast(ctx, t, headB, r)
		t.Logf("the cancelled run finished release B before it died")
	default:
		t.Errorf("after the cancelled run the account is neither release A nor a finished B: services %v (A's %v), index A's: %v, records of the run %v",
			images, imagesA, bytes.Equal(index, indexA), ofRun)
	}
	if summary, _ := os.ReadFile(r.summary); !strings.Contains(string(summary), "| Run | "+r.runURL+" |") {
		t.Errorf("the job summary does not show the cancelled run's record")
	}
	// What would stop the next run's deploy — the deploy lock, OpenTofu's state locks — is gone (asserted
	// above). Deploying B once more is left out to keep the tier inside CI's budget: the life of a
	// release after an OpenTofu change is TestDryRun's (release B there), and the next deploy after a
	// killed OpenTofu is TestUnlockRunRemovesTheLockOfAKilledOpenTofu's (a real plan after the unlock).

	// No planted secret anywhere: the account's objects (every version), task definitions, the job
	// summary and every step's output.
	dir := acct.dump(ctx, t)
	findings, err := reliability.ScanFiles(dir, secrets)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []stepResult{dep, plan, drift, cancelled, recovered, sum} {
		f, err := reliability.ScanBytes(s.name+" output", []byte(s.stdout+s.stderr), secrets)
		if err != nil {
			t.Fatal(err)
		}
		findings = append(findings, f...)
	}
	summary, _ := os.ReadFile(r.summary)
	f, err := reliability.ScanBytes("job summary", summary, secrets)
	if err != nil {
		t.Fatal(err)
	}
	if findings = append(findings, f...); len(findings) > 0 {
		t.Fatalf("planted secrets found:\n%s", reliability.Report(findings))
	}
	t.Logf("deploy %s, PR plan %s, drift plan %s, cancelled run %s, recover %s, summary %s; leak scan: %d secrets, none in the account's objects, task definitions, job summary or output",
		dep.took.Round(time.Second), plan.took.Round(time.Second), drift.took.Round(time.Second), cancelled.took.Round(time.Second),
		recovered.took.Round(time.Second), sum.took.Round(time.Second), len(secrets))
}

// runner plays a GitHub-hosted runner: the contexts the workflows read and the environment their
// steps start with.
type runner struct {
	work, temp, summary, stepDir, workflows string
	// The planted secrets: the session's secret key and token, the state encryption passphrase.
	awsSecret, awsToken, passphrase                     string
	actor, serverURL, repository, runID, runURL, region string
	contexts                                            ghrun.Contexts
	base                                                map[string]string
}

func newRunner(t *testing.T, work string) *runner {
	r := &runner{work: work, temp: t.TempDir(), stepDir: t.TempDir(), workflows: filepath.Join(work, ".github", "workflows"),
		awsSecret: "FAKEAWSSECRET" + randHex(t), awsToken: "FAKESESSIONTOKEN" + randHex(t), passphrase: "FAKEPASSPHRASE" + randHex(t),
		actor: "octocat", serverURL: "https://github.com", repository: "example/book_me", runID: "4242", region: testenv.Region}
	r.summary = filepath.Join(r.temp, "step_summary.md")
	r.runURL = r.serverURL + "/" + r.repository + "/actions/runs/" + r.runID
	r.contexts = ghrun.Contexts{
		"vars.AWS_REGION":          r.region,
		"vars.AWS_DEPLOY_ROLE_ARN": "arn:aws:iam::123456789012:role/book-me-ci-deploy-production",
		"vars.AWS_PLAN_ROLE_ARN":   "arn:aws:iam::123456789012:role/book-me-ci-plan",
		"secrets.TF_ENCRYPTION":    emulator.StateEncryption(r.passphrase),
		"github.server_url":        r.serverURL,
		"github.repository":        r.repository,
		"github.actor":             r.actor,
		"github.run_id":            r.runID,
		"github.event_name":        "push",
		"runner.temp":              r.temp,
	}
	r.base = map[string]string{
		"HOME": os.Getenv("HOME"), "PATH": os.Getenv("PATH"), "CI": "true", "GITHUB_ACTIONS": "true",
		"GITHUB_WORKSPACE": work, "RUNNER_TEMP": r.temp, "GITHUB_STEP_SUMMARY": r.summary,
		// configure-aws-credentials exports a session.
		"AWS_ACCESS_KEY_ID": "ASIAFAKEKEYID0000000", "AWS_SECRET_ACCESS_KEY": r.awsSecret, "AWS_SESSION_TOKEN": r.awsToken,
		"AWS_REGION": r.region, "AWS_DEFAULT_REGION": r.region,
	}
	// dagger-for-github installs the CLI, which finds its engine; here the test harness's.
	for _, k := range []string{"_EXPERIMENTAL_DAGGER_RUNNER_HOST", "_EXPERIMENTAL_DAGGER_CLI_BIN", "DAGGER_PROGRESS", "DAGGER_NO_NAG", "DO_NOT_TRACK"} {
		if v, ok := os.LookupEnv(k); ok {
			r.base[k] = v
		}
	}
	if r.base["_EXPERIMENTAL_DAGGER_RUNNER_HOST"] == "" {
		t.Fatal("e2e: _EXPERIMENTAL_DAGGER_RUNNER_HOST is not set: no Dagger engine to run on")
	}
	if err := os.WriteFile(r.summary, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// job is the runner of another job of the same run: GitHub gives each job a runner of its own, with
// its own checkout of the commit, RUNNER_TEMP and job summary. (Two jobs loading the module from one
// directory at the same time met a race of the Dagger v0.21.8 engine: one session's load used the
// other's host files, whose client was gone — "load user defaults: …: <client id>: not found".)
func (r *runner) job(t *testing.T) *runner {
	c := *r
	c.work = filepath.Join(t.TempDir(), "book_me")
	if out, err := exec.Command("git", "clone", "-q", "--local", r.work, c.work).CombinedOutput(); err != nil {
		t.Fatalf("checkout for another job: %v\n%s", err, out)
	}
	// The checkout's .env (Dagger's local defaults: the emulated account) is not committed; a runner's
	// machine has it as the first one does.
	if b, err := os.ReadFile(filepath.Join(r.work, ".env")); err == nil {
		if err := os.WriteFile(filepath.Join(c.work, ".env"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c.workflows = filepath.Join(c.work, ".github", "workflows")
	c.temp, c.stepDir = t.TempDir(), t.TempDir()
	c.summary = filepath.Join(c.temp, "step_summary.md")
	c.contexts = maps.Clone(r.contexts)
	c.contexts["runner.temp"] = c.temp
	c.base = maps.Clone(r.base)
	c.base["RUNNER_TEMP"], c.base["GITHUB_STEP_SUMMARY"], c.base["GITHUB_WORKSPACE"] = c.temp, c.summary, c.work
	if err := os.WriteFile(c.summary, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return &c
}

// newRun makes the next steps those of another workflow run (a new github.run_id).
func (r *runner) newRun(id string) {
	r.runID = id
	r.runURL = r.serverURL + "/" + r.repository + "/actions/runs/" + id
	r.contexts["github.run_id"] = id
}

type stepResult struct {
	name           string
	err            error
	stdout, stderr string
	took           time.Duration
}

func (s stepResult) String() string {
	tail := s.stderr
	if len(tail) > 8000 {
		tail = tail[len(tail)-8000:]
	}
	return fmt.Sprintf("%s: %v after %s\nstdout:\n%s\nstderr, the lines that say what failed:\n%s\nstderr (tail):\n%s",
		s.name, s.err, s.took.Round(time.Second), s.stdout, failedLines(s.stderr), tail)
}

// failedLines picks the lines of a step's output that name a failure (a progress row "NAME failed",
// an OpenTofu "Error:", an AWS "api error"), at most 60 of them: the tail alone may not hold them.
func failedLines(out string) string {
	var picked []string
	for _, l := range strings.Split(out, "\n") {
		if failedLine.MatchString(l) && len(picked) < 60 {
			if len(l) > 600 {
				l = l[:600] + "…"
			}
			picked = append(picked, l)
		}
	}
	return strings.Join(picked, "\n")
}

var failedLine = regexp.MustCompile(`(?i)\bfailed\b|Error:|api error|panic:`)

// command is the process the runner starts for a step of a workflow, its output captured.
func (r *runner) command(t *testing.T, file, job, step string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	w, err := ghrun.Load(filepath.Join(r.workflows, file))
	if err != nil {
		t.Fatal(err)
	}
	j, s, err := w.Step(job, step)
	if err != nil {
		t.Fatal(err)
	}
	env, err := w.StepEnv(j, s, r.base, r.contexts)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := s.Command(r.stepDir, r.work, env, r.contexts)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	return cmd, &out, &errb
}

// run runs one step of a workflow as the runner would.
func (r *runner) run(t *testing.T, file, job, step string) stepResult {
	t.Helper()
	res := r.runOnce(t, file, job, step)
	if res.err != nil && engineLoadRace.MatchString(res.stderr) && res.stdout == "" {
		// The engine lost the module's host files while loading it, before any function ran (nothing
		// printed, nothing changed): a race of Dagger v0.21.8 between one session's teardown and the
		// next session's load, met when a step followed the previous one within 250 ms. A re-run of
		// the job is what a user does; the test waits for the teardown and runs the step again, once,
		// and says so.
		t.Logf("%s: the engine lost the module's host files while loading it (%s); running the step again", res.name, engineLoadRace.FindString(res.stderr))
		time.Sleep(5 * time.Second)
		res = r.runOnce(t, file, job, step)
	}
	return res
}

// engineLoadRace is the Dagger engine's error when, loading the module (before the call), it looks
// for host files through a client that is gone: "failed to select host directory: <client id>: not
// found" (the contextual directory), "failed to check for inner env file in <dir>: <client id>: not
// found" (user defaults).
var engineLoadRace = regexp.MustCompile(`(?:load contextual directory "[^"]*": failed to select host directory|load user defaults: failed to check for inner env file in [^:]*): \w{20,}: not found`)

func (r *runner) runOnce(t *testing.T, file, job, step string) stepResult {
	t.Helper()
	cmd, out, errb := r.command(t, file, job, step)
	start := time.Now()
	err := cmd.Run()
	res := stepResult{name: file + " " + job + "/" + step, err: err, stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	t.Logf("%s: exit %v in %s", res.name, err, res.took.Round(time.Second))
	return res
}

// runCancelled runs the step and cancels it as GitHub cancels a job once cancelNow says so: SIGINT to
// the step's entry process (bash), SIGTERM 7.5 s later, then after 2.5 s more the whole process tree
// is killed (dagger included: it gets no signal of its own).
func (r *runner) runCancelled(t *testing.T, file, job, step string, cancelNow func() bool) stepResult {
	t.Helper()
	cmd, out, errb := r.command(t, file, job, step)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	res := stepResult{name: file + " " + job + "/" + step + " (cancelled)"}
	finish := func(err error, how string) stepResult {
		res.err, res.stdout, res.stderr, res.took = err, out.String(), errb.String(), time.Since(start)
		t.Logf("%s: %s, exit %v after %s", res.name, how, err, res.took.Round(time.Second))
		return res
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for !cancelNow() {
		select {
		case err := <-done:
			t.Fatalf("the step ended before the moment to cancel it: %v\n%s", err, finish(err, "ended"))
		case <-tick.C:
		}
	}
	t.Logf("cancelling %s after %s", res.name, time.Since(start).Round(time.Second))
	pid := cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGINT)
	select {
	case err := <-done:
		return finish(err, "exited on SIGINT")
	case <-time.After(7500 * time.Millisecond):
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case err := <-done:
		_ = syscall.Kill(-pid, syscall.SIGKILL) // the runner then kills what is left of the tree
		return finish(err, "exited on SIGTERM (rest of the tree killed)")
	case <-time.After(2500 * time.Millisecond):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	return finish(<-done, "process tree killed")
}

// commit edits files of the checkout and commits them (the next push to main).
func (r *runner) commit(t *testing.T, msg string, edits map[string]func(string) string) string {
	t.Helper()
	for p, edit := range edits {
		b, err := os.ReadFile(filepath.Join(r.work, p))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.work, p), []byte(edit(string(b))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitOut(t, r.work, "add", "-A")
	gitOut(t, r.work, "-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "commit", "--quiet", "-m", msg)
	return strings.TrimSpace(gitOut(t, r.work, "rev-parse", "HEAD"))
}

func appendLine(line string) func(string) string {
	return func(old string) string { return strings.TrimRight(old, "\n") + "\n" + line + "\n" }
}

// setTfvar sets variables already assigned in a .tfvars file (an assignment may appear only once).
func setTfvar(values map[string]string) func(string) string {
	return func(old string) string {
		for name, v := range values {
			re := regexp.MustCompile(`(?m)^` + name + `\s*=.*$`)
			if !re.MatchString(old) {
				old = strings.TrimRight(old, "\n") + "\n" + name + " = " + v + "\n"
				continue
			}
			old = re.ReplaceAllString(old, name+" = "+v)
		}
		return old
	}
}

func (r *runner) summarySize(t *testing.T) int64 {
	fi, err := os.Stat(r.summary)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// checkout is the repository as actions/checkout leaves it: a clean clone. A developer's changes not
// yet committed are committed in the clone, so that it is what the test runs and is still clean.
func checkout(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	dir := filepath.Join(t.TempDir(), "book_me")
	gitOut(t, "", "clone", "--quiet", root, dir)
	status := gitOut(t, root, "status", "--porcelain=v1", "-z", "--untracked-files=all")
	entries := strings.Split(strings.TrimSuffix(status, "\x00"), "\x00")
	changed := false
	for i := 0; i < len(entries); i++ {
		e := entries[i]
		if len(e) < 4 {
			continue
		}
		code, p := e[:2], e[3:]
		if code[0] == 'R' || code[0] == 'C' {
			i++ // the original path follows
		}
		src, dst := filepath.Join(root, p), filepath.Join(dir, p)
		changed = true
		fi, err := os.Lstat(src)
		if err != nil {
			_ = os.Remove(dst)
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	if changed {
		gitOut(t, dir, "add", "-A")
		gitOut(t, dir, "-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "commit", "--quiet", "--allow-empty", "-m", "the working tree")
	}
	return dir
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// account reads the emulated account the way an operator's AWS CLI would.
type account struct {
	cfg         aws.Config
	s3          *s3.Client
	stateBucket string
}

// deployed checks the account after deploy.yml's push-to-main run of commit head.
func (a account) deployed(ctx context.Context, t *testing.T, head string, r *runner) {
	t.Helper()
	recs := a.records(ctx, t)
	if len(recs) != 1 {
		t.Fatalf("want one deploy record (deploy/records/ in the config bucket), found %d", len(recs))
	}
	a.deployedLast(ctx, t, head, r)
}

// deployedLast checks the account after deploy.yml's latest run, of commit head, succeeded.
func (a account) deployedLast(ctx context.Context, t *testing.T, head string, r *runner) {
	t.Helper()
	recs := a.records(ctx, t)
	if len(recs) == 0 {
		t.Fatal("no deploy record (deploy/records/ in the config bucket)")
	}
	rec := recs[len(recs)-1]
	if !rec.Succeeded() || rec.GitSHA != head || rec.Environment != "production" || rec.Who != r.actor || rec.RunURL != r.runURL {
		t.Errorf("the record says %s of %s to %s by %q from %q; want a success of %s to production by %q from %q",
			rec.Outcome(), rec.GitSHA, rec.Environment, rec.Who, rec.RunURL, head, r.actor, r.runURL)
	}
	if keys := a.keys(ctx, t, a.stateBucket, lock.KeyFor("production")); len(keys) != 0 {
		t.Errorf("the deploy lock is still held: %v", keys)
	}
	// The services run the image ECR holds for the commit, by digest.
	imgs, err := ecr.NewFromConfig(a.cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if err != nil || len(imgs.Repositories) != 1 {
		t.Fatalf("want one ECR repository: %v %v", imgs, err)
	}
	repo := imgs.Repositories[0]
	tagged, err := ecr.NewFromConfig(a.cfg).DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: repo.RepositoryName,
		ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(head[:12])}}})
	if err != nil || len(tagged.ImageDetails) != 1 {
		t.Fatalf("ECR has no image tagged %s: %v", head[:12], err)
	}
	if left := a.tofuLocks(ctx, t); len(left) > 0 {
		t.Errorf("OpenTofu state locks left behind: %v", left)
	}
	want := aws.ToString(repo.RepositoryUri) + "@" + aws.ToString(tagged.ImageDetails[0].ImageDigest)
	images := a.serviceImages(ctx, t)
	if len(images) < 2 {
		t.Errorf("want the API and worker services, found %v", images)
	}
	for svc, img := range images {
		if img != want {
			t.Errorf("service %s runs %s, want %s", svc, img, want)
		}
	}
	// The client bucket serves the new bundle: index.html's entry is in the bucket, and CloudFront was invalidated.
	bucket, html := a.index(ctx, t)
	entry, err := smoke.EntryFileOf(html, "")
	if err != nil {
		t.Fatal(err)
	}
	if keys := a.keys(ctx, t, bucket, strings.TrimPrefix(entry, "/")); len(keys) != 1 {
		t.Errorf("index.html in %s references %s, which the bucket lacks", bucket, entry)
	}
	cf := cloudfront.NewFromConfig(a.cfg)
	dists, err := cf.ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
	if err != nil || dists.DistributionList == nil || len(dists.DistributionList.Items) == 0 {
		t.Fatalf("no CloudFront distribution: %v", err)
	}
	inv, err := cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: dists.DistributionList.Items[0].Id})
	if err != nil || inv.InvalidationList == nil || len(inv.InvalidationList.Items) == 0 {
		t.Errorf("the deploy made no CloudFront invalidation: %v", err)
	}
}

func (a account) records(ctx context.Context, t *testing.T) []*record.Record {
	t.Helper()
	buckets, err := a.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*record.Record
	for _, b := range buckets.Buckets {
		for _, k := range a.keys(ctx, t, aws.ToString(b.Name), "deploy/records/") {
			rec, err := record.Parse(a.get(ctx, t, aws.ToString(b.Name), k))
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			recs = append(recs, rec)
		}
	}
	slices.SortFunc(recs, func(x, y *record.Record) int { return x.Started.Compare(y.Started) })
	return recs
}

// revisions maps every ECS service's name to its current task definition.
func (a account) revisions(ctx context.Context, t *testing.T) map[string]*ecstypes.TaskDefinition {
	t.Helper()
	c := ecs.NewFromConfig(a.cfg)
	out := map[string]*ecstypes.TaskDefinition{}
	clusters, err := c.ListClusters(ctx, &ecs.ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range clusters.ClusterArns {
		svcs, err := c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String(cl)})
		if err != nil {
			t.Fatal(err)
		}
		if len(svcs.ServiceArns) == 0 {
			continue
		}
		desc, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cl), Services: svcs.ServiceArns})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range desc.Services {
			td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: s.TaskDefinition})
			if err != nil {
				t.Fatal(err)
			}
			out[aws.ToString(s.ServiceName)] = td.TaskDefinition
		}
	}
	return out
}

// serviceImages maps every ECS service's container ("service/container") to its image.
func (a account) serviceImages(ctx context.Context, t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for svc, td := range a.revisions(ctx, t) {
		for _, cd := range td.ContainerDefinitions {
			out[svc+"/"+aws.ToString(cd.Name)] = aws.ToString(cd.Image)
		}
	}
	return out
}

// index is the one bucket that serves index.html, and its index.html.
func (a account) index(ctx context.Context, t *testing.T) (string, []byte) {
	t.Helper()
	buckets, err := a.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	var html []byte
	for _, b := range buckets.Buckets {
		if len(a.keys(ctx, t, aws.ToString(b.Name), "index.html")) > 0 {
			found = append(found, aws.ToString(b.Name))
			html = a.get(ctx, t, aws.ToString(b.Name), "index.html")
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one bucket serving index.html, found %v", found)
	}
	return found[0], html
}

// watch logs the account every 10 s for d: the deploy lock, the records' outcomes, what the services
// run (what the engine does with a deploy whose client was killed).
func (a account) watch(ctx context.Context, t *testing.T, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); ; {
		var outcomes []string
		for _, rec := range a.records(ctx, t) {
			outcomes = append(outcomes, deploy.Short(rec.GitSHA)+" "+rec.Outcome())
		}
		imgs := a.serviceImages(ctx, t)
		var short []string
		for _, svc := range slices.Sorted(maps.Keys(imgs)) {
			id := imgs[svc][strings.LastIndex(imgs[svc], ":")+1:]
			short = append(short, svc+"@"+id[:min(8, len(id))])
		}
		t.Logf("after the cancel: lock held %v; records %v; services %v; OpenTofu locks %d",
			len(a.keys(ctx, t, a.stateBucket, lock.KeyFor("production"))) > 0, outcomes, short,
			len(a.tofuLocks(ctx, t)))
		if time.Now().After(end) {
			return
		}
		time.Sleep(10 * time.Second)
	}
}

// tofuLocks lists OpenTofu's state lock objects in the state bucket.
func (a account) tofuLocks(ctx context.Context, t *testing.T) []string {
	t.Helper()
	return slices.DeleteFunc(a.keys(ctx, t, a.stateBucket, ""), func(k string) bool { return !strings.HasSuffix(k, ".tflock") })
}

// keys lists a bucket's object keys under prefix.
func (a account) keys(ctx context.Context, t *testing.T, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(a.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

func (a account) get(ctx context.Context, t *testing.T, bucket, key string) []byte {
	t.Helper()
	out, err := a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, func(o *s3.Options) {
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired // moto stores none: no "no checksum" log line
	})
	if err != nil {
		t.Fatalf("s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// snapshot is what a plan must leave as it was: every object (key and ETag; OpenTofu's own lock
// files come and go) and the services' task definitions.
func (a account) snapshot(ctx context.Context, t *testing.T) []string {
	t.Helper()
	var s []string
	buckets, err := a.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range buckets.Buckets {
		p := s3.NewListObjectsV2Paginator(a.s3, &s3.ListObjectsV2Input{Bucket: b.Name})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				if !strings.HasSuffix(aws.ToString(o.Key), ".tflock") {
					s = append(s, aws.ToString(b.Name)+"/"+aws.ToString(o.Key)+" "+aws.ToString(o.ETag))
				}
			}
		}
	}
	for svc, img := range a.serviceImages(ctx, t) {
		s = append(s, "ecs "+svc+" "+img)
	}
	slices.Sort(s)
	return s
}

// dump writes every version of every object and every task definition into a directory to scan.
func (a account) dump(ctx context.Context, t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	buckets, err := a.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range buckets.Buckets {
		p := s3.NewListObjectVersionsPaginator(a.s3, &s3.ListObjectVersionsInput{Bucket: b.Name})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range page.Versions {
				out, err := a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: b.Name, Key: v.Key, VersionId: v.VersionId})
				if err != nil {
					t.Fatal(err)
				}
				data, err := io.ReadAll(out.Body)
				out.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				n++
				p := filepath.Join(dir, "s3", aws.ToString(b.Name), fmt.Sprintf("%s.v%d", aws.ToString(v.Key), n))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	c := ecs.NewFromConfig(a.cfg)
	tds, err := c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for i, arn := range tds.TaskDefinitionArns {
		td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(td.TaskDefinition)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("taskdef-%d.json", i)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files < 10 {
		t.Fatalf("the account dump has %d files: nothing to scan", files)
	}
	t.Logf("account dump: %d object versions, %d task definitions", n, len(tds.TaskDefinitionArns))
	return dir
}
