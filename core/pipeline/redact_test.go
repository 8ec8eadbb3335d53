package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"bookme-deploy/core/redact"
)

// A step's error, detail, skip reason and progress lines leave through the report, the output and
// the span: with a Redactor in the context, none of them holds a known secret or a credential.
func TestRunRedactsEverythingAStepHandsBack(t *testing.T) {
	sr := withRecorder(t)
	const secret = "planted-secret-0123456789"
	r, err := redact.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	ctx := redact.NewContext(context.Background(), r)
	var out bytes.Buffer
	cause := errors.New("the cause")
	rep := Run(ctx, &out, []Step{
		{Name: "talk", Run: func(ctx context.Context) (string, error) {
			w := Progress(ctx)
			fmt.Fprintf(w, "connecting with %s", secret[:10]) // a secret split across two writes
			fmt.Fprintf(w, "%s\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n", secret[10:])
			fmt.Fprintf(w, "-----END PRIVATE KEY-----\ndone password=hunter2hunter2\n")
			return "used " + secret, nil
		}},
		{Name: "skip", Run: func(context.Context) (string, error) { return "", Skip("nothing for " + secret) }},
		{Name: "fail", After: []string{"talk"}, Run: func(context.Context) (string, error) {
			return "", fmt.Errorf("auth postgres://app:%s@db/x failed: %w", secret, cause)
		}},
	})
	var texts []string
	texts = append(texts, out.String(), rep.Text(), rep.Err().Error())
	for _, s := range sr.Ended() {
		for _, kv := range s.Attributes() {
			texts = append(texts, kv.Value.Emit())
		}
		for _, ev := range s.Events() {
			for _, kv := range ev.Attributes {
				texts = append(texts, kv.Value.Emit())
			}
		}
		texts = append(texts, s.Status().Description)
	}
	all := strings.Join(texts, "\n")
	for _, leak := range []string{secret, "hunter2", "MIIEvQIBADANBg"} {
		if strings.Contains(all, leak) {
			t.Errorf("%q leaked:\n%s", leak, all)
		}
	}
	for _, want := range []string{"connecting with [redacted]", "done password=[redacted]", "used [redacted]", "nothing for [redacted]",
		"postgres://app:[redacted]@db/x failed"} {
		if !strings.Contains(all, want) {
			t.Errorf("%q missing:\n%s", want, all)
		}
	}
	for _, o := range rep.Steps {
		if o.Name == "fail" && (o.Status != Failed || !strings.Contains(o.Error, "failed: the cause")) {
			t.Errorf("fail step: %+v", o)
		}
	}
}
