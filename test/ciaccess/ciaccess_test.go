//go:build infra

// Package ciaccess applies infra/stacks/ci-access (and so infra/modules/ci-access) with OpenTofu against moto
// and reads the result back through the IAM API: the OIDC provider, the roles, their trust policies (compared
// with the JSON documented in docs/github-actions.md), their policies; and checks that bad inputs are refused
// by the variables' validation before anything is created.
//
// moto stores IAM documents faithfully but does not evaluate trust conditions on AssumeRoleWithWebIdentity, so
// whether GitHub's token is accepted is asserted on the documents, not by assuming the roles.
package ciaccess

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"bookme-deploy/core/emulator"
	"bookme-deploy/internal/testenv"
	"bookme-deploy/internal/tofutest"
)

const (
	repo    = "acme/bookme-deploy"
	account = "123456789012" // moto's account
)

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module bookme-deploy\n") {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("repository root not found")
		}
		dir = filepath.Dir(dir)
	}
}

// workdir copies infra/ (the stack needs ../../modules/ci-access) into a temp dir, adds test-only overrides
// that point the provider at moto and keep the state local, and runs `tofu init` from the provider mirror.
func workdir(t *testing.T, endpoint string) *tofutest.Tofu {
	t.Helper()
	infra := tofutest.CopyTree(t, filepath.Join(repoRoot(t), "infra"))
	dir := filepath.Join(infra, "stacks", "ci-access")
	tofutest.WriteFile(t, dir, "emulator_override.tf", emulator.ProviderOverride(endpoint)+"\nterraform {\n  backend \"local\" {}\n}\n")
	tf := tofutest.New(t, dir)
	tf.Must(t, "init", "-input=false", "-no-color")
	return tf
}

// run runs tofu and returns its combined output and whether it exited 0.
func run(t *testing.T, tf *tofutest.Tofu, args ...string) (string, bool) {
	t.Helper()
	r, err := tf.Run(context.Background(), args...)
	if err != nil {
		t.Fatalf("tofu %s: %v", strings.Join(args, " "), err)
	}
	return string(r.Stdout) + string(r.Stderr), r.ExitCode == 0
}

const stateArg = "state_bucket_name=acme-tofu-state"

func TestCIAccessStack(t *testing.T) {
	m := testenv.StartMoto(t, testenv.WithEnv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true"))
	tf := workdir(t, m.Endpoint)

	apply := tf.Must(t, "apply", "-auto-approve", "-input=false", "-no-color", "-var", "github_repository="+repo, "-var", stateArg)

	var outputs map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	t.Logf("apply took %s", apply.Duration)
	if err := json.Unmarshal(tf.Must(t, "output", "-json").Stdout, &outputs); err != nil {
		t.Fatal(err)
	}
	var deployARNs map[string]string
	var planARN string
	json.Unmarshal(outputs["deploy_role_arns"].Value, &deployARNs)
	json.Unmarshal(outputs["plan_role_arn"].Value, &planARN)
	wantDeploy := map[string]string{
		"production": "arn:aws:iam::" + account + ":role/book-me-github-deploy-production",
		"staging":    "arn:aws:iam::" + account + ":role/book-me-github-deploy-staging",
	}
	if !reflect.DeepEqual(deployARNs, wantDeploy) || planARN != "arn:aws:iam::"+account+":role/book-me-github-plan" {
		t.Fatalf("outputs: deploy %v, plan %q", deployARNs, planARN)
	}

	ctx := context.Background()
	c := iam.NewFromConfig(m.Config(t))

	providers, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(providers.OpenIDConnectProviderList) != 1 {
		t.Fatalf("OIDC providers: %v, %v", providers, err)
	}
	p, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: providers.OpenIDConnectProviderList[0].Arn})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(aws.ToString(p.Url), "token.actions.githubusercontent.com") || !reflect.DeepEqual(p.ClientIDList, []string{"sts.amazonaws.com"}) {
		t.Errorf("OIDC provider url %q audiences %v", aws.ToString(p.Url), p.ClientIDList)
	}

	docs := documentedPolicies(t)
	trust := func(role string) map[string]any {
		r, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
		if err != nil {
			t.Fatalf("GetRole %s: %v", role, err)
		}
		if aws.ToInt32(r.Role.MaxSessionDuration) < 3600 {
			t.Errorf("%s max session %d s: a deploy needs up to an hour", role, aws.ToInt32(r.Role.MaxSessionDuration))
		}
		doc, err := url.QueryUnescape(aws.ToString(r.Role.AssumeRolePolicyDocument))
		if err != nil {
			t.Fatal(err)
		}
		return normalise(t, doc)
	}

	// The deployed trust policies are exactly the documented ones (placeholders filled in).
	if got := trust("book-me-github-deploy-production"); !reflect.DeepEqual(got, docs["deploy"]) {
		t.Errorf("production deploy trust policy differs from docs/github-actions.md:\n got %v\nwant %v", got, docs["deploy"])
	}
	if got := trust("book-me-github-plan"); !reflect.DeepEqual(got, docs["plan"]) {
		t.Errorf("plan trust policy differs from docs/github-actions.md:\n got %v\nwant %v", got, docs["plan"])
	}
	// Each deploy role trusts only its own environment.
	staging := trust("book-me-github-deploy-staging")
	if s := fmt.Sprint(staging); !strings.Contains(s, "repo:"+repo+":environment:staging") || strings.Contains(s, "production") || strings.Contains(s, "pull_request") {
		t.Errorf("staging deploy role trusts %v", staging)
	}

	attached := func(role string) []string {
		out, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
		if err != nil {
			t.Fatal(err)
		}
		var arns []string
		for _, p := range out.AttachedPolicies {
			arns = append(arns, aws.ToString(p.PolicyArn))
		}
		slices.Sort(arns)
		return arns
	}
	// Only the module's own customer policies: no AWS-managed ReadOnlyAccess (it reads every S3 object and
	// secret parameter) nor AdministratorAccess. What they allow and deny: policies_test.go.
	if got := attached("book-me-github-plan"); !reflect.DeepEqual(got, []string{
		"arn:aws:iam::" + account + ":policy/book-me-github-plan",
		"arn:aws:iam::" + account + ":policy/book-me-github-read",
	}) {
		t.Errorf("plan role policies %v, want its own policy only", got)
	}
	if got := attached("book-me-github-deploy-production"); !reflect.DeepEqual(got, []string{
		"arn:aws:iam::" + account + ":policy/book-me-github-deploy-production",
		"arn:aws:iam::" + account + ":policy/book-me-github-deploy-production-guard",
		"arn:aws:iam::" + account + ":policy/book-me-github-read",
	}) {
		t.Errorf("deploy role policies %v", got)
	}
	for _, role := range []string{"book-me-github-plan", "book-me-github-deploy-production", "book-me-github-deploy-staging"} {
		inline, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
		if err != nil || len(inline.PolicyNames) != 0 {
			t.Errorf("%s inline policies %v (%v), want none", role, inline, err)
		}
	}

	// A second plan is empty: nothing drifts between apply and read-back.
	if out, ok := run(t, tf, "plan", "-detailed-exitcode", "-input=false", "-no-color",
		"-var", "github_repository="+repo, "-var", stateArg); !ok {
		t.Errorf("re-plan is not empty:\n%s", out)
	}
}

// TestCIAccessRefusesBadInput runs plans with wrong variables: each must fail with its validation message,
// before any resource is created.
func TestCIAccessRefusesBadInput(t *testing.T) {
	m := testenv.StartMoto(t)
	tf := workdir(t, m.Endpoint)
	cases := []struct {
		name string
		vars []string
		want string
	}{
		{"repository URL", []string{"github_repository=https://github.com/acme/x", stateArg}, "github_repository must be owner/name"},
		{"repository wildcard", []string{"github_repository=acme/*", stateArg}, "github_repository must be owner/name"},
		{"wildcard environment", []string{"github_repository=" + repo, stateArg, `deploy_environments={"*"={environment="prod",dns_names=["a.example.com"]}}`}, "deploy_environments must list"},
		{"shared environment name", []string{"github_repository=" + repo, stateArg, `deploy_environments={a={environment="prod",dns_names=["a.example.com"]},b={environment="prod",dns_names=["b.example.com"]}}`}, "must not share an environment name"},
		{"wildcard DNS name", []string{"github_repository=" + repo, stateArg, `deploy_environments={a={environment="prod",dns_names=["*.example.com"]}}`}, "dns_names must list"},
		{"bad KMS key", []string{"github_repository=" + repo, stateArg, "state_kms_key_arn=alias/state"}, "state_kms_key_arn must be a KMS key ARN"},
		{"foreign OIDC provider", []string{"github_repository=" + repo, stateArg, "create_oidc_provider=false", "oidc_provider_arn=arn:aws:iam::123456789012:oidc-provider/example.com"}, "oidc_provider_arn must be the ARN"},
		{"provider twice", []string{"github_repository=" + repo, stateArg, "oidc_provider_arn=arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, "not both"},
		{"no provider", []string{"github_repository=" + repo, stateArg, "create_oidc_provider=false"}, "set oidc_provider_arn"},
	}
	// The plans only read; without the state lock they can run side by side.
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				args := []string{"plan", "-lock=false", "-input=false", "-no-color"}
				for _, v := range c.vars {
					args = append(args, "-var", v)
				}
				out, ok := run(t, tf, args...)
				flat := strings.Join(strings.Fields(out), " ")
				if ok || !strings.Contains(flat, c.want) {
					t.Errorf("want a failure mentioning %q, got success=%v:\n%s", c.want, ok, out)
				}
			})
		}
	})
	c := iam.NewFromConfig(m.Config(t))
	roles, err := c.ListRoles(context.Background(), &iam.ListRolesInput{})
	if err != nil || len(roles.Roles) != 0 {
		t.Errorf("refused plans must not create anything; roles: %d (%v)", len(roles.Roles), err)
	}
}

// documentedPolicies reads the two trust-policy JSON blocks of docs/github-actions.md, with the placeholders
// replaced by the test's account and repository.
func documentedPolicies(t *testing.T) map[string]map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "github-actions.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	if len(blocks) != 2 {
		t.Fatalf("docs/github-actions.md has %d json blocks, want 2 (deploy and plan trust policies)", len(blocks))
	}
	fill := strings.NewReplacer("<account>", account, "<owner>/<repo>", repo)
	return map[string]map[string]any{
		"deploy": normalise(t, fill.Replace(blocks[0][1])),
		"plan":   normalise(t, fill.Replace(blocks[1][1])),
	}
}

// normalise parses an IAM policy and turns one-element string lists into strings and sorts string lists, so
// that equal policies compare equal however they are written.
func normalise(t *testing.T, doc string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("bad policy JSON: %v\n%s", err, doc)
	}
	return canon(v).(map[string]any)
}

func canon(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = canon(e)
		}
		return x
	case []any:
		if len(x) == 1 {
			return canon(x[0])
		}
		strs := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				for i := range x {
					x[i] = canon(x[i])
				}
				return x
			}
			strs = append(strs, s)
		}
		slices.Sort(strs)
		out := make([]any, len(strs))
		for i, s := range strs {
			out[i] = s
		}
		return out
	}
	return v
}
