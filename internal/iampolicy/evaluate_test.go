package iampolicy

import "testing"

// The evaluator's own semantics, case by case against AWS's documented rules (policy evaluation logic,
// condition operators, ARN wildcards): the CI roles' tests are only as good as this.
func TestEvaluate(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"Read","Effect":"Allow","Action":["ec2:Describe*","s3:GetObject"],"Resource":"*"},
	  {"Sid":"Bucket","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::app-staging-*","arn:aws:s3:::app-staging-*/*"]},
	  {"Sid":"NoSecrets","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::*/secret/*"},
	  {"Sid":"OnlyLock","Effect":"Deny","Action":"s3:PutObject","NotResource":["arn:aws:s3:::app-staging-*/*","arn:aws:s3:::state/*.tflock"]},
	  {"Sid":"Lock","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::state/*.tflock"},
	  {"Sid":"Svc","Effect":"Allow","Action":"ecs:*","Resource":"arn:aws:ecs:*:*:*/app-staging-*"},
	  {"Sid":"Tagged","Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Environment":"staging"}}},
	  {"Sid":"NotProd","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Environment":["prod"]}}},
	  {"Sid":"Pass","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/app-staging-*-task","Condition":{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}},
	  {"Sid":"Dns","Effect":"Allow","Action":"route53:ChangeResourceRecordSets","Resource":"*","Condition":{"ForAllValues:StringLike":{"route53:ChangeResourceRecordSetsNormalizedRecordNames":["api.staging.example.com","_*.api.staging.example.com"]}}},
	  {"Sid":"NotTag","Effect":"Allow","Action":"rds:DeleteDBInstance","Resource":"*","Condition":{"StringNotEquals":{"aws:ResourceTag/Keep":"yes"}}},
	  {"Sid":"NullTag","Effect":"Allow","Action":"rds:StopDBInstance","Resource":"*","Condition":{"Null":{"aws:ResourceTag/Keep":"true"}}},
	  {"Sid":"IfExists","Effect":"Allow","Action":"rds:RebootDBInstance","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:ResourceTag/Environment":"staging"}}},
	  {"Sid":"Any","Effect":"Allow","Action":"rds:CreateDBSnapshot","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"Environment"}}}
	]}`)
	tag := func(k, v string) map[string][]string { return map[string][]string{k: {v}} }
	cases := []struct {
		name string
		r    Request
		want Effect
	}{
		{"wildcard action, case-insensitive", Request{Action: "EC2:DescribeVpcs", Resource: "*"}, Allowed},
		{"no statement: implicit deny", Request{Action: "ec2:TerminateInstances", Resource: "*"}, ImplicitDeny},
		{"explicit deny beats allow", Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::app-staging-config/secret/x"}, ExplicitDeny},
		{"allow elsewhere", Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::app-staging-config/public/x"}, Allowed},
		{"NotResource deny applies outside the list", Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::app-prod-config/x"}, ExplicitDeny},
		{"NotResource deny does not apply inside", Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::state/staging/base.tfstate.tflock"}, Allowed},
		{"NotResource deny: a state key is outside the lock list", Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::state/staging/base.tfstate"}, ExplicitDeny},
		{"ARN wildcard within the resource segment", Request{Action: "ecs:UpdateService", Resource: "arn:aws:ecs:eu-central-1:123456789012:service/app-staging-cluster/app-staging-api"}, Allowed},
		{"ARN of the other environment", Request{Action: "ecs:UpdateService", Resource: "arn:aws:ecs:eu-central-1:123456789012:service/app-prod-cluster/app-prod-api"}, ImplicitDeny},
		{"a wildcard does not span the service segment", Request{Action: "ecs:UpdateService", Resource: "arn:aws:ecr:eu-central-1:123456789012:x/app-staging-a"}, ImplicitDeny},
		{"tag condition met", Request{Action: "ec2:TerminateInstances", Resource: "arn:aws:ec2:eu-central-1:1:instance/i-1", Context: tag("aws:ResourceTag/Environment", "staging")}, Allowed},
		{"tag condition key is case-insensitive", Request{Action: "ec2:TerminateInstances", Resource: "*", Context: tag("AWS:ResourceTag/Environment", "staging")}, Allowed},
		{"tag condition value is case-sensitive", Request{Action: "ec2:TerminateInstances", Resource: "*", Context: tag("aws:ResourceTag/Environment", "Staging")}, ImplicitDeny},
		{"tag condition missing key: no allow", Request{Action: "ec2:TerminateInstances", Resource: "*"}, ImplicitDeny},
		{"deny by the other environment's tag", Request{Action: "ec2:DescribeVpcs", Resource: "*", Context: tag("aws:ResourceTag/Environment", "prod")}, ExplicitDeny},
		{"PassRole to the right service", Request{Action: "iam:PassRole", Resource: "arn:aws:iam::1:role/app-staging-api-task", Context: tag("iam:PassedToService", "ecs-tasks.amazonaws.com")}, Allowed},
		{"PassRole to another service", Request{Action: "iam:PassRole", Resource: "arn:aws:iam::1:role/app-staging-api-task", Context: tag("iam:PassedToService", "ec2.amazonaws.com")}, ImplicitDeny},
		{"PassRole without the context key", Request{Action: "iam:PassRole", Resource: "arn:aws:iam::1:role/app-staging-api-task"}, ImplicitDeny},
		{"ForAllValues: every name allowed", Request{Action: "route53:ChangeResourceRecordSets", Resource: "*", Context: map[string][]string{"route53:ChangeResourceRecordSetsNormalizedRecordNames": {"api.staging.example.com", "_abc.api.staging.example.com"}}}, Allowed},
		{"ForAllValues: one name outside", Request{Action: "route53:ChangeResourceRecordSets", Resource: "*", Context: map[string][]string{"route53:ChangeResourceRecordSetsNormalizedRecordNames": {"api.staging.example.com", "api.example.com"}}}, ImplicitDeny},
		{"ForAllValues: absent key is vacuously true", Request{Action: "route53:ChangeResourceRecordSets", Resource: "*"}, Allowed},
		{"negated operator, missing key: true", Request{Action: "rds:DeleteDBInstance", Resource: "*"}, Allowed},
		{"negated operator, matching value: false", Request{Action: "rds:DeleteDBInstance", Resource: "*", Context: tag("aws:ResourceTag/Keep", "yes")}, ImplicitDeny},
		{"Null true: key absent", Request{Action: "rds:StopDBInstance", Resource: "*"}, Allowed},
		{"Null true: key present", Request{Action: "rds:StopDBInstance", Resource: "*", Context: tag("aws:ResourceTag/Keep", "no")}, ImplicitDeny},
		{"IfExists: absent key", Request{Action: "rds:RebootDBInstance", Resource: "*"}, Allowed},
		{"IfExists: other value", Request{Action: "rds:RebootDBInstance", Resource: "*", Context: tag("aws:ResourceTag/Environment", "x")}, ImplicitDeny},
		{"ForAnyValue: absent key is false", Request{Action: "rds:CreateDBSnapshot", Resource: "*"}, ImplicitDeny},
		{"ForAnyValue: one value matches", Request{Action: "rds:CreateDBSnapshot", Resource: "*", Context: map[string][]string{"aws:TagKeys": {"Owner", "Environment"}}}, Allowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Evaluate(c.r, p)
			if err != nil {
				t.Fatal(err)
			}
			if d.Effect != c.want {
				t.Errorf("%+v: got %s, want %s", c.r, d, c.want)
			}
		})
	}
}

func TestTrustPolicy(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity",
	  "Principal":{"Federated":"arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},
	  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:a/b:environment:production"}}}}`)
	req := func(principal, sub string) Request {
		return Request{Action: "sts:AssumeRoleWithWebIdentity", Resource: "*", PrincipalType: "Federated", Principal: principal,
			Context: map[string][]string{"token.actions.githubusercontent.com:aud": {"sts.amazonaws.com"}, "token.actions.githubusercontent.com:sub": {sub}}}
	}
	provider := "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"
	for _, c := range []struct {
		r    Request
		want Effect
	}{
		{req(provider, "repo:a/b:environment:production"), Allowed},
		{req(provider, "repo:a/b:pull_request"), ImplicitDeny},
		{req(provider, "repo:a/b:environment:production2"), ImplicitDeny},
		{req("arn:aws:iam::1:oidc-provider/example.com", "repo:a/b:environment:production"), ImplicitDeny},
	} {
		d, err := Evaluate(c.r, p)
		if err != nil || d.Effect != c.want {
			t.Errorf("%s from %s: got %v (%v), want %s", c.r.Context["token.actions.githubusercontent.com:sub"], c.r.Principal, d, err, c.want)
		}
	}
}

func TestParseRefusesWhatItCannotEvaluate(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown operator": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}`,
		"policy variable":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}`,
		"old version":      `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
		"bad effect":       `{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`,
	} {
		if _, err := Parse(name, doc); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*c", "abbbc", true}, {"a*c", "abbbd", false}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"*.tflock", "x/y.tfstate.tflock", true}, {"*.tflock", "x/y.tfstate", false}, {"a*b*c", "aXbYbZc", true},
	} {
		if got := Glob(c.p, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func mustParse(t *testing.T, doc string) Policy {
	t.Helper()
	p, err := Parse("test", doc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
