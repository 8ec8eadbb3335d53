//go:build integration

package awsconf_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/internal/testenv"
)

// An OIDC token is exchanged for the role's temporary credentials (STS AssumeRoleWithWebIdentity,
// real moto), and those credentials sign the next call as the assumed role.
func TestWebIdentityTokenAssumesTheRole(t *testing.T) {
	m := testenv.StartMoto(t)
	ctx := context.Background()
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	cfg, err := awsconf.Load(ctx, awsconf.Options{Region: "eu-central-1", Endpoint: m.Endpoint,
		WebIdentityToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjplbnZpcm9ubWVudDpwcm9kdWN0aW9uIn0.c2ln",
		RoleARN:          "arn:aws:iam::123456789012:role/book-me-deploy"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("exchange the token: %v", err)
	}
	if c.AccessKeyID == "" || c.SessionToken == "" {
		t.Fatalf("want temporary credentials with a session token, got key %q token set %v", c.AccessKeyID, c.SessionToken != "")
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if arn := *id.Arn; !strings.Contains(arn, "assumed-role/book-me-deploy/bookme-deploy") {
		t.Errorf("caller %s: want the assumed role with session bookme-deploy", arn)
	}
	if _, err := awsconf.Load(ctx, awsconf.Options{Region: "eu-central-1", WebIdentityToken: "x"}); err == nil ||
		!strings.Contains(err.Error(), "--aws-role-arn") {
		t.Errorf("a token without a role: %v", err)
	}
}
