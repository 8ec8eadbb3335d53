package stack

import (
	"strings"
	"testing"

	"bookme-deploy/core/redact"
)

// OpenTofu's stderr may quote credentials (a provider's request dump, a variable's value): they are
// redacted before the text is cut, so not even a part of one survives the cut.
func TestErrorLinesRedacts(t *testing.T) {
	const token = "redis-auth-token-planted-0123456789"
	r, err := redact.New(token)
	if err != nil {
		t.Fatal(err)
	}
	head := "Error: creating ElastiCache: AccessDenied for AKIAIOSFODNN7EXAMPLE\n" +
		"DEBUG: Authorization: AWS4-HMAC-SHA256 Credential=x, Signature=0123abcd\nError: "
	// The token starts 10 bytes before the 2000-byte cut.
	stderr := "Initializing...\n" + head + strings.Repeat("x", 1990-len(head)) + token + "\n  with var.redis_auth_token\n"
	got := ErrorLinesWith(r, stderr)
	if !strings.HasPrefix(got, "Error: creating") {
		t.Fatalf("ErrorLines no longer starts at Error: %q", got[:40])
	}
	for _, leak := range []string{token[:8], "AKIAIOSFODNN7EXAMPLE", "0123abcd"} {
		if strings.Contains(got, leak) {
			t.Errorf("%q survives:\n%s", leak, got)
		}
	}
	if plain := ErrorLines("Error: bad password=hunter2hunter2 given"); plain != "Error: bad password=[redacted] given" {
		t.Errorf("ErrorLines without a Redactor: %q", plain)
	}
}
