//go:build integration

package awsconf_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/internal/testenv"
)

const credentialsFile = `[default]
aws_access_key_id = AKIAFILEDEFAULT0000
aws_secret_access_key = default-secret

[deploy]
aws_access_key_id = AKIAFILEDEPLOY00000
aws_secret_access_key = deploy-secret
aws_session_token = deploy-session
`

// Every form resolves to static credentials and a config that works against real moto (STS and S3),
// and a tool given only the returned credentials (as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN) is the same caller.
func TestResolveEachFormAgainstMoto(t *testing.T) {
	m := testenv.StartMoto(t)
	ctx := context.Background()
	// Nothing of the environment may answer for the form given.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT0000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "environment")
	t.Setenv("AWS_PROFILE", "")
	o := awsconf.Options{Region: testenv.Region, Endpoint: m.Endpoint, MaxAttempts: 1}

	for _, tc := range []struct {
		name, form string
		c          awsconf.Credentials
		check      func(t *testing.T, creds aws.Credentials, arn string)
	}{
		{"static keys", "static keys",
			awsconf.Credentials{AccessKeyID: "AKIASTATIC000000000", SecretAccessKey: "static-secret", SessionToken: "static-session"},
			func(t *testing.T, c aws.Credentials, _ string) {
				if c.AccessKeyID != "AKIASTATIC000000000" || c.SecretAccessKey != "static-secret" || c.SessionToken != "static-session" || c.CanExpire {
					t.Errorf("got key %q, token set %v, expires %v", c.AccessKeyID, c.SessionToken != "", c.CanExpire)
				}
			}},
		{"credentials file, profile deploy", "credentials file (profile deploy)",
			awsconf.Credentials{SharedCredentialsFile: []byte(credentialsFile), Profile: "deploy"},
			func(t *testing.T, c aws.Credentials, _ string) {
				if c.AccessKeyID != "AKIAFILEDEPLOY00000" || c.SecretAccessKey != "deploy-secret" || c.SessionToken != "deploy-session" {
					t.Errorf("want profile deploy's keys, got key %q", c.AccessKeyID)
				}
			}},
		{"web identity", "web identity (arn:aws:iam::123456789012:role/book-me-deploy)",
			awsconf.Credentials{WebIdentityToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjplbnZpcm9ubWVudDpwcm9kdWN0aW9uIn0.c2ln\n",
				RoleARN: "arn:aws:iam::123456789012:role/book-me-deploy", RoleSessionName: "gha-run-42"},
			func(t *testing.T, c aws.Credentials, arn string) {
				if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
					t.Errorf("want temporary credentials with a session token, got key %q token set %v", c.AccessKeyID, c.SessionToken != "")
				}
				if !c.CanExpire || !c.Expires.After(time.Now()) {
					t.Errorf("the expiry was lost: can expire %v, expires %v", c.CanExpire, c.Expires)
				}
				if !strings.Contains(arn, "assumed-role/book-me-deploy/gha-run-42") {
					t.Errorf("caller %s: want the assumed role with session gha-run-42", arn)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			if got := tc.c.Form(); got != tc.form {
				t.Errorf("Form() = %q, want %q", got, tc.form)
			}
			creds, cfg, err := awsconf.Resolve(ctx, tc.c, o)
			if err != nil {
				t.Fatal(err)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("left in the temporary directory after Resolve: %v", left)
			}
			id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity with the resolved config: %v", err)
			}
			tc.check(t, creds, aws.ToString(id.Arn))
			signed, err := cfg.Credentials.Retrieve(ctx)
			if err != nil || signed.AccessKeyID != creds.AccessKeyID || signed.SessionToken != creds.SessionToken {
				t.Errorf("the config signs with key %q, not the returned %q (%v)", signed.AccessKeyID, creds.AccessKeyID, err)
			}

			bucket := "bookme-" + strings.NewReplacer(" ", "-", ",", "").Replace(tc.name)
			testenv.CreateBucket(t, cfg, bucket)
			out, err := testenv.S3(cfg).ListBuckets(ctx, &s3.ListBucketsInput{})
			if err != nil {
				t.Fatalf("ListBuckets: %v", err)
			}
			found := false
			for _, b := range out.Buckets {
				found = found || aws.ToString(b.Name) == bucket
			}
			if !found {
				t.Errorf("bucket %s not listed", bucket)
			}

			// A tool container gets only the returned values, as environment variables.
			tool, err := awsconf.Load(ctx, awsconf.Options{Region: testenv.Region, Endpoint: m.Endpoint,
				AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken})
			if err != nil {
				t.Fatal(err)
			}
			toolID, err := sts.NewFromConfig(tool).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity as a tool: %v", err)
			}
			if aws.ToString(toolID.Arn) != aws.ToString(id.Arn) {
				t.Errorf("a tool is %s, the module %s", aws.ToString(toolID.Arn), aws.ToString(id.Arn))
			}
		})
	}
}

// A profile the file lacks is refused by name, quickly (no fallback to another credential source),
// and the temporary copy is gone then too.
func TestResolveWrongProfileAgainstMoto(t *testing.T) {
	m := testenv.StartMoto(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	start := time.Now()
	_, _, err := awsconf.Resolve(context.Background(),
		awsconf.Credentials{SharedCredentialsFile: []byte(credentialsFile), Profile: "deploy-prod"},
		awsconf.Options{Region: testenv.Region, Endpoint: m.Endpoint})
	if err == nil {
		t.Fatal("a profile the file lacks was accepted")
	}
	for _, want := range []string{`--aws-profile "deploy-prod"`, "--aws-credentials-file", `"default", "deploy"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "AKIA") {
		t.Errorf("message %q shows the file's values", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}
}
