package record

import (
	"strings"
	"testing"

	"bookme-deploy/core/redact"
)

const planted = "planted-db-password-0123"

// withSecrets is sample() with secrets in every kind of text field a failed deploy fills.
func withSecrets() *Record {
	r := sample()
	r.Steps[1].Detail = "migration failed; last log lines:\n  | connect postgres://app:" + planted + "@db:5432/x\n  | AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"
	r.Rollback = &Rollback{Reason: "smoke: " + planted, NotRolledBack: []string{"env file " + planted},
		Services: []ServiceRollback{{Service: "api", Error: "password=" + planted}},
		SPA:      &SPARollback{From: "r1", Error: planted}}
	r.RollbackTo = &RollbackTo{Record: "k", NotRolledBack: []string{planted}}
	r.TaskDefinitions["oneoff:x"] = planted
	return r
}

func TestRedactScrubsEveryField(t *testing.T) {
	red, err := redact.New(planted)
	if err != nil {
		t.Fatal(err)
	}
	r := withSecrets()
	r.Redact(red)
	body, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"json": string(body), "markdown": r.Markdown()} {
		for _, leak := range []string{planted, "AKIAIOSFODNN7EXAMPLE"} {
			if strings.Contains(text, leak) {
				t.Errorf("%s holds %q:\n%s", name, leak, text)
			}
		}
		if !strings.Contains(text, "postgres://app:[redacted]@db:5432/x") {
			t.Errorf("%s lost the text around the secret:\n%s", name, text)
		}
	}
	back, err := Parse(body)
	if err != nil || back.Rollback.Services[0].Error != "password=[redacted]" || back.GitSHA != r.GitSHA {
		t.Fatalf("the redacted record does not read back: %v %+v", err, back)
	}
	if r.TaskDefinitions["api"] != "arn:aws:ecs:eu-central-1:123456789012:task-definition/api:12" || !strings.HasSuffix(r.ImageRef, strings.Repeat("ab", 32)) {
		t.Error("ARNs and digests must not change")
	}
}

// Before Redact (or Save), Markdown still applies the patterns.
func TestMarkdownBeforeRedactAppliesThePatterns(t *testing.T) {
	md := withSecrets().Markdown()
	if strings.Contains(md, "AKIAIOSFODNN7EXAMPLE") || strings.Contains(md, "password="+planted) || strings.Contains(md, "app:"+planted+"@") {
		t.Errorf("credential-looking text in the Markdown:\n%s", md)
	}
}
