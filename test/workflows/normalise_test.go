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
	"dagger call --env production --region eu-central-1 --aws-access-key-id env:AWS_ACCESS_KEY_ID --aws-secret-access-key env:AWS_SECRET_ACCESS_KEY --aws-session-token env:AWS_SESSION_TOKEN --state-encryption env:TF_ENCRYPTION plan\n" +
	"dagger call --env production --region eu-central-1 --aws-access-key-id env:AWS_ACCESS_KEY_ID --aws-secret-access-key env:AWS_SECRET_ACCESS_KEY --aws-session-token env:AWS_SESSION_TOKEN --state-encryption env:TF_ENCRYPTION deploy --source-url 'https://github.com/<owner>/<repo>'\n" +
	"dagger call --env production --region eu-central-1 --aws-access-key-id env:AWS_ACCESS_KEY_ID --aws-secret-access-key env:AWS_SECRET_ACCESS_KEY --aws-session-token env:AWS_SESSION_TOKEN --state-encryption env:TF_ENCRYPTION history --format markdown\n" +
	"dagger call --env production --region eu-central-1 --aws-access-key-id env:AWS_ACCESS_KEY_ID --aws-secret-access-key env:AWS_SECRET_ACCESS_KEY --aws-session-token env:AWS_SESSION_TOKEN --state-encryption env:TF_ENCRYPTION recover --run-url 'https://github.com/<owner>/<repo>/actions/runs/<id>'\n" +
	"dagger call dry-run\n" +
	"```\n\nShared arguments prose.\n\n" +
	"```sh\n" +
	"dagger call with-provider-mirror --dir /var/cache/bookme-deploy/provider-mirror dry-run\n" +
	"dagger call --env staging --region eu-central-1 --aws-credentials-file file:$HOME/.aws/credentials --aws-profile bookme unlock\n" +
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
	if got := strings.Join(fns, ","); got != "check,plan,deploy,history,recover,dry-run,dry-run,unlock" {
		t.Fatalf("functions = %s, want check,plan,deploy,history,recover,dry-run,dry-run,unlock (only ```sh blocks count)", got)
	}
	deploy := calls[2]
	if deploy.Constructor["region"] != "eu-central-1" || deploy.Constructor["aws-session-token"] != "env:AWS_SESSION_TOKEN" || len(deploy.Constructor) != 6 {
		t.Errorf("deploy's constructor flags parsed wrong: %v", deploy.Constructor)
	}
	if len(deploy.Flags) != 1 || deploy.Flags["source-url"] != "https://github.com/<owner>/<repo>" {
		t.Errorf("deploy's own flags parsed wrong: %v", deploy.Flags)
	}
	if len(calls[5].Constructor) != 0 || len(calls[5].Chain) != 0 || len(calls[5].Flags) != 0 {
		t.Errorf("bare dry-run parsed wrong: %+v", calls[5])
	}
	mirror := calls[6]
	if len(mirror.Chain) != 1 || mirror.Chain[0].Name != "with-provider-mirror" ||
		mirror.Chain[0].Flags["dir"] != "/var/cache/bookme-deploy/provider-mirror" || len(mirror.Flags) != 0 || len(mirror.Constructor) != 0 {
		t.Errorf("with-provider-mirror chain parsed wrong: %+v", mirror)
	}
	unlock := calls[7]
	if unlock.Constructor["aws-credentials-file"] != "file:$HOME/.aws/credentials" || unlock.Constructor["aws-profile"] != "bookme" || len(unlock.Flags) != 0 {
		t.Errorf("unlock parsed wrong: %+v", unlock)
	}
	// Prompts and continuations are understood.
	more, err := readmeDaggerCalls("```console\n$ dagger call \\\n    --env production \\\n    plan --format json\n```\n")
	if err != nil || len(more) != 1 || more[0].Constructor["env"] != "production" || more[0].Function != "plan" || more[0].Flags["format"] != "json" {
		t.Errorf("prompt/continuation parsing: %+v, %v", more, err)
	}
}

// TestCallShapes pins down where each word of a line goes.
func TestCallShapes(t *testing.T) {
	cases := []struct {
		line, want string
	}{
		{"dagger call check", "ctor{} chain[] check{} then[]"},
		{"dagger call --env e --region r plan --detailed-exitcode", "ctor{env=e region=r} chain[] plan{detailed-exitcode=} then[]"},
		{"dagger call --env=e with-provider-mirror --dir /m deploy --arm64 --stages a,b", "ctor{env=e} chain[with-provider-mirror{dir=/m}] deploy{arm64= stages=a,b} then[]"},
		{"dagger call with-a with-b --x 1 dry-run --repeat=false", "ctor{} chain[with-a{} with-b{x=1}] dry-run{repeat=false} then[]"},
		{`dagger call --source "$tmp/repo" build-api export --path "$1"`, "ctor{source=$tmp/repo} chain[] build-api{} then[export{path=$1}]"},
		{`dagger call with-provider-mirror --dir "$mirror" dry-run "$@"`, "ctor{} chain[with-provider-mirror{dir=$mirror}] dry-run{} then[] $@"},
	}
	for _, c := range cases {
		calls, err := extractDaggerCalls(c.line)
		if err != nil || len(calls) != 1 {
			t.Errorf("%s: %v (%d calls)", c.line, err, len(calls))
			continue
		}
		if got := shape(calls[0]); got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.line, got, c.want)
		}
	}
	for _, line := range []string{
		"dagger call --env production",                      // no function at all
		"dagger call with-provider-mirror --dir /m",         // a chain but no verb
		"dagger call --arm64 deploy",                        // a boolean before the function swallows it: no verb left
		"dagger call deploy --env a --env b",                // twice
		"dagger call plan -o plan.json",                     // short flags are not parsed
		`dagger call "${args[@]}" dry-run`,                  // an array hides flags from the comparison
		`dagger call dry-run "$@" --repeat=false`,           // "$@" only last
		"dagger call --allow-dirty deploy --git-sha abc123", // a boolean before the function swallows it
	} {
		if calls, err := extractDaggerCalls(line); err == nil {
			t.Errorf("%s: want an error, got %s", line, shape(calls[0]))
		}
	}
}

// shape prints a call compactly for TestCallShapes.
func shape(c daggerCall) string {
	flags := func(m map[string]string) string {
		var kv []string
		for _, k := range sortedKeys(m) {
			kv = append(kv, k+"="+m[k])
		}
		return "{" + strings.Join(kv, " ") + "}"
	}
	steps := func(s []callStep) string {
		var out []string
		for _, x := range s {
			out = append(out, x.Name+flags(x.Flags))
		}
		return "[" + strings.Join(out, " ") + "]"
	}
	s := "ctor" + flags(c.Constructor) + " chain" + steps(c.Chain) + " " + c.Function + flags(c.Flags) + " then" + steps(c.Then)
	if c.Passthrough {
		s += " $@"
	}
	return s
}

func TestWorkflowsMatchAgreedLines(t *testing.T) {
	checkCallsAgainst(t, agreed(t))
}

// TestComparisonRule feeds the rule lines that must match and lines that must not.
func TestComparisonRule(t *testing.T) {
	readme := agreed(t)
	env := map[string]string{"DEPLOY_ENV": "${{ inputs.environment || 'production' }}", "AWS_REGION": "${{ vars.AWS_REGION }}", "LITERAL": "staging",
		"SOURCE_URL": "${{ github.server_url }}/${{ github.repository }}", "OTHER_URL": "https://example.com/fork"}
	const creds = " --aws-access-key-id env:AWS_ACCESS_KEY_ID --aws-secret-access-key env:AWS_SECRET_ACCESS_KEY --aws-session-token env:AWS_SESSION_TOKEN --state-encryption env:TF_ENCRYPTION"
	const prod = "dagger call --env production --region eu-central-1" + creds // the README's constructor flags
	const src = " --source-url 'https://github.com/<owner>/<repo>'"           // deploy's, as in the README
	cases := []struct {
		name, script string
		drift, same  bool
	}{
		{"identical", prod + " deploy" + src, false, true},
		{"constructor flag order", "dagger call --aws-session-token env:AWS_SESSION_TOKEN --state-encryption env:TF_ENCRYPTION --region eu-central-1 --aws-secret-access-key env:AWS_SECRET_ACCESS_KEY --env production --aws-access-key-id env:AWS_ACCESS_KEY_ID deploy" + src, false, true},
		{"= form", "dagger call --env=production --region=eu-central-1" + creds + " deploy --source-url='https://github.com/<owner>/<repo>'", false, true},
		{"expressions", `dagger call --env "${{ inputs.environment || 'production' }}" --region "${{ vars.AWS_REGION }}"` + creds + ` deploy --source-url "${{ github.server_url }}/${{ github.repository }}"`, false, true},
		{"variables via env", `dagger call --env "$DEPLOY_ENV" --region "${AWS_REGION}"` + creds + ` deploy --source-url "$SOURCE_URL" | tee -a "$GITHUB_STEP_SUMMARY"`, false, true},
		{"continuations", "dagger call \\\n  --env production \\\n  --region eu-central-1" + creds + " \\\n  deploy" + src, false, true},
		{"file: credentials", "dagger call --env production --region eu-central-1 --aws-access-key-id file:/run/k --aws-secret-access-key file:/run/s --aws-session-token cmd:token --state-encryption file:/run/tf deploy" + src, false, true},
		{"redirect", prod + ` plan > "$PLAN_FILE"`, false, true},
		{"detailed-exitcode in drift", prod + " plan --detailed-exitcode", true, true},
		{"no-arg check", "dagger call check", false, true},
		{"bare dry-run", "dagger call dry-run", false, true},
		{"provider mirror chain", "dagger call with-provider-mirror --dir /var/cache/bookme-deploy/provider-mirror dry-run", false, true},
		{"shared credentials file, other file", "dagger call --env staging --region eu-central-1 --aws-credentials-file file:/home/ci/.aws/credentials --aws-profile bookme unlock", false, true},
		{"who and run-url from expressions", prod + " deploy" + src + ` --who "${{ github.actor }}" --run-url "${{ github.server_url }}/x/actions/runs/${{ github.run_id }}"`, false, true},

		// A constructor flag differs.
		{"other literal env", "dagger call --env staging --region eu-central-1" + creds + " deploy" + src, false, false},
		{"other literal region", "dagger call --env production --region us-east-1" + creds + " deploy" + src, false, false},
		{"literal through variable", `dagger call --env "$LITERAL" --region eu-central-1` + creds + " deploy" + src, false, false},
		{"missing constructor env", "dagger call --region eu-central-1" + creds + " deploy" + src, false, false},
		{"extra constructor flag", prod + " --state-bucket my-bucket deploy" + src, false, false},
		{"expression in a constructor flag that takes none", prod + ` --source "${{ github.workspace }}" deploy` + src, false, false},
		{"plain-text secret", "dagger call --env production --region eu-central-1 --aws-access-key-id AKIAEXAMPLE --aws-secret-access-key env:S --aws-session-token env:T deploy" + src, false, false},
		{"missing session token", "dagger call --env production --region eu-central-1 --aws-access-key-id env:A --aws-secret-access-key env:S deploy" + src, false, false},
		{"expression in a credential flag", `dagger call --env production --region eu-central-1 --aws-access-key-id "${{ secrets.K }}" --aws-secret-access-key env:S --aws-session-token env:T deploy` + src, false, false},
		{"other profile", "dagger call --env staging --region eu-central-1 --aws-credentials-file file:$HOME/.aws/credentials --aws-profile default unlock", false, false},
		{"who as a constructor flag", prod + ` --who "${{ github.actor }}" deploy` + src, false, false},

		// Flags on the wrong side of the function name.
		{"old shape: shared flags after the verb", "dagger call deploy --env production --region eu-central-1" + creds + src, false, false},
		{"one shared flag after the verb", "dagger call --region eu-central-1" + creds + " deploy --env production" + src, false, false},
		{"verb flag before the function name", prod + src + " deploy", false, false},
		{"detailed-exitcode before the function name in drift", prod + " --detailed-exitcode=true plan", true, false},
		{"credentials after the verb", "dagger call --env production --region eu-central-1 plan" + creds, false, false},

		// The chain.
		{"mirror where the README has none", "dagger call with-provider-mirror --dir /m" + " --env production dry-run", false, false},
		{"other mirror dir", "dagger call with-provider-mirror --dir /tmp/mirror dry-run", false, false},
		{"mirror as an old verb flag", "dagger call dry-run --provider-mirror /var/cache/bookme-deploy/provider-mirror", false, false},
		{"mirror dir as a constructor flag", "dagger call --dir /var/cache/bookme-deploy/provider-mirror dry-run", false, false},

		// Verb flags.
		{"detailed-exitcode elsewhere", prod + " plan --detailed-exitcode", false, false},
		{"missing source-url", prod + " deploy", false, false},
		{"literal who", prod + " deploy" + src + " --who alice", false, false},
		{"who on plan", prod + ` plan --who "${{ github.actor }}"`, false, false},
		{"other literal source-url", prod + " deploy --source-url https://example.com/fork", false, false},
		{"other literal source-url through variable", prod + ` deploy --source-url "$OTHER_URL"`, false, false},
		{"source-url on plan", prod + " plan" + src, false, false},
		{"extra flag", prod + " deploy" + src + " --skip-smoke", false, false},
		{"functions on the result", prod + " deploy" + src + " export --path x", false, false},
		{"unknown function", "dagger call --env production destroy", false, false},
		{"expression in a non-expression flag", `dagger call --source "${{ github.workspace }}" check`, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls, err := extractDaggerCalls(c.script)
			if err != nil || len(calls) != 1 {
				t.Fatalf("extract: %v (%d calls)", err, len(calls))
			}
			call := calls[0]
			for _, flags := range call.flagMaps() {
				for k, v := range flags {
					flags[k], _ = resolveValue(v, env)
				}
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
		"if dagger call --env production deploy; then echo ok; fi",
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
