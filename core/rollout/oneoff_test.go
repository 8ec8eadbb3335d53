package rollout

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func bootstrap() OneOff {
	return OneOff{Name: "db-bootstrap", Family: "bookme-shell", Command: []string{"bookme-dbbootstrap"},
		Environment: map[string]string{"BOOKME_DB_HOST": "db.internal", "BOOKME_DB_NAME": "book_me"}}
}

// Bad one-offs are refused by Plan before it reads anything: the Engine here has no ECS client at all,
// so a validation that came after a read would panic instead of returning the error.
func TestPlanRefusesBadOneOffsBeforeAnyRead(t *testing.T) {
	cases := []struct {
		want   string
		before []OneOff
	}{
		{"has no name", []OneOff{{Family: "f", Command: []string{"x"}}}},
		{"is invalid", []OneOff{{Name: "db bootstrap", Family: "f", Command: []string{"x"}}}},
		{"is reserved", []OneOff{{Name: "migrate", Family: "f", Command: []string{"x"}}}},
		{`"db-bootstrap" is used twice`, []OneOff{bootstrap(), bootstrap()}},
		{"db-bootstrap has no task-definition family", []OneOff{{Name: "db-bootstrap", Command: []string{"x"}}}},
		{"db-bootstrap has no command", []OneOff{{Name: "db-bootstrap", Family: "f"}}},
		{"db-bootstrap has no command", []OneOff{{Name: "db-bootstrap", Family: "f", Command: []string{" "}}}},
		{"environment override with an empty name", []OneOff{{Name: "db-bootstrap", Family: "f", Command: []string{"x"}, Environment: map[string]string{"": "v"}}}},
	}
	for _, c := range cases {
		in := Input{Cluster: "c", API: "api", Container: "web", Image: newImage, GitSHA: "abc", Before: c.before}
		_, err := (&Engine{}).Plan(context.Background(), in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want error containing %q, got %v", c.want, err)
		}
	}
	if err := validateOneOffs([]OneOff{bootstrap(), {Name: "seed_data", Family: "bookme-shell", Command: []string{"x"}}}); err != nil {
		t.Errorf("valid one-offs refused: %v", err)
	}
}

func TestOneOffKey(t *testing.T) {
	if got := OneOffKey("db-bootstrap"); got != "oneoff:db-bootstrap" {
		t.Errorf("OneOffKey = %q", got)
	}
}

func planWithOneOff() *Plan {
	nw := TaskNetwork{Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-api"}, AssignPublicIP: "DISABLED"}
	return &Plan{Cluster: "bookme", Container: "web", Image: newImage, GitSHA: "abc",
		Services: []*ServicePlan{{Name: "api", Role: RoleAPI, Changed: true, DesiredCount: 2,
			CurrentTaskDefinition: "arn:aws:ecs:eu-central-1:1:task-definition/bookme-api:1", Diff: "  ~ api-diff\n"}},
		Before: []*OneOffPlan{{Name: "db-bootstrap", Family: "bookme-shell", Diff: "  ~ shell-diff\n", Command: []string{"bookme-dbbootstrap", "--db", "book_me"},
			Environment: map[string]string{"BOOKME_DB_HOST": "db.secret-looking.internal"}, StartedBy: "bookme-deploy/db-bootstrap", TaskNetwork: nw}},
		Migration: &MigrationPlan{Family: "bookme-migrate", Diff: "  ~ migrate-diff\n", Command: DefaultMigrationCommand, TaskNetwork: nw,
			Register: nil},
		Settings: Settings{}.withDefaults()}
}

// The dry-run shows the one-off (family diff, then its step) before the migration, in Apply's order,
// with environment names but never their values.
func TestPlanTextShowsOneOffsBeforeMigration(t *testing.T) {
	p := planWithOneOff()
	p.Migration.Register = RegisterInputOf(sampleTD(), nil)
	text := p.Text()
	order := []string{"one-off db-bootstrap: family bookme-shell → new revision", "~ shell-diff", "migration family bookme-migrate",
		"1. register new task-definition revisions for api; family bookme-shell (one-off db-bootstrap); family bookme-migrate (migration)",
		"2. one-off db-bootstrap: run one Fargate task of bookme-shell (new revision) with command \"bookme-dbbootstrap --db book_me\" with environment BOOKME_DB_HOST on subnets subnet-a,subnet-b, security groups sg-api",
		"else stop before the migration and any service changes",
		"3. run one Fargate task of bookme-migrate", "4. update api"}
	at := 0
	for _, want := range order {
		i := strings.Index(text[at:], want)
		if i < 0 {
			t.Fatalf("plan text lacks %q after offset %d:\n%s", want, at, text)
		}
		at += i + len(want)
	}
	if strings.Contains(text, "secret-looking") {
		t.Errorf("plan text prints an environment value:\n%s", text)
	}
	p.Before[0].Diff = ""
	if !strings.Contains(p.Text(), "one-off db-bootstrap: family bookme-shell → latest revision already matches (reused)") {
		t.Errorf("unchanged family:\n%s", p.Text())
	}
}

// The JSON record keeps the migration field as it was and adds the one-offs under "before".
func TestPlanAndResultJSON(t *testing.T) {
	p := planWithOneOff()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	_ = json.Unmarshal(b, &doc)
	m := doc["migration"].(map[string]any)
	if m["family"] != "bookme-migrate" || m["subnets"].([]any)[0] != "subnet-a" || m["assignPublicIp"] != "DISABLED" {
		t.Errorf("migration JSON changed shape: %v", m)
	}
	before := doc["before"].([]any)[0].(map[string]any)
	if before["name"] != "db-bootstrap" || before["startedBy"] != "bookme-deploy/db-bootstrap" || before["securityGroups"].([]any)[0] != "sg-api" {
		t.Errorf("before JSON: %v", before)
	}

	res := &Result{Revisions: Revisions{"api": "x", OneOffKey("db-bootstrap"): "y"},
		Before:    []*TaskResult{{Name: "db-bootstrap", TaskARN: "arn:aws:ecs:r:1:task/bookme/t1", TaskDefinition: "arn:x:task-definition/bookme-shell:2", ExitCode: aws.Int32(0), Duration: 12 * time.Second}},
		Migration: &MigrationResult{TaskARN: "arn:aws:ecs:r:1:task/bookme/t2", TaskDefinition: "arn:x:task-definition/bookme-migrate:2", ExitCode: aws.Int32(0)}}
	b, _ = json.Marshal(res)
	doc = nil
	_ = json.Unmarshal(b, &doc)
	if _, named := doc["migration"].(map[string]any)["name"]; named || doc["before"].([]any)[0].(map[string]any)["name"] != "db-bootstrap" {
		t.Errorf("result JSON: %s", b)
	}
	text := res.Text()
	if !strings.HasPrefix(text, "db-bootstrap: task t1 of bookme-shell:2 stopped after 12s, exit code 0\nmigration: task t2 of bookme-migrate:2") {
		t.Errorf("result text:\n%s", text)
	}

	failed := &Result{Before: []*TaskResult{{Name: "db-bootstrap", TaskARN: "t1", TaskDefinition: "bookme-shell:2", ExitCode: aws.Int32(1)}}}
	if !strings.Contains(failed.Text(), "migration: not run (db-bootstrap failed)") {
		t.Errorf("failed result text:\n%s", failed.Text())
	}
}
