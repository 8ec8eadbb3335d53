//go:build integration

package dbbootstrap_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"bookme-deploy/core/dbbootstrap"
	"bookme-deploy/internal/testenv"
)

// Secrets Manager is moto's (it models GetSecretValue, ARNs and not-found errors).
func TestSecretsFromSecretsManager(t *testing.T) {
	m := testenv.StartMoto(t)
	sm := secretsmanager.NewFromConfig(m.Config(t))
	ctx := context.Background()
	put := func(name, value string) string {
		t.Helper()
		out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
		if err != nil {
			t.Fatalf("create secret %s: %v", name, err)
		}
		return *out.ARN
	}
	master := put("rds!db-1234", `{"username":"bookme_master","password":"Rds-Managed-pw-7"}`)
	appJSON := put("bookme/prod/db-app", `{"username":"book_me_prod_api","password":"App-json-pw-8"}`)
	appPlain := put("bookme/prod/db-app-plain", `App-plain-pw-9`)
	notJSON := put("bookme/prod/broken", `{"username": Not-Json-Secret-Value`)
	noPassword := put("bookme/prod/nopass", `{"username":"x"}`)

	c, err := dbbootstrap.MasterFromSecret(ctx, sm, master)
	if err != nil || c.Username != "bookme_master" || c.Password != "Rds-Managed-pw-7" {
		t.Errorf("MasterFromSecret = %v, %v", c, err)
	}
	if pw, err := dbbootstrap.PasswordFromSecret(ctx, sm, appJSON); err != nil || pw != "App-json-pw-8" {
		t.Errorf("PasswordFromSecret(JSON) = %v", err)
	}
	if pw, err := dbbootstrap.PasswordFromSecret(ctx, sm, appPlain); err != nil || pw != "App-plain-pw-9" {
		t.Errorf("PasswordFromSecret(plain) = %v", err)
	}

	for _, tc := range []struct {
		name, arn, want string
		master          bool
	}{
		{"not JSON", notJSON, "is not JSON", true},
		{"no password", noPassword, `lacks "username" or "password"`, true},
		{"missing", "arn:aws:secretsmanager:eu-central-1:123456789012:secret:nope-AbCdEf", "does not exist", true},
		{"app not JSON", notJSON, "not valid JSON", false},
		{"app no password", noPassword, `without a "password"`, false},
		{"empty arn", "", "no secret ARN", false},
	} {
		var err error
		if tc.master {
			_, err = dbbootstrap.MasterFromSecret(ctx, sm, tc.arn)
		} else {
			_, err = dbbootstrap.PasswordFromSecret(ctx, sm, tc.arn)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "Not-Json") || strings.Contains(err.Error(), "Rds-Managed") {
			t.Errorf("%s: error shows the secret's value: %v", tc.name, err)
		}
	}
}
