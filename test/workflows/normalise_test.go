package workflows

import (
	"strings"
	"testing"
)

// agreedReadme is the README block the lead engineer and this test agreed on (the lines README.md must hold).
// TestDaggerCallsMatchReadme reads the real README.md; this copy exercises the Markdown parsing and the
// comparison rule on their own. Update it together with README.md.
const agreedReadme = "# bookme-deploy\n\nSome prose with dagger call inline that is not a command.\n\n" +
	"```sh\n" +
	"dagger call check\n" +
	"dagger call plan --env production --region eu-central-1 --aws-access-key-id env:AWS_ACCESS_KEY_ID --aws-secret-access-key env:AWS_SECRET_ACCESS_KEY --aws-session-token env:AWS_SESSION_TOKEN\n" +
	"dagger call deploy --env production --region eu-central-1 --aws-access-key-id env:AWS_ACCESS_KEY_ID --aws-secret-access-key env:AWS_SECRET_ACCESS_KEY --aws-session-token env:AWS_SESSION_TOKEN --source-url 'https://github.com/<owner>/<repo>'\n" +
	"dagger call dry-run\n" +
	"```\n\n```go\ndagger call ignored --because go\n```\n"

func agreed(t *testing.T) []daggerCall {
	t.Helper()
	calls, err := readmeDaggerCalls(agreedReadme)
	if err != nil {
		t.Fatal(err)
	}
	return calls
}

func TestReadmeParsing(t *testing.T) {
	calls := agreed(t)
	var fns []string
	for _, c := range calls {
		fns = append(fns, c.Function)
	}
	if got := strings.Join(fns, ","); got != "check,plan,deploy,dry-run" {
		t.Fatalf("functions = %s, want check,plan,deploy,dry-run (only ```sh blocks count)", got)
	}
	if calls[2].Flags["region"] != "eu-central-1" || calls[2].Flags["aws-session-token"] != "env:AWS_SESSION_TOKEN" {
		t.Errorf("deploy flags parsed wrong: %v", calls[2].Flags)
	}
	// Prompts and continuations are understood.
	more, err := readmeDaggerCalls("```console\n$ dagger call plan \\\n    --env production\n```\n")
	if err != nil || len(more) != 1 || more[0].Flags["env"] != "production" {
		t.Errorf("prompt/continuation parsing: %+v, %v", more, err)
	}
}

func TestWorkflowsMatchAgreedLines(t *testing.T) {
	checkCallsAgainst(t, agreed(t))
}

// TestComparisonRule feeds the rule lines that must match and lines that must not.
func TestComparisonRule(t *testing.T) {
	readme := agreed(t)
	env := map[string]string{"DEPLOY_ENV": "${{ inputs.environment || 'production' }}", "AWS_REGION": "${{ vars.AWS_REGION }}", "LITERAL": "staging",
		"SOURCE_URL": "${{ github.server_url }}/${{ github.repository }}", "OTHER_URL": "https://example.com/fork"}
	const creds = " --aws-access-key-id env:AWS_ACCESS_KEY_ID --aws-secret-access-key env:AWS_SECRET_ACCESS_KEY --aws-session-token env:AWS_SESSION_TOKEN"
	const src = " --source-url 'https://github.com/<owner>/<repo>'" // deploy's, as in the README
	cases := []struct {
		name, script string
		drift, same  bool
	}{
		{"identical", "dagger call deploy --env production --region eu-central-1" + creds + src, false, true},
		{"flag order", "dagger call deploy --source-url 'https://github.com/<owner>/<repo>' --region eu-central-1 --env production" + creds, false, true},
		{"= form", "dagger call deploy --env=production --region=eu-central-1 --source-url='https://github.com/<owner>/<repo>'" + creds, false, true},
		{"expressions", `dagger call deploy --env "${{ inputs.environment || 'production' }}" --region "${{ vars.AWS_REGION }}" --source-url "${{ github.server_url }}/${{ github.repository }}"` + creds, false, true},
		{"variables via env", `dagger call deploy --env "$DEPLOY_ENV" --region "${AWS_REGION}"` + creds + ` --source-url "$SOURCE_URL" | tee -a "$GITHUB_STEP_SUMMARY"`, false, true},
		{"continuations", "dagger call deploy \\\n  --env production \\\n  --region eu-central-1" + creds + src, false, true},
		{"file: credentials", "dagger call deploy --env production --region eu-central-1 --aws-access-key-id file:/run/k --aws-secret-access-key file:/run/s --aws-session-token cmd:token" + src, false, true},
		{"redirect", "dagger call plan --env production --region eu-central-1" + creds + ` > "$PLAN_FILE"`, false, true},
		{"detailed-exitcode in drift", "dagger call plan --env production --region eu-central-1" + creds + " --detailed-exitcode", true, true},
		{"no-arg check", "dagger call check", false, true},

		{"detailed-exitcode elsewhere", "dagger call plan --env production --region eu-central-1" + creds + " --detailed-exitcode", false, false},
		{"other literal env", "dagger call deploy --env staging --region eu-central-1" + creds + src, false, false},
		{"literal through variable", `dagger call deploy --env "$LITERAL" --region eu-central-1` + creds + src, false, false},
		{"missing source-url", "dagger call deploy --env production --region eu-central-1" + creds, false, false},
		{"who and run-url from expressions", `dagger call deploy --env production --region eu-central-1` + creds + src + ` --who "${{ github.actor }}" --run-url "${{ github.server_url }}/x/actions/runs/${{ github.run_id }}"`, false, true},
		{"literal who", `dagger call deploy --env production --region eu-central-1` + creds + src + ` --who alice`, false, false},
		{"other literal source-url", "dagger call deploy --env production --region eu-central-1" + creds + " --source-url https://example.com/fork", false, false},
		{"other literal source-url through variable", `dagger call deploy --env production --region eu-central-1 --source-url "$OTHER_URL"` + creds, false, false},
		{"source-url on plan", "dagger call plan --env production --region eu-central-1" + creds + src, false, false},
		{"plain-text secret", "dagger call deploy --env production --region eu-central-1 --aws-access-key-id AKIAEXAMPLE --aws-secret-access-key env:S --aws-session-token env:T" + src, false, false},
		{"missing session token", "dagger call deploy --env production --region eu-central-1 --aws-access-key-id env:A --aws-secret-access-key env:S" + src, false, false},
		{"extra flag", "dagger call deploy --env production --region eu-central-1" + creds + src + " --skip-smoke", false, false},
		{"expression in a credential flag", `dagger call deploy --env production --region eu-central-1 --aws-access-key-id "${{ secrets.K }}" --aws-secret-access-key env:S --aws-session-token env:T` + src, false, false},
		{"unknown function", "dagger call destroy --env production", false, false},
		{"expression in a non-expression flag", `dagger call check --source "${{ github.workspace }}"`, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls, err := extractDaggerCalls(c.script)
			if err != nil || len(calls) != 1 {
				t.Fatalf("extract: %v (%d calls)", err, len(calls))
			}
			call := calls[0]
			for k, v := range call.Flags {
				call.Flags[k], _ = resolveValue(v, env)
			}
			allow := map[string]bool{}
			if c.drift {
				allow["detailed-exitcode"] = true
			}
			why := matchReadme(call, readme, allow)
			if c.same && why != "" {
				t.Errorf("want a match, got: %s", why)
			}
			if !c.same && why == "" {
				t.Errorf("want a difference, got a match for %q", c.script)
			}
		})
	}
}

// TestExtractionRefusesHiddenCalls makes sure no invocation can dodge the comparison.
func TestExtractionRefusesHiddenCalls(t *testing.T) {
	for _, script := range []string{
		"if dagger call deploy --env production; then echo ok; fi",
		"true && dagger call deploy",
		"dagger -m ./ci call deploy",
		"dagger --progress plain call check",
		"dagger run ./deploy.sh",
	} {
		if calls, err := extractDaggerCalls(script); err == nil {
			t.Errorf("%q: want an error, got %d calls", script, len(calls))
		}
	}
	calls, err := extractDaggerCalls("# dagger call deploy in a comment\ndagger version\necho done")
	if err != nil || len(calls) != 0 {
		t.Errorf("comments and `dagger version` must be ignored: %v, %v", calls, err)
	}
}
