package stack

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// setOutput replaces (or adds) one output of a `tofu output -json` document.
func setOutput(t *testing.T, data []byte, name string, value any) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	v, err := json.Marshal(map[string]any{"sensitive": false, "type": "dynamic", "value": value})
	if err != nil {
		t.Fatal(err)
	}
	m[name] = v
	out, _ := json.Marshal(m)
	return out
}

const arnPrefix = "arn:aws:ecs:eu-central-1:123456789012:task-definition/"

func TestBackendTemplates(t *testing.T) {
	b, err := ParseBackend(readTestdata(t, "backend-outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"book-me-staging-api":     arnPrefix + "book-me-staging-api:1",
		"book-me-staging-worker":  arnPrefix + "book-me-staging-worker:1",
		"book-me-staging-migrate": arnPrefix + "book-me-staging-migrate:1",
		"book-me-staging-shell":   arnPrefix + "book-me-staging-shell:1",
	}
	if got := b.Templates(); !reflect.DeepEqual(got, want) {
		t.Errorf("Templates() = %v, want %v", got, want)
	}
	if b.TaskDefinitionTemplates[TemplateAPI] != want["book-me-staging-api"] {
		t.Errorf("api template %q", b.TaskDefinitionTemplates[TemplateAPI])
	}
}

func TestBackendTemplatesRequired(t *testing.T) {
	data := readTestdata(t, "backend-outputs.json")
	good := map[string]string{
		"api": arnPrefix + "book-me-staging-api:3", "worker": arnPrefix + "book-me-staging-worker:3",
		"migrate": arnPrefix + "book-me-staging-migrate:2", "shell": arnPrefix + "book-me-staging-shell:9",
	}
	if b, err := ParseBackend(setOutput(t, data, "task_definition_templates", good)); err != nil || b.Templates()["book-me-staging-shell"] != good["shell"] {
		t.Errorf("newer templates: %v", err)
	}
	for name, tc := range map[string]struct {
		doc  []byte
		want []string
	}{
		"absent (a stack applied before this change)": {dropOutput(t, data, "task_definition_templates"),
			[]string{"missing output(s) task_definition_templates", "infra/stacks/backend"}},
		"empty":      {setOutput(t, data, "task_definition_templates", map[string]string{}), []string{"task_definition_templates (empty)"}},
		"not a map":  {setOutput(t, data, "task_definition_templates", []string{"x"}), []string{"malformed output(s) task_definition_templates (want map of string"}},
		"one family": {setOutput(t, data, "task_definition_templates", map[string]string{"api": good["api"]}), []string{`no "worker" entry`, `no "migrate" entry`, `no "shell" entry`}},
		"another family": {setOutput(t, data, "task_definition_templates", map[string]string{"api": good["worker"], "worker": good["worker"],
			"migrate": good["migrate"], "shell": good["shell"]}), []string{`"api" is ` + good["worker"] + ", not a revision of family book-me-staging-api"}},
		"no revision": {setOutput(t, data, "task_definition_templates", map[string]string{"api": "book-me-staging-api", "worker": good["worker"],
			"migrate": good["migrate"], "shell": good["shell"]}), []string{`"api" is book-me-staging-api, not a revision`}},
	} {
		_, err := ParseBackend(tc.doc)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", name, err, w)
			}
		}
	}
}
