// Package workflows tests the GitHub Actions workflows in .github/workflows: triggers, permissions,
// concurrency, pinned actions, the Dagger version, and that every `dagger call` they run is one of the README's.
// Pure tests (YAML and text only); actionlint and the plan-comment script run in the integration tier.
package workflows

import (
	"bookme-deploy/core/deploy"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// defaultEngineVersion is expected when dagger.json does not exist yet.
const defaultEngineVersion = "v0.21.8"

type concurrency struct {
	Group            string `yaml:"group"`
	CancelInProgress *bool  `yaml:"cancel-in-progress"`
}

type step struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	With  map[string]string `yaml:"with"`
	Env   map[string]string `yaml:"env"`
}

type job struct {
	Name        string            `yaml:"name"`
	If          string            `yaml:"if"`
	Environment any               `yaml:"environment"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency *concurrency      `yaml:"concurrency"`
	Env         map[string]string `yaml:"env"`
	Defaults    struct {
		Run struct {
			Shell string `yaml:"shell"`
		} `yaml:"run"`
	} `yaml:"defaults"`
	Steps []step `yaml:"steps"`
}

type workflow struct {
	File        string
	Name        string            `yaml:"name"`
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency *concurrency      `yaml:"concurrency"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]job    `yaml:"jobs"`
	node        yaml.Node
}

// repoRoot finds the directory of the root go.mod (module bookme-deploy).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module bookme-deploy\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the repository root (go.mod of module bookme-deploy) above the test directory")
		}
		dir = parent
	}
}

// loadWorkflows parses every .github/workflows/*.yml|yaml, keyed by file name.
func loadWorkflows(t *testing.T) map[string]*workflow {
	t.Helper()
	root := repoRoot(t)
	var files []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", pat))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no workflow files in .github/workflows")
	}
	out := map[string]*workflow{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w := &workflow{File: filepath.Base(f)}
		if err := yaml.Unmarshal(b, w); err != nil {
			t.Fatalf("%s: %v", w.File, err)
		}
		if err := yaml.Unmarshal(b, &w.node); err != nil {
			t.Fatalf("%s: %v", w.File, err)
		}
		out[w.File] = w
	}
	return out
}

func mustWorkflow(t *testing.T, all map[string]*workflow, name string) *workflow {
	t.Helper()
	w, ok := all[name]
	if !ok {
		t.Fatalf(".github/workflows/%s is missing", name)
	}
	return w
}

// effectivePermissions returns the permissions a job runs with: its own block, else the workflow's.
func effectivePermissions(w *workflow, j job) map[string]string {
	if j.Permissions != nil {
		return j.Permissions
	}
	return w.Permissions
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// envExpr is how the deploy workflow names its target environment (dispatch input, production on push).
const envExpr = "${{ inputs.environment || 'production' }}"

func TestExpectedWorkflowsExist(t *testing.T) {
	all := loadWorkflows(t)
	for _, name := range []string{"deploy.yml", "pr.yml", "drift.yml"} {
		mustWorkflow(t, all, name)
	}
}

func TestTriggers(t *testing.T) {
	all := loadWorkflows(t)

	deploy := mustWorkflow(t, all, "deploy.yml")
	if got := sortedKeys(deploy.On); !reflect.DeepEqual(got, []string{"push", "workflow_dispatch"}) {
		t.Errorf("deploy.yml triggers = %v, want push and workflow_dispatch only", got)
	}
	var push struct {
		Branches []string `yaml:"branches"`
	}
	remarshal(t, deploy.On["push"], &push)
	if !reflect.DeepEqual(push.Branches, []string{"main"}) {
		t.Errorf("deploy.yml push branches = %v, want [main]", push.Branches)
	}
	var dispatch struct {
		Inputs map[string]struct {
			Type     string   `yaml:"type"`
			Options  []string `yaml:"options"`
			Default  string   `yaml:"default"`
			Required bool     `yaml:"required"`
		} `yaml:"inputs"`
	}
	remarshal(t, deploy.On["workflow_dispatch"], &dispatch)
	in, ok := dispatch.Inputs["environment"]
	if !ok || len(dispatch.Inputs) != 1 {
		t.Fatalf("deploy.yml workflow_dispatch inputs = %v, want exactly `environment`", sortedKeys(dispatch.Inputs))
	}
	if in.Type != "choice" || !reflect.DeepEqual(in.Options, []string{"production", "staging"}) || in.Default != "production" {
		t.Errorf("deploy.yml environment input = %+v, want choice of [production staging] defaulting to production", in)
	}

	pr := mustWorkflow(t, all, "pr.yml")
	if got := sortedKeys(pr.On); !reflect.DeepEqual(got, []string{"pull_request"}) {
		t.Errorf("pr.yml triggers = %v, want pull_request only (never pull_request_target: it would hand secrets to forks)", got)
	}

	drift := mustWorkflow(t, all, "drift.yml")
	if got := sortedKeys(drift.On); !reflect.DeepEqual(got, []string{"schedule", "workflow_dispatch"}) {
		t.Errorf("drift.yml triggers = %v, want schedule and workflow_dispatch", got)
	}
	var sched []struct {
		Cron string `yaml:"cron"`
	}
	remarshal(t, drift.On["schedule"], &sched)
	daily := regexp.MustCompile(`^\d{1,2} \d{1,2} \* \* \*$`)
	if len(sched) != 1 || !daily.MatchString(sched[0].Cron) {
		t.Errorf("drift.yml schedule = %+v, want one daily cron \"M H * * *\"", sched)
	}
}

func TestPermissionsAreMinimal(t *testing.T) {
	all := loadWorkflows(t)
	oidc := map[string]string{"id-token": "write", "contents": "read"}
	want := map[string]map[string]map[string]string{
		"deploy.yml": {"deploy": oidc},
		"drift.yml":  {"drift": oidc},
		"pr.yml": {
			"check": {"contents": "read"},
			"plan":  {"id-token": "write", "contents": "read", "pull-requests": "write"},
		},
	}
	for file, jobs := range want {
		w := mustWorkflow(t, all, file)
		if w.Permissions == nil {
			t.Errorf("%s: no workflow-level `permissions:` (the default token would be broader than needed)", file)
		}
		if got := sortedKeys(w.Jobs); !reflect.DeepEqual(got, sortedKeys(jobs)) {
			t.Errorf("%s: jobs = %v, want %v", file, got, sortedKeys(jobs))
			continue
		}
		for name, perms := range jobs {
			if got := effectivePermissions(w, w.Jobs[name]); !reflect.DeepEqual(got, perms) {
				t.Errorf("%s job %s: permissions = %v, want exactly %v", file, name, got, perms)
			}
		}
	}
}

func TestConcurrency(t *testing.T) {
	all := loadWorkflows(t)
	deploy := mustWorkflow(t, all, "deploy.yml")
	if c := deploy.Concurrency; c == nil || c.Group != "deploy-"+envExpr || c.CancelInProgress == nil || *c.CancelInProgress {
		t.Errorf("deploy.yml concurrency = %s, want group %q with cancel-in-progress: false", describe(c), "deploy-"+envExpr)
	}
	// Everything that names the environment must name the same one the concurrency group serialises.
	j := deploy.Jobs["deploy"]
	if j.Environment != envExpr {
		t.Errorf("deploy job environment = %v, want %q (protection rules and the OIDC subject depend on it)", j.Environment, envExpr)
	}
	if j.Env["DEPLOY_ENV"] != envExpr {
		t.Errorf("deploy job env DEPLOY_ENV = %q, want %q", j.Env["DEPLOY_ENV"], envExpr)
	}
	for _, file := range []string{"pr.yml", "drift.yml"} {
		w := mustWorkflow(t, all, file)
		if w.Concurrency == nil || w.Concurrency.CancelInProgress == nil || *w.Concurrency.CancelInProgress {
			t.Errorf("%s concurrency = %s, want a group with cancel-in-progress: false (a cancelled plan can leave the state lock behind)", file, describe(w.Concurrency))
		} else if strings.HasPrefix(w.Concurrency.Group, "deploy-") {
			t.Errorf("%s concurrency group %q must not share the deploy group: a queued plan would replace a queued deploy", file, w.Concurrency.Group)
		}
	}
}

// describe prints a concurrency block for error messages.
func describe(c *concurrency) string {
	if c == nil {
		return "none"
	}
	cancel := "unset"
	if c.CancelInProgress != nil {
		cancel = fmt.Sprint(*c.CancelInProgress)
	}
	return fmt.Sprintf("{group: %q, cancel-in-progress: %s}", c.Group, cancel)
}

// TestEnvironments checks the `environment:` of each job against the OIDC subjects the roles of
// infra/modules/ci-access trust: environment:<env> for deploy, pull_request / the main branch for plans.
func TestEnvironments(t *testing.T) {
	all := loadWorkflows(t)
	if mustWorkflow(t, all, "deploy.yml").Jobs["deploy"].Environment == nil {
		t.Error("deploy job has no environment: protection rules would not apply")
	}
	for _, c := range []struct{ file, job string }{{"pr.yml", "plan"}, {"pr.yml", "check"}, {"drift.yml", "drift"}} {
		if env := mustWorkflow(t, all, c.file).Jobs[c.job].Environment; env != nil {
			t.Errorf("%s job %s has environment %v: its OIDC subject would become environment:..., which the plan role does not trust", c.file, c.job, env)
		}
	}
	pr := mustWorkflow(t, all, "pr.yml")
	if !strings.Contains(pr.Jobs["plan"].If, "github.event.pull_request.head.repo.full_name == github.repository") {
		t.Errorf("pr.yml plan job if = %q, want it limited to pull requests from this repository (forks get no OIDC token)", pr.Jobs["plan"].If)
	}
}

var pinned = regexp.MustCompile(`^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)(/[^@]*)?@([0-9a-f]{40})$`)
var versionComment = regexp.MustCompile(`^# v\d+\.\d+\.\d+$`)

// usesNodes returns every `uses:` value node of a parsed workflow.
func usesNodes(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "uses" && n.Content[i+1].Kind == yaml.ScalarNode {
				out = append(out, n.Content[i+1])
			}
		}
	}
	for _, c := range n.Content {
		out = append(out, usesNodes(c)...)
	}
	return out
}

func TestActionsArePinnedToCommits(t *testing.T) {
	all := loadWorkflows(t)
	shaOf := map[string]string{} // action → sha, must agree across files
	count := 0
	for _, file := range sortedKeys(all) {
		for _, u := range usesNodes(&all[file].node) {
			count++
			m := pinned.FindStringSubmatch(u.Value)
			if m == nil {
				t.Errorf("%s:%d: uses %q is not pinned to a full 40-hex commit SHA", file, u.Line, u.Value)
				continue
			}
			if !versionComment.MatchString(u.LineComment) {
				t.Errorf("%s:%d: uses %q needs a `# vX.Y.Z` comment naming the release, has %q", file, u.Line, u.Value, u.LineComment)
			}
			key := m[1] + m[2]
			if prev, ok := shaOf[key]; ok && prev != m[3]+" "+u.LineComment {
				t.Errorf("%s:%d: %s pinned to %s %s here but %s elsewhere", file, u.Line, key, m[3], u.LineComment, prev)
			}
			shaOf[key] = m[3] + " " + u.LineComment
		}
	}
	if count < 10 {
		t.Errorf("found only %d `uses:` entries; the YAML walk is broken", count)
	}
}

// engineVersion reads engineVersion from dagger.json, or returns the fixture when the file does not exist yet.
func engineVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "dagger.json"))
	if os.IsNotExist(err) {
		t.Logf("dagger.json not found; expecting engine %s", defaultEngineVersion)
		return defaultEngineVersion
	}
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		EngineVersion string `json:"engineVersion"`
	}
	if err := json.Unmarshal(b, &d); err != nil || d.EngineVersion == "" {
		t.Fatalf("dagger.json has no readable engineVersion (err %v)", err)
	}
	return d.EngineVersion
}

func TestDaggerVersionMatchesEngine(t *testing.T) {
	all := loadWorkflows(t)
	want := strings.TrimPrefix(engineVersion(t), "v")
	for _, file := range sortedKeys(all) {
		for name, j := range all[file].Jobs {
			for _, s := range j.Steps {
				if !strings.HasPrefix(s.Uses, "dagger/dagger-for-github@") {
					continue
				}
				if got := strings.TrimPrefix(s.With["version"], "v"); got != want {
					t.Errorf("%s job %s: dagger-for-github version %q, want %q (dagger.json engineVersion)", file, name, s.With["version"], want)
				}
				// Install only: the command runs in a `run:` step, where the README comparison sees it.
				for _, k := range []string{"call", "args", "verb", "module"} {
					if _, ok := s.With[k]; ok {
						t.Errorf("%s job %s: dagger-for-github must only install the CLI; move %q into a run step", file, name, k)
					}
				}
			}
		}
	}
}

// TestAWSAccessIsOIDC checks that AWS credentials only ever come from an OIDC role session.
func TestAWSAccessIsOIDC(t *testing.T) {
	all := loadWorkflows(t)
	roleVar := map[string]string{"deploy.yml": "AWS_DEPLOY_ROLE_ARN", "pr.yml": "AWS_PLAN_ROLE_ARN", "drift.yml": "AWS_PLAN_ROLE_ARN"}
	for file, w := range all {
		raw, _ := yaml.Marshal(&w.node)
		if regexp.MustCompile(`secrets\.AWS_`).Match(raw) {
			t.Errorf("%s reads AWS secrets: use the OIDC role instead of long-lived keys", file)
		}
		for name, j := range w.Jobs {
			for _, s := range j.Steps {
				if !strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
					continue
				}
				for _, k := range []string{"aws-access-key-id", "aws-secret-access-key", "aws-session-token", "web-identity-token-file"} {
					if _, ok := s.With[k]; ok {
						t.Errorf("%s job %s: configure-aws-credentials has %q: only role-to-assume via OIDC is allowed", file, name, k)
					}
				}
				if want := "${{ vars." + roleVar[file] + " }}"; s.With["role-to-assume"] != want {
					t.Errorf("%s job %s: role-to-assume = %q, want %q", file, name, s.With["role-to-assume"], want)
				}
				if s.With["aws-region"] != "${{ vars.AWS_REGION }}" {
					t.Errorf("%s job %s: aws-region = %q, want ${{ vars.AWS_REGION }}", file, name, s.With["aws-region"])
				}
			}
		}
	}
}

// readmeCalls returns the `dagger call` lines of README.md's shell code blocks.
func readmeCalls(t *testing.T) []daggerCall {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatalf("README.md cannot be read (%v): it must hold the canonical `dagger call` lines in a ```sh block", err)
	}
	calls, err := readmeDaggerCalls(string(b))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	if len(calls) == 0 {
		t.Fatal("README.md has no `dagger call` line in a ```sh code block")
	}
	return calls
}

// workflowCall is a `dagger call` found in a workflow, with where it was and which steps preceded it.
type workflowCall struct {
	daggerCall
	file, job, step string
	before          []step // earlier steps of the same job
	runStep         step
}

// workflowCalls extracts every `dagger call` from the run steps, with shell variables resolved from the
// step, job and workflow env. Unresolvable variables are reported as errors.
func workflowCalls(t *testing.T, all map[string]*workflow) []workflowCall {
	t.Helper()
	var out []workflowCall
	for _, file := range sortedKeys(all) {
		w := all[file]
		for _, jobName := range sortedKeys(w.Jobs) {
			j := w.Jobs[jobName]
			for i, s := range j.Steps {
				calls, err := extractDaggerCalls(s.Run)
				if err != nil {
					t.Errorf("%s job %s step %q: %v", file, jobName, s.Name, err)
					continue
				}
				for _, c := range calls {
					for _, flags := range c.flagMaps() {
						for name, v := range flags {
							r, ok := resolveValue(v, s.Env, j.Env, w.Env)
							if !ok {
								t.Errorf("%s job %s: --%s %s uses a variable that no env: block of the workflow sets", file, jobName, name, v)
							}
							flags[name] = r
						}
					}
					out = append(out, workflowCall{daggerCall: c, file: file, job: jobName, step: s.Name, before: j.Steps[:i], runStep: s})
				}
			}
		}
	}
	return out
}

func TestDaggerCallsMatchReadme(t *testing.T) {
	checkCallsAgainst(t, readmeCalls(t))
}

// checkCallsAgainst checks that every workflow `dagger call` is one of readme, and that each workflow runs the
// functions it should.
func checkCallsAgainst(t *testing.T, readme []daggerCall) {
	t.Helper()
	calls := workflowCalls(t, loadWorkflows(t))

	wantFunctions := map[string][]string{"deploy.yml": {"deploy", "history", "recover"}, "pr.yml": {"check", "plan"}, "drift.yml": {"plan"}}
	gotFunctions := map[string][]string{}
	for _, c := range calls {
		gotFunctions[c.file] = append(gotFunctions[c.file], c.Function)
		if why := matchReadme(c.daggerCall, readme, map[string]bool{}); why != "" {
			t.Errorf("%s job %s: %q differs from the README's `dagger call %s`: %s", c.file, c.job, c.Raw, c.Function, why)
		}
	}
	for file, want := range wantFunctions {
		got := append([]string(nil), gotFunctions[file]...)
		sort.Strings(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s runs dagger functions %v, want %v", file, got, want)
		}
	}
	// Drift fails the run on the plan's marker line (core/deploy.PlanMarker), so the plan still reaches the
	// job summary; --detailed-exitcode would keep it in the error on stderr.
	for _, st := range mustWorkflow(t, loadWorkflows(t), "drift.yml").Jobs["drift"].Steps {
		if !strings.Contains(st.Run, "dagger call") {
			continue
		}
		if !strings.Contains(st.Run, "grep -qxF '"+strings.TrimSuffix(deploy.PlanMarker(0), "\n")+"'") || !strings.Contains(st.Run, "exit 2") {
			t.Errorf("drift.yml step %q does not fail (exit 2) unless the plan's last line is %q:\n%s", st.Name, deploy.PlanMarker(0), st.Run)
		}
	}
}

// credentialFlags are the constructor's AWS credential flags (every verb that touches AWS takes each form).
var credentialFlags = []string{"aws-access-key-id", "aws-secret-access-key", "aws-session-token",
	"aws-credentials-file", "aws-profile", "aws-web-identity-token", "aws-role-arn"}

func stepFlags(steps []callStep) []map[string]string {
	var out []map[string]string
	for _, s := range steps {
		out = append(out, s.Flags)
	}
	return out
}

// TestDaggerCallPrerequisites checks the order of steps around each `dagger call`: Dagger installed before,
// AWS credentials configured before any call that passes them, bash (pipefail) around pipes.
func TestDaggerCallPrerequisites(t *testing.T) {
	all := loadWorkflows(t)
	calls := workflowCalls(t, all)
	if len(calls) == 0 {
		t.Fatal("no `dagger call` found in any workflow")
	}
	for _, c := range calls {
		has := func(prefix string) bool {
			for _, s := range c.before {
				if strings.HasPrefix(s.Uses, prefix) {
					return true
				}
			}
			return false
		}
		if !has("dagger/dagger-for-github@") {
			t.Errorf("%s job %s: `dagger call %s` runs before Dagger is installed", c.file, c.job, c.Function)
		}
		if !has("actions/checkout@") {
			t.Errorf("%s job %s: `dagger call %s` runs before the repository is checked out", c.file, c.job, c.Function)
		}
		for _, name := range credentialFlags {
			if _, ok := c.Constructor[name]; ok && !has("aws-actions/configure-aws-credentials@") {
				t.Errorf("%s job %s: `dagger call … %s` passes AWS credentials (--%s) no step configured", c.file, c.job, c.Function, name)
			}
		}
		for _, flags := range append([]map[string]string{c.Flags}, stepFlags(c.Chain)...) {
			for _, name := range credentialFlags {
				if _, ok := flags[name]; ok {
					t.Errorf("%s job %s: --%s after a function name: credentials are constructor flags (between `dagger call` and the function)", c.file, c.job, name)
				}
			}
		}
		if c.runStep.Shell != "bash" {
			t.Errorf("%s job %s step %q: shell = %q, want bash (GitHub runs explicit bash with -eo pipefail, so a failing dagger call fails its pipe)", c.file, c.job, c.step, c.runStep.Shell)
		}
	}
}

// TestSummariesReachGitHub checks where each call's stdout (the function's Markdown result) goes.
func TestSummariesReachGitHub(t *testing.T) {
	all := loadWorkflows(t)
	tee := regexp.MustCompile(`(?m)^dagger call .* deploy .*\| tee -a "\$GITHUB_STEP_SUMMARY"$`)
	failed := regexp.MustCompile(`(?m)^dagger call .* history --run-url "\$RUN_URL" --format markdown >> "\$GITHUB_STEP_SUMMARY"$`)
	var deployed, onFailure bool
	for _, s := range mustWorkflow(t, all, "deploy.yml").Jobs["deploy"].Steps {
		deployed = deployed || tee.MatchString(joinContinuations(s.Run))
		onFailure = onFailure || (failed.MatchString(joinContinuations(s.Run)) && s.If == "failure() || cancelled()")
	}
	if !deployed {
		t.Error("deploy.yml: the deploy's summary is not appended to the job summary with `| tee -a \"$GITHUB_STEP_SUMMARY\"`")
	}
	if !onFailure {
		t.Error("deploy.yml: no `if: failure() || cancelled()` step appends the run's own record (history --run-url \"$RUN_URL\" --format markdown) to the job summary")
	}
	// A cancelled job's processes are killed: recover (before the summary, whose record it writes) cleans up.
	recoverAt, summaryAt := -1, -1
	recoverLine := regexp.MustCompile(`(?m)^dagger call .* recover --run-url "\$RUN_URL"$`)
	for i, s := range mustWorkflow(t, all, "deploy.yml").Jobs["deploy"].Steps {
		switch {
		case recoverLine.MatchString(joinContinuations(s.Run)) && s.If == "cancelled()":
			recoverAt = i
		case failed.MatchString(joinContinuations(s.Run)):
			summaryAt = i
		}
	}
	if recoverAt < 0 || recoverAt > summaryAt {
		t.Errorf("deploy.yml: want an `if: cancelled()` step running recover --run-url \"$RUN_URL\" before the summary step (at %d, summary at %d)", recoverAt, summaryAt)
	}
	drift := false
	for _, s := range mustWorkflow(t, all, "drift.yml").Jobs["drift"].Steps {
		drift = drift || (strings.Contains(s.Run, `plan > "$RUNNER_TEMP/plan.md"`) && strings.Contains(s.Run, `cat "$RUNNER_TEMP/plan.md" >> "$GITHUB_STEP_SUMMARY"`))
	}
	if !drift {
		t.Error("drift.yml: the plan is not written to the job summary before the drift verdict")
	}

	plan := mustWorkflow(t, all, "pr.yml").Jobs["plan"]
	var planStep, commentStep *step
	for i := range plan.Steps {
		s := &plan.Steps[i]
		if calls, err := extractDaggerCalls(s.Run); err == nil && len(calls) == 1 && calls[0].Function == "plan" {
			planStep = s
		}
		if strings.HasPrefix(s.Uses, "actions/github-script@") {
			commentStep = s
		}
	}
	if planStep == nil || commentStep == nil {
		t.Fatal("pr.yml plan job needs a `dagger call plan` step and an actions/github-script comment step")
	}
	if !regexp.MustCompile(`(?m)^dagger call .*> "\$PLAN_FILE"( 2> >\(tee "[^"]+" >&2\))?$`).MatchString(joinContinuations(planStep.Run)) ||
		!strings.Contains(planStep.Run, `cat "$PLAN_FILE" >> "$GITHUB_STEP_SUMMARY"`) {
		t.Errorf("pr.yml plan step must write the plan to \"$PLAN_FILE\" and append it to the job summary:\n%s", planStep.Run)
	}
	if planStep.Env["PLAN_FILE"] == "" || planStep.Env["PLAN_FILE"] != commentStep.Env["PLAN_FILE"] {
		t.Errorf("PLAN_FILE differs between the plan step (%q) and the comment step (%q)", planStep.Env["PLAN_FILE"], commentStep.Env["PLAN_FILE"])
	}
	if planStep.ID == "" || commentStep.Env["PLAN_OUTCOME"] != "${{ steps."+planStep.ID+".outcome }}" {
		t.Errorf("comment step PLAN_OUTCOME = %q, want the plan step's outcome", commentStep.Env["PLAN_OUTCOME"])
	}
	if !strings.Contains(commentStep.If, "!cancelled()") {
		t.Errorf("comment step if = %q: it must also run when the plan failed (to say so on the pull request)", commentStep.If)
	}
	script := commentStep.With["script"]
	if !strings.Contains(script, "/.github/scripts/plan-comment.js") {
		t.Fatalf("comment step does not load .github/scripts/plan-comment.js:\n%s", script)
	}
	js, err := os.ReadFile(filepath.Join(repoRoot(t), ".github", "scripts", "plan-comment.js"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), "const MARKER = '<!-- bookme-plan -->';") {
		t.Error("plan-comment.js does not define the hidden marker <!-- bookme-plan -->")
	}
}

// remarshal converts a generic YAML value into a typed one.
func remarshal(t *testing.T, in any, out any) {
	t.Helper()
	b, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, out); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
}
