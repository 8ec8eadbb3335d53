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
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"bookme-deploy/internal/testenv"
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

// tofuBin finds the OpenTofu binary: $TOFU, tofu on PATH, or the harness build.
func tofuBin(t *testing.T) string {
	t.Helper()
	for _, c := range []string{os.Getenv("TOFU"), "tofu", "/var/cache/dagger-harness/libexec/tofu"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	t.Fatal("OpenTofu not found: set TOFU, put tofu on PATH, or build it (see /work/shared/notes/testing-facts.md)")
	return ""
}

// providerMirror returns the filesystem mirror holding hashicorp/aws.
func providerMirror(t *testing.T) string {
	t.Helper()
	cache := os.Getenv("BOOKME_CACHE")
	if cache == "" {
		cache = "/var/cache/bookme-deploy"
	}
	mirror := filepath.Join(cache, "provider-mirror")
	matches, _ := filepath.Glob(filepath.Join(mirror, "registry.opentofu.org", "hashicorp", "aws", "*", "linux_amd64", "terraform-provider-aws_v*"))
	if len(matches) == 0 {
		t.Fatalf("no hashicorp/aws provider in %s: run scripts/provider-mirror first", mirror)
	}
	return mirror
}

// workdir copies the stack and the module (keeping their relative layout) into a temp dir, with override files
// that point the provider at moto and keep the state local.
func workdir(t *testing.T, endpoint string) (dir string, env []string) {
	t.Helper()
	root := repoRoot(t)
	tmp := t.TempDir()
	for _, sub := range []string{"infra/modules/ci-access", "infra/stacks/ci-access"} {
		if err := os.CopyFS(filepath.Join(tmp, sub), os.DirFS(filepath.Join(root, sub))); err != nil {
			t.Fatal(err)
		}
	}
	dir = filepath.Join(tmp, "infra/stacks/ci-access")
	override := fmt.Sprintf(`terraform {
  backend "local" {}
}

provider "aws" {
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true

  endpoints {
    iam = %[1]q
    sts = %[1]q
  }
}
`, endpoint)
	if err := os.WriteFile(filepath.Join(dir, "moto_override.tf"), []byte(override), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := filepath.Join(tmp, "tofu.rc")
	rc := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [\"registry.opentofu.org/hashicorp/aws\"]\n  }\n}\n", providerMirror(t))
	if err := os.WriteFile(cli, []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cli, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	tofu(t, dir, env, "init", "-input=false", "-no-color")
	return dir, env
}

func tofu(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := tofuRun(dir, env, args...)
	if err != nil {
		t.Fatalf("tofu %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func tofuRun(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command(tofuBinPath, args...)
	cmd.Dir, cmd.Env = dir, env
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.String(), err
}

var tofuBinPath string

const policyArg = `deploy_policy_arns=["arn:aws:iam::aws:policy/AdministratorAccess"]`

func TestCIAccessStack(t *testing.T) {
	tofuBinPath = tofuBin(t)
	m := testenv.StartMoto(t, testenv.WithEnv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true"))
	dir, env := workdir(t, m.Endpoint)

	tofu(t, dir, env, "apply", "-auto-approve", "-input=false", "-no-color",
		"-var", "github_repository="+repo, "-var", policyArg, "-var", "state_bucket_name=acme-tofu-state")

	var outputs map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(tofu(t, dir, env, "output", "-json")), &outputs); err != nil {
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
	if got := attached("book-me-github-plan"); !reflect.DeepEqual(got, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}) {
		t.Errorf("plan role policies %v, want ReadOnlyAccess only", got)
	}
	if got := attached("book-me-github-deploy-production"); !reflect.DeepEqual(got, []string{"arn:aws:iam::aws:policy/AdministratorAccess"}) {
		t.Errorf("deploy role policies %v", got)
	}
	lock, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("book-me-github-plan"), PolicyName: aws.String("state-lock")})
	if err != nil {
		t.Fatal(err)
	}
	lockDoc, _ := url.QueryUnescape(aws.ToString(lock.PolicyDocument))
	if !strings.Contains(lockDoc, "arn:aws:s3:::acme-tofu-state/*.tflock") || strings.Contains(lockDoc, "s3:*") || strings.Contains(lockDoc, `"*"`) {
		t.Errorf("plan role lock policy is not limited to *.tflock objects: %s", lockDoc)
	}

	// A second plan is empty: nothing drifts between apply and read-back.
	if out, err := tofuRun(dir, env, "plan", "-detailed-exitcode", "-input=false", "-no-color",
		"-var", "github_repository="+repo, "-var", policyArg, "-var", "state_bucket_name=acme-tofu-state"); err != nil {
		t.Errorf("re-plan is not empty (%v):\n%s", err, out)
	}
}

// TestCIAccessRefusesBadInput runs plans with wrong variables: each must fail with its validation message,
// before any resource is created.
func TestCIAccessRefusesBadInput(t *testing.T) {
	tofuBinPath = tofuBin(t)
	m := testenv.StartMoto(t)
	dir, env := workdir(t, m.Endpoint)
	cases := []struct {
		name string
		vars []string
		want string
	}{
		{"repository URL", []string{"github_repository=https://github.com/acme/x", policyArg}, "github_repository must be owner/name"},
		{"repository wildcard", []string{"github_repository=acme/*", policyArg}, "github_repository must be owner/name"},
		{"no deploy policy", []string{"github_repository=" + repo, "deploy_policy_arns=[]"}, "deploy_policy_arns must list at least one"},
		{"wildcard environment", []string{"github_repository=" + repo, policyArg, `deploy_environments=["*"]`}, "deploy_environments must list"},
		{"foreign OIDC provider", []string{"github_repository=" + repo, policyArg, "create_oidc_provider=false", "oidc_provider_arn=arn:aws:iam::123456789012:oidc-provider/example.com"}, "oidc_provider_arn must be the ARN"},
		{"provider twice", []string{"github_repository=" + repo, policyArg, "oidc_provider_arn=arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, "not both"},
		{"no provider", []string{"github_repository=" + repo, policyArg, "create_oidc_provider=false"}, "set oidc_provider_arn"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"plan", "-input=false", "-no-color"}
			for _, v := range c.vars {
				args = append(args, "-var", v)
			}
			out, err := tofuRun(dir, env, args...)
			flat := strings.Join(strings.Fields(out), " ")
			if err == nil || !strings.Contains(flat, c.want) {
				t.Errorf("want a failure mentioning %q, got err %v:\n%s", c.want, err, out)
			}
		})
	}
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
