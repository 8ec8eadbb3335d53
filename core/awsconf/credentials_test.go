package awsconf

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const iniFile = "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n\n" +
	"[deploy]\naws_access_key_id = AKIADEPLOY\naws_secret_access_key = s\naws_session_token = tok\n\n" +
	"[no-keys]\nregion = eu-west-1\n"

func TestCheckRefusesEveryIncompleteCombination(t *testing.T) {
	file := []byte(iniFile)
	for _, tc := range []struct {
		name string
		c    Credentials
		want []string // every fragment must be in the message
	}{
		{"nothing", Credentials{}, []string{"no AWS credentials", "--aws-access-key-id", "--aws-secret-access-key",
			"--aws-credentials-file", "--aws-profile", "--aws-web-identity-token", "--aws-role-arn"}},
		{"white space only", Credentials{AccessKeyID: " ", SecretAccessKey: "\n"}, []string{"no AWS credentials"}},
		{"key id alone", Credentials{AccessKeyID: "AKIA"}, []string{"give both --aws-access-key-id and --aws-secret-access-key"}},
		{"secret alone", Credentials{SecretAccessKey: "s"}, []string{"give both --aws-access-key-id and --aws-secret-access-key"}},
		{"key id and session token", Credentials{AccessKeyID: "AKIA", SessionToken: "t"}, []string{"give both --aws-access-key-id and --aws-secret-access-key"}},
		{"session token alone", Credentials{SessionToken: "t"}, []string{"--aws-session-token needs --aws-access-key-id and --aws-secret-access-key"}},
		{"session token with a file", Credentials{SessionToken: "t", SharedCredentialsFile: file}, []string{"--aws-session-token needs"}},
		{"profile alone", Credentials{Profile: "deploy"}, []string{"--aws-profile needs --aws-credentials-file"}},
		{"profile with keys", Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s", Profile: "deploy"}, []string{"--aws-profile needs --aws-credentials-file"}},
		{"empty file", Credentials{SharedCredentialsFile: []byte{}}, []string{"--aws-credentials-file given is empty"}},
		{"blank file with profile", Credentials{SharedCredentialsFile: []byte(" \n"), Profile: "deploy"}, []string{"--aws-credentials-file given is empty"}},
		{"token alone", Credentials{WebIdentityToken: "eyJ"}, []string{"--aws-web-identity-token needs --aws-role-arn"}},
		{"role alone", Credentials{RoleARN: "arn:aws:iam::1:role/r"}, []string{"--aws-role-arn needs --aws-web-identity-token"}},
		{"role with keys", Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s", RoleARN: "arn:aws:iam::1:role/r"}, []string{"--aws-role-arn needs --aws-web-identity-token"}},
		{"session name alone", Credentials{RoleSessionName: "x"}, []string{"role session name needs --aws-web-identity-token and --aws-role-arn"}},
		{"token and session name", Credentials{WebIdentityToken: "eyJ", RoleSessionName: "x"}, []string{"--aws-web-identity-token needs --aws-role-arn"}},
		{"keys and file", Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s", SharedCredentialsFile: file},
			[]string{"one form", "static keys and credentials file (profile default)"}},
		{"file and web identity", Credentials{SharedCredentialsFile: file, Profile: "deploy", WebIdentityToken: "eyJ", RoleARN: "arn:aws:iam::1:role/r"},
			[]string{"one form", "credentials file (profile deploy) and web identity (arn:aws:iam::1:role/r)"}},
		{"all three", Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s", SharedCredentialsFile: file, WebIdentityToken: "eyJ", RoleARN: "arn:aws:iam::1:role/r"},
			[]string{"static keys and credentials file (profile default) and web identity"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Check()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err, w)
				}
			}
			for _, secret := range []string{"AKIA", "eyJ", "AKIADEFAULT"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("message %q shows a secret value", err)
				}
			}
			// Resolve refuses the same way, before anything is read.
			if _, _, rerr := Resolve(context.Background(), tc.c, Options{Region: "eu-central-1"}); rerr == nil || rerr.Error() != err.Error() {
				t.Errorf("Resolve: %v, want %v", rerr, err)
			}
		})
	}
}

func TestCheckAcceptsEachCompleteForm(t *testing.T) {
	for _, tc := range []struct {
		c    Credentials
		form string
	}{
		{Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s"}, "static keys"},
		{Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s", SessionToken: "t"}, "static keys"},
		{Credentials{SharedCredentialsFile: []byte(iniFile)}, "credentials file (profile default)"},
		{Credentials{SharedCredentialsFile: []byte(iniFile), Profile: " deploy\n"}, "credentials file (profile deploy)"},
		{Credentials{WebIdentityToken: "eyJ\n", RoleARN: "arn:aws:iam::1:role/r"}, "web identity (arn:aws:iam::1:role/r)"},
		{Credentials{WebIdentityToken: "eyJ", RoleARN: "arn:aws:iam::1:role/r", RoleSessionName: "gha-42"}, "web identity (arn:aws:iam::1:role/r)"},
	} {
		if err := tc.c.Check(); err != nil {
			t.Errorf("%s: %v", tc.form, err)
		}
		if got := tc.c.Form(); got != tc.form {
			t.Errorf("Form() = %q, want %q", got, tc.form)
		}
	}
	if got := (Credentials{}).Form(); got != "none" {
		t.Errorf("Form() of nothing = %q, want none", got)
	}
	if got := (Credentials{AccessKeyID: "AKIA"}).Form(); got != "none" {
		t.Errorf("Form() of half keys = %q, want none", got)
	}
}

func TestResolveStaticKeysWithoutNetwork(t *testing.T) {
	// The environment's keys and profiles take no part.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env")
	creds, cfg, err := Resolve(context.Background(), Credentials{AccessKeyID: "AKIA", SecretAccessKey: " s\n", SessionToken: "t"},
		Options{Region: "eu-central-1", Endpoint: "http://127.0.0.1:1", MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "AKIA" || creds.SecretAccessKey != "s" || creds.SessionToken != "t" || creds.CanExpire {
		t.Fatalf("credentials: key %q token set %v expires %v", creds.AccessKeyID, creds.SessionToken != "", creds.CanExpire)
	}
	got, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || got.AccessKeyID != "AKIA" || got.SessionToken != "t" {
		t.Fatalf("config signs with key %q (%v)", got.AccessKeyID, err)
	}
	if cfg.Region != "eu-central-1" || cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:1" || cfg.Retryer().MaxAttempts() != 2 {
		t.Fatalf("options not applied: region %q endpoint %v", cfg.Region, cfg.BaseEndpoint)
	}
}

func TestResolveCredentialsFileWithoutNetwork(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env")
	ctx := context.Background()
	o := Options{Region: "eu-central-1"}
	creds, cfg, err := Resolve(ctx, Credentials{SharedCredentialsFile: []byte(iniFile), Profile: "deploy"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "AKIADEPLOY" || creds.SecretAccessKey != "s" || creds.SessionToken != "tok" {
		t.Fatalf("profile deploy: got key %q", creds.AccessKeyID)
	}
	if got, err := cfg.Credentials.Retrieve(ctx); err != nil || got.AccessKeyID != "AKIADEPLOY" {
		t.Fatalf("config signs with key %q (%v)", got.AccessKeyID, err)
	}
	if creds, _, err = Resolve(ctx, Credentials{SharedCredentialsFile: []byte(iniFile)}, o); err != nil || creds.AccessKeyID != "AKIADEFAULT" {
		t.Fatalf("profile default: key %q (%v)", creds.AccessKeyID, err)
	}

	start := time.Now()
	_, _, err = Resolve(ctx, Credentials{SharedCredentialsFile: []byte(iniFile), Profile: "prod"}, o)
	if err == nil || !strings.Contains(err.Error(), `--aws-profile "prod" is not in the --aws-credentials-file`) || !strings.Contains(err.Error(), `"default", "deploy", "no-keys"`) {
		t.Errorf("a missing profile: %v", err)
	}
	_, _, err = Resolve(ctx, Credentials{SharedCredentialsFile: []byte(iniFile), Profile: "no-keys"}, o)
	if err == nil || !strings.Contains(err.Error(), `profile "no-keys"`) || !strings.Contains(err.Error(), "aws_access_key_id") {
		t.Errorf("a profile without keys: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusals took %v: something fell back to a network source (IMDS?)", d)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("the credentials file's temporary copy was left behind: %v", left)
	}

	if _, _, err := Resolve(ctx, Credentials{SharedCredentialsFile: []byte(iniFile)}, Options{}); err == nil || !strings.Contains(err.Error(), "region") {
		t.Errorf("no region: %v", err)
	}
	if _, _, err := Resolve(ctx, Credentials{SharedCredentialsFile: []byte(iniFile)}, Options{Region: "x", Profile: "deploy"}); err == nil {
		t.Error("credentials in Options were accepted")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
