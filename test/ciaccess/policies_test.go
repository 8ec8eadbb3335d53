//go:build infra

package ciaccess

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"bookme-deploy/internal/iampolicy"
	"bookme-deploy/internal/testenv"
)

// TestCIAccessPolicies proves what each CI role may and may not do, denials first.
//
// Approach: the stack is applied with OpenTofu against moto, every role's trust policy and attached policy
// documents are read back through the IAM API (what AWS would store), and internal/iampolicy evaluates them
// for a table of (role, action, resource, request context) → expected decision. Why not moto's own
// enforcement (INITIAL_NO_AUTH_ACTION_COUNT / POST /moto-api/reset-auth): in moto 5.2.1 every non-S3 request
// is authorised against the resource "*" (moto/core/authorization.py), so a statement scoped to the staging
// cluster denies UpdateService on the staging cluster as well as on production's — a denial test would pass
// for the wrong reason; conditions are only read for trust relationships, and a failed condition turns an
// Allow into a Deny; AssumeRoleWithWebIdentity does not check the trust policy at all. Every denial row has
// a matching grant row, so a policy that denies everything fails this test.
func TestCIAccessPolicies(t *testing.T) {
	m := testenv.StartMoto(t)
	tf := workdir(t, m.Endpoint)
	tf.Must(t, "apply", "-auto-approve", "-input=false", "-no-color", "-var", "github_repository="+repo, "-var", stateArg)

	ctx := context.Background()
	c := iam.NewFromConfig(m.Config(t))
	policies := map[string][]iampolicy.Policy{}
	trusts := map[string]iampolicy.Policy{}
	for _, role := range []string{"book-me-github-plan", "book-me-github-deploy-production", "book-me-github-deploy-staging"} {
		r, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
		if err != nil {
			t.Fatal(err)
		}
		trusts[role] = parse(t, role+" trust", aws.ToString(r.Role.AssumeRolePolicyDocument))
		out, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
		if err != nil {
			t.Fatal(err)
		}
		for _, ap := range out.AttachedPolicies {
			if strings.Contains(aws.ToString(ap.PolicyArn), ":aws:policy/") {
				t.Errorf("%s has the AWS-managed policy %s attached", role, aws.ToString(ap.PolicyArn))
			}
			p, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: ap.PolicyArn})
			if err != nil {
				t.Fatal(err)
			}
			v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: ap.PolicyArn, VersionId: p.Policy.DefaultVersionId})
			if err != nil {
				t.Fatal(err)
			}
			doc := aws.ToString(v.PolicyVersion.Document)
			// AWS refuses a managed policy over 6,144 characters (whitespace not counted); moto does not.
			if n := len(strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, unescape(t, doc))); n > 6144 {
				t.Errorf("policy %s is %d characters, AWS allows 6,144", aws.ToString(ap.PolicyName), n)
			}
			policies[role] = append(policies[role], parse(t, aws.ToString(ap.PolicyName), doc))
		}
		if len(policies[role]) == 0 {
			t.Fatalf("%s has no policy", role)
		}
	}

	const (
		acct    = "123456789012"
		state   = "arn:aws:s3:::acme-tofu-state/"
		plan    = "book-me-github-plan"
		prod    = "book-me-github-deploy-production"
		staging = "book-me-github-deploy-staging"
	)
	arn := func(service, rest string) string { return "arn:aws:" + service + ":eu-central-1:" + acct + ":" + rest }
	tag := func(env string) map[string][]string { return map[string][]string{"aws:ResourceTag/Environment": {env}} }
	passed := func(svc string) map[string][]string { return map[string][]string{"iam:PassedToService": {svc}} }
	records := func(names ...string) map[string][]string {
		return map[string][]string{"route53:ChangeResourceRecordSetsNormalizedRecordNames": names}
	}
	const (
		allow    = iampolicy.Allowed
		deny     = iampolicy.ExplicitDeny
		implicit = iampolicy.ImplicitDeny
	)
	prodSecret := arn("secretsmanager", "secret:book-me-prod/api-AbCdEf")
	stagingSecret := arn("secretsmanager", "secret:book-me-staging/api-AbCdEf")
	prodService := arn("ecs", "service/book-me-prod-ecs-cluster/book-me-prod-api")
	stagingService := arn("ecs", "service/book-me-staging-ecs-cluster/book-me-staging-api")
	cases := []struct {
		role, action, resource string
		ctx                    map[string][]string
		want                   iampolicy.Effect
	}{
		// The plan role: reads what a plan reads, no secret, no write but the state lock.
		{plan, "ec2:DescribeVpcs", "*", nil, allow},
		{plan, "ecs:DescribeServices", prodService, nil, allow},
		{plan, "s3:ListBucket", "arn:aws:s3:::acme-tofu-state", nil, allow},
		{plan, "s3:GetObject", state + "production/base.tfstate", nil, allow},
		{plan, "s3:PutObject", state + "production/base.tfstate.tflock", nil, allow},
		{plan, "s3:DeleteObject", state + "production/backend.tfstate.tflock", nil, allow},
		{plan, "s3:GetObject", "arn:aws:s3:::book-me-prod-client/index.html", nil, allow},
		{plan, "s3:GetObject", "arn:aws:s3:::book-me-prod-config/deploy/records/20260101T000000Z-abc.json", nil, allow},
		{plan, "secretsmanager:DescribeSecret", prodSecret, nil, allow},
		{plan, "secretsmanager:GetSecretValue", prodSecret, nil, deny},
		{plan, "secretsmanager:GetSecretValue", stagingSecret, nil, deny},
		{plan, "secretsmanager:GetSecretValue", arn("secretsmanager", "secret:rds!db-0123-AbCdEf"), nil, deny},
		{plan, "ssm:GetParameter", arn("ssm", "parameter/book-me-prod/api/DJANGO_SECRET_KEY"), nil, deny},
		{plan, "ssm:GetParametersByPath", arn("ssm", "parameter/book-me-staging"), nil, deny},
		{plan, "s3:GetObject", "arn:aws:s3:::book-me-staging-config/service-config/api/staging/x.env", nil, deny},
		{plan, "s3:GetObject", "arn:aws:s3:::book-me-prod-config/service-config/api/prod/0123456789abcdef.env", nil, deny},
		{plan, "s3:GetObject", "arn:aws:s3:::book-me-prod-config/service-config/api/production.env", nil, deny},
		{plan, "logs:GetLogEvents", arn("logs", "log-group:/aws/ecs/book-me-prod-api:log-stream:x"), nil, deny},
		{plan, "s3:PutObject", state + "production/base.tfstate", nil, deny},
		{plan, "s3:DeleteObject", state + "production/base.tfstate", nil, deny},
		{plan, "s3:PutObject", state + "deploy/production/lock.json", nil, deny},
		{plan, "s3:PutObject", "arn:aws:s3:::book-me-prod-config/service-config/api/prod/x.env", nil, deny},
		{plan, "s3:PutObject", "arn:aws:s3:::book-me-prod-client/index.html", nil, deny},
		{plan, "s3:PutObject", "arn:aws:s3:::acme-tofu-state/other.tflock", nil, deny},
		{plan, "ecs:UpdateService", prodService, nil, implicit},
		{plan, "ecs:RegisterTaskDefinition", "*", nil, implicit},
		{plan, "iam:PassRole", "arn:aws:iam::" + acct + ":role/book-me-prod-api-task", passed("ecs-tasks.amazonaws.com"), implicit},
		{plan, "ec2:TerminateInstances", arn("ec2", "instance/i-1"), tag("prod"), implicit},
		{plan, "cloudfront:CreateInvalidation", "arn:aws:cloudfront::" + acct + ":distribution/E1", nil, implicit},

		// The staging deploy role: its own environment, never production's.
		{staging, "ecs:UpdateService", stagingService, nil, allow},
		{staging, "ecs:UpdateService", prodService, nil, deny},
		{staging, "ecs:RunTask", arn("ecs", "task-definition/book-me-staging-migrate:7"), nil, allow},
		{staging, "ecs:RunTask", arn("ecs", "task-definition/book-me-prod-migrate:7"), nil, deny},
		{staging, "s3:PutObject", state + "staging/base.tfstate", nil, allow},
		{staging, "s3:PutObject", state + "staging/base.tfstate.tflock", nil, allow},
		{staging, "s3:PutObject", state + "deploy/staging/lock.json", nil, allow},
		{staging, "s3:PutObject", state + "production/base.tfstate", nil, deny},
		{staging, "s3:GetObject", state + "production/base.tfstate", nil, deny},
		{staging, "s3:DeleteObject", state + "deploy/production/lock.json", nil, deny},
		{staging, "s3:PutObject", "arn:aws:s3:::book-me-staging-config/service-config/api/staging/x.env", nil, allow},
		{staging, "s3:GetObject", "arn:aws:s3:::book-me-prod-config/service-config/api/prod/x.env", nil, deny},
		{staging, "s3:PutObject", "arn:aws:s3:::book-me-prod-client/index.html", nil, deny},
		{staging, "iam:PassRole", "arn:aws:iam::" + acct + ":role/book-me-staging-api-task", passed("ecs-tasks.amazonaws.com"), allow},
		{staging, "iam:PassRole", "arn:aws:iam::" + acct + ":role/book-me-staging-api-execution", passed("ecs-tasks.amazonaws.com"), allow},
		{staging, "iam:PassRole", "arn:aws:iam::" + acct + ":role/book-me-prod-api-task", passed("ecs-tasks.amazonaws.com"), deny},
		{staging, "iam:PassRole", "arn:aws:iam::" + acct + ":role/book-me-prod-api-execution", passed("ecs-tasks.amazonaws.com"), deny},
		{staging, "iam:PassRole", "arn:aws:iam::" + acct + ":role/book-me-staging-api-task", passed("ec2.amazonaws.com"), implicit},
		{staging, "iam:PassRole", "arn:aws:iam::" + acct + ":role/book-me-github-deploy-production", passed("ecs-tasks.amazonaws.com"), deny},
		{staging, "iam:UpdateAssumeRolePolicy", "arn:aws:iam::" + acct + ":role/book-me-github-deploy-staging", nil, deny},
		{staging, "iam:PutRolePolicy", "arn:aws:iam::" + acct + ":role/book-me-staging-api-task", nil, allow},
		{staging, "iam:PutRolePolicy", "arn:aws:iam::" + acct + ":role/book-me-prod-api-task", nil, deny},
		{staging, "iam:AttachRolePolicy", "arn:aws:iam::" + acct + ":role/book-me-staging-api-task", nil, deny},
		{staging, "iam:CreateUser", "arn:aws:iam::" + acct + ":user/x", nil, deny},
		{staging, "secretsmanager:GetSecretValue", stagingSecret, nil, allow},
		{staging, "secretsmanager:GetSecretValue", prodSecret, nil, deny},
		{staging, "secretsmanager:GetSecretValue", arn("secretsmanager", "secret:rds!db-1-AbCdEf"),
			map[string][]string{"secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn": {arn("rds", "db:book-me-staging")}}, allow},
		{staging, "secretsmanager:GetSecretValue", arn("secretsmanager", "secret:rds!db-2-AbCdEf"),
			map[string][]string{"secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn": {arn("rds", "db:book-me-prod")}}, implicit},
		{staging, "rds:ModifyDBInstance", arn("rds", "db:book-me-staging"), nil, allow},
		{staging, "rds:DeleteDBInstance", arn("rds", "db:book-me-prod"), nil, deny},
		{staging, "elasticache:ModifyReplicationGroup", arn("elasticache", "replicationgroup:book-me-prod"), nil, deny},
		{staging, "ecr:PutImage", arn("ecr", "repository/book-me-staging-api"), nil, allow},
		{staging, "ecr:PutImage", arn("ecr", "repository/book-me-prod-api"), nil, deny},
		{staging, "ec2:TerminateInstances", arn("ec2", "instance/i-1"), tag("staging"), allow},
		{staging, "ec2:TerminateInstances", arn("ec2", "instance/i-2"), tag("prod"), deny},
		{staging, "ec2:TerminateInstances", arn("ec2", "instance/i-3"), nil, implicit},
		{staging, "ec2:CreateVpc", arn("ec2", "vpc/*"), map[string][]string{"aws:RequestTag/Environment": {"staging"}}, allow},
		{staging, "ec2:CreateVpc", arn("ec2", "vpc/*"), map[string][]string{"aws:RequestTag/Environment": {"prod"}}, implicit},
		{staging, "cloudfront:UpdateDistribution", "arn:aws:cloudfront::" + acct + ":distribution/E1", tag("prod"), deny},
		{staging, "cloudfront:CreateInvalidation", "arn:aws:cloudfront::" + acct + ":distribution/E1", tag("staging"), allow},
		{staging, "route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z1", records("api.staging.book-me.example.com", "_0a1b.api.staging.book-me.example.com"), allow},
		{staging, "route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z1", records("api.book-me.example.com"), deny},
		{staging, "route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z1", records("api.staging.book-me.example.com", "mail.book-me.example.com"), implicit},

		// The production deploy role, the mirror image.
		{prod, "ecs:UpdateService", prodService, nil, allow},
		{prod, "ecs:UpdateService", stagingService, nil, deny},
		{prod, "s3:PutObject", state + "production/base.tfstate", nil, allow},
		{prod, "s3:PutObject", state + "staging/base.tfstate", nil, deny},
		{prod, "iam:PassRole", "arn:aws:iam::" + acct + ":role/book-me-prod-api-task", passed("ecs-tasks.amazonaws.com"), allow},
		{prod, "iam:PassRole", "arn:aws:iam::" + acct + ":role/book-me-staging-api-task", passed("ecs-tasks.amazonaws.com"), deny},
		{prod, "ec2:TerminateInstances", arn("ec2", "instance/i-1"), tag("staging"), deny},
		{prod, "route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z1", records("app.book-me.example.com"), allow},
		{prod, "route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z1", records("app.staging.book-me.example.com"), deny},
		{prod, "iam:PutRolePolicy", "arn:aws:iam::" + acct + ":role/book-me-github-plan", nil, deny},
	}
	for _, c := range cases {
		d, err := iampolicy.Evaluate(iampolicy.Request{Action: c.action, Resource: c.resource, Context: c.ctx}, policies[c.role]...)
		if err != nil {
			t.Fatalf("%s %s %s: %v", c.role, c.action, c.resource, err)
		}
		if d.Effect != c.want {
			t.Errorf("%s: %s on %s %v: got %s, want %s", c.role, c.action, c.resource, c.ctx, d, c.want)
		}
	}

	// Trust: who may become which role. GitHub's token, default claim template: sub is
	// repo:<owner>/<repo>:environment:<env> for a job with an environment, :pull_request for a pull request,
	// :ref:<ref> otherwise.
	provider := "arn:aws:iam::" + acct + ":oidc-provider/token.actions.githubusercontent.com"
	token := func(sub string, aud string) iampolicy.Request {
		return iampolicy.Request{Action: "sts:AssumeRoleWithWebIdentity", Resource: "*", PrincipalType: "Federated", Principal: provider,
			Context: map[string][]string{"token.actions.githubusercontent.com:sub": {sub}, "token.actions.githubusercontent.com:aud": {aud}}}
	}
	const sts = "sts.amazonaws.com"
	trustCases := []struct {
		role string
		req  iampolicy.Request
		want iampolicy.Effect
	}{
		{prod, token("repo:"+repo+":environment:production", sts), allow},
		{prod, token("repo:"+repo+":pull_request", sts), implicit},
		{prod, token("repo:"+repo+":ref:refs/pull/7/merge", sts), implicit},
		{prod, token("repo:"+repo+":ref:refs/heads/main", sts), implicit},
		{prod, token("repo:"+repo+":ref:refs/heads/feature", sts), implicit},
		{prod, token("repo:"+repo+":environment:staging", sts), implicit},
		{prod, token("repo:acme/other:environment:production", sts), implicit},
		{prod, token("repo:"+repo+":environment:production", "other-audience"), implicit},
		{staging, token("repo:"+repo+":environment:staging", sts), allow},
		{staging, token("repo:"+repo+":environment:production", sts), implicit},
		{staging, token("repo:"+repo+":pull_request", sts), implicit},
		{plan, token("repo:"+repo+":pull_request", sts), allow},
		{plan, token("repo:"+repo+":ref:refs/heads/main", sts), allow},
		{plan, token("repo:"+repo+":ref:refs/heads/feature", sts), implicit},
		{plan, token("repo:acme/fork:pull_request", sts), implicit},
	}
	for _, c := range trustCases {
		d, err := iampolicy.Evaluate(c.req, trusts[c.role])
		if err != nil {
			t.Fatal(err)
		}
		if d.Effect != c.want {
			t.Errorf("%s trust, token %v: got %s, want %s", c.role, c.req.Context, d, c.want)
		}
	}
	// A token from another identity provider never matches.
	other := token("repo:"+repo+":environment:production", sts)
	other.Principal = "arn:aws:iam::" + acct + ":oidc-provider/example.com"
	if d, _ := iampolicy.Evaluate(other, trusts[prod]); d.Allowed() {
		t.Errorf("production trust allows another OIDC provider: %s", d)
	}
	t.Logf("%d policy rows and %d trust rows evaluated", len(cases), len(trustCases)+1)
}

func unescape(t *testing.T, doc string) string {
	t.Helper()
	if strings.HasPrefix(doc, "{") {
		return doc
	}
	s, err := url.QueryUnescape(doc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parse(t *testing.T, name, doc string) iampolicy.Policy {
	t.Helper()
	p, err := iampolicy.Parse(name, unescape(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
