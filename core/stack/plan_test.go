package stack

import (
	"encoding/json"
	"strings"
	"testing"
)

// The testdata/*-plan-*.json files are `tofu show -json <planfile>` captured by test/infra
// against moto: the first plan of the backend and frontend stacks (everything created) and a
// backend plan with a new image tag and a longer log retention (replacements and updates).

func TestSummarizeCreatePlan(t *testing.T) {
	s, err := SummarizePlan(readTestdata(t, "frontend-plan-create.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Create == 0 || s.Update+s.Replace+s.Delete != 0 || s.Create != len(s.Changes) {
		t.Errorf("counts %+v", s)
	}
	has := map[string]Action{}
	for _, c := range s.Changes {
		has[c.Address] = c.Action
	}
	for _, addr := range []string{"module.cdn.aws_cloudfront_distribution.this", "module.client_bucket.aws_s3_bucket.this", `module.client_dns.aws_route53_record.this["AAAA"]`} {
		if has[addr] != ActionCreate {
			t.Errorf("%s: %q, want create (changes %v)", addr, has[addr], s.Changes)
		}
	}
	for _, c := range s.Changes {
		if strings.HasPrefix(c.Address, "data.") || strings.Contains(c.Address, ".data.") {
			t.Errorf("data source counted as a change: %s", c.Address)
		}
	}
	text := s.Text()
	if !strings.HasPrefix(text, "OpenTofu plan: ") || !strings.Contains(text, "  +   module.cdn.aws_cloudfront_distribution.this\n") {
		t.Errorf("text:\n%s", text)
	}
	if !strings.HasPrefix(s.Hash, "sha256:") || len(s.Hash) != len("sha256:")+64 {
		t.Errorf("hash %q", s.Hash)
	}
	if s.TofuVersion == "" || s.Empty() {
		t.Errorf("version %q empty %v", s.TofuVersion, s.Empty())
	}
}

func TestSummarizeChangePlan(t *testing.T) {
	s, err := SummarizePlan(readTestdata(t, "backend-plan-change.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Replace != 4 {
		t.Errorf("replace = %d, want 4 (the four task definitions get new cpu units): %v", s.Replace, s.Changes)
	}
	// 4 log groups (retention) + 4 execution-role policies (their document reads the log
	// group's ARN, which is unknown until the log group is updated).
	if s.Update != 8 || s.Create != 0 || s.Delete != 0 {
		t.Errorf("counts %+v, want 8 updates", s)
	}
	found := false
	for _, c := range s.Changes {
		if c.Address == "module.api_task.aws_cloudwatch_log_group.this" && c.Action == ActionUpdate {
			found = true
		}
		if strings.Contains(c.Address, "aws_ecs_service") {
			t.Errorf("ECS service changes although task_definition is ignored: %v", c)
		}
	}
	if !found {
		t.Errorf("API log group not updated: %v", s.Changes)
	}
	if !strings.Contains(s.Text(), "-/+ module.api_task.aws_ecs_task_definition.this") {
		t.Errorf("text:\n%s", s.Text())
	}
	var back PlanSummary
	data, err := s.JSON()
	if err != nil || json.Unmarshal(data, &back) != nil || back.Hash != s.Hash || back.Replace != 4 {
		t.Errorf("JSON round trip: %s %v", data, err)
	}
}

// The hash depends on what changes, not on the order of the JSON.
func TestPlanHash(t *testing.T) {
	data := readTestdata(t, "backend-plan-change.json")
	a, err := SummarizePlan(data)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	rcs := doc["resource_changes"].([]any)
	for i, j := 0, len(rcs)-1; i < j; i, j = i+1, j-1 {
		rcs[i], rcs[j] = rcs[j], rcs[i]
	}
	reordered, _ := json.Marshal(doc)
	b, err := SummarizePlan(reordered)
	if err != nil || b.Hash != a.Hash {
		t.Errorf("reordered plan: hash %s vs %s (%v)", b.Hash, a.Hash, err)
	}
	other, err := SummarizePlan(readTestdata(t, "frontend-plan-create.json"))
	if err != nil || other.Hash == a.Hash {
		t.Errorf("different plans share the hash %s", a.Hash)
	}
}

func TestEmptyPlanAndBadInput(t *testing.T) {
	s, err := SummarizePlan([]byte(`{"format_version":"1.2","terraform_version":"1.10.10","resource_changes":[
	  {"address":"aws_s3_bucket.a","mode":"managed","change":{"actions":["no-op"]}},
	  {"address":"data.aws_region.current","mode":"data","change":{"actions":["read"]}}]}`))
	if err != nil || !s.Empty() || s.Text() != "OpenTofu plan: no changes\n" {
		t.Errorf("no-op plan: %v %+v", err, s)
	}
	if _, err := SummarizePlan([]byte("PK\x03\x04binary plan")); err == nil || !strings.Contains(err.Error(), "tofu show -json") {
		t.Errorf("binary plan: %v", err)
	}
	if _, err := SummarizePlan([]byte(`{"resource_changes":[]}`)); err == nil || !strings.Contains(err.Error(), "format_version") {
		t.Errorf("plan without format_version: %v", err)
	}
}
