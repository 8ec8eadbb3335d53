//go:build integration

package registry

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"bookme-deploy/core/redact"
	"bookme-deploy/internal/testenv"
)

// Auth registers the registry password with the context's Redactor: afterwards neither the password
// nor the token (base64 "AWS:" + password) shows in redacted text.
func TestAuthRegistersThePassword(t *testing.T) {
	m := testenv.StartMoto(t)
	red := &redact.Redactor{}
	ctx := redact.NewContext(context.Background(), red)
	creds, err := Auth(ctx, ecr.NewFromConfig(m.Config(t)))
	if err != nil {
		t.Fatal(err)
	}
	if red.Len() != 1 {
		t.Fatalf("%d secrets registered, want the password", red.Len())
	}
	token := base64.StdEncoding.EncodeToString([]byte(creds.Username + ":" + creds.Password))
	out := red.String("login -p " + creds.Password + " / auth " + token)
	if strings.Contains(out, creds.Password) || strings.Contains(out, token[4:len(token)-2]) {
		t.Errorf("redacted: %q", out)
	}
	if _, err := Auth(context.Background(), ecr.NewFromConfig(m.Config(t))); err != nil {
		t.Fatalf("without a Redactor in the context: %v", err)
	}
}
