//go:build integration

package rollout_test

// Against real moto_server: the API shapes moto models (register/describe task definitions, run-task,
// describe-tasks, update-service, describe-services). moto runs no real tasks and its deployments do
// not move over time, but with MOTO_ECS_SERVICE_RUNNING = desired count it reports our deployment
// COMPLETED and a run-task task reaches STOPPED with exit code 0 after a few DescribeTasks calls, so the
// whole Plan → Migrate → Roll flow completes — the same flow the local dry-run plays.

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/emulator"
	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/testenv"
)

func TestMotoPlanMigrateRoll(t *testing.T) {
	m := testenv.StartMoto(t, testenv.WithEnv("MOTO_ECS_SERVICE_RUNNING", "1"))
	cfg := m.Config(t)
	seeded := testenv.SeedECS(t, cfg, "bookme",
		testenv.ECSService{Name: "api", Family: "bookme-api", Container: "web", Image: oldImage, Desired: 1},
		testenv.ECSService{Name: "worker", Family: "bookme-worker", Container: "web", Image: oldImage, Desired: 1, StopTimeout: 120})
	out := &bytes.Buffer{}
	e := rollout.New(cfg, out, emulator.RolloutOptions()...)
	ctx := context.Background()
	in := input()
	in.Settings.PollInterval = 20 * time.Millisecond
	// The seeded first revisions play OpenTofu's templates (the services start on them).
	in.Templates = map[string]string{"bookme-api": seeded.TaskDefinitions["api"], "bookme-worker": seeded.TaskDefinitions["worker"]}

	p, err := e.Plan(ctx, in)
	if err != nil {
		t.Fatalf("plan against moto: %v", err)
	}
	if p.NoOp || len(p.Warnings) != 0 || p.Migration == nil || p.Migration.Subnets[0] != seeded.Subnets[0] {
		t.Fatalf("plan: %+v\n%s", p, p.Text())
	}
	if !strings.Contains(p.Services[0].Diff, newImage) {
		t.Errorf("diff: %s", p.Services[0].Diff)
	}
	res, err := e.Apply(ctx, p)
	if err != nil {
		log := m.Log()
		t.Fatalf("apply against moto: %v\n%s\nmoto log (tail):\n%s", err, out, log[max(0, len(log)-3000):])
	}
	if res.Migration == nil || res.Migration.ExitCode == nil || *res.Migration.ExitCode != 0 {
		t.Fatalf("migration: %+v", res.Migration)
	}
	if res.Roll.Outcome != rollout.OutcomeSucceeded {
		t.Fatalf("roll: %s", res.Roll.Text())
	}
	c := ecs.NewFromConfig(cfg)
	svcs, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("bookme"), Services: []string{"api", "worker"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs.Services {
		if !strings.HasSuffix(aws.ToString(s.TaskDefinition), ":2") {
			t.Errorf("%s runs %s, want revision 2", aws.ToString(s.ServiceName), aws.ToString(s.TaskDefinition))
		}
	}
	td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("bookme-api:2"),
		Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil {
		t.Fatal(err)
	}
	if got := rollout.ImageOf(td.TaskDefinition, "web"); got != newImage {
		t.Errorf("revision 2 image = %s", got)
	}
	if len(td.Tags) != 1 || aws.ToString(td.Tags[0].Value) != "0123abc" {
		t.Errorf("revision 2 tags = %v", td.Tags)
	}
	t.Log(out.String())

	// Same digest again: moto now reports revision 2 with the new image → nothing registered.
	p2, err := e.Plan(ctx, in)
	if err != nil || !p2.NoOp {
		t.Fatalf("re-plan: %v noop=%v", err, p2 != nil && p2.NoOp)
	}

	// Bad input against moto: unknown cluster and service give clear errors.
	bad := input()
	bad.Cluster = "nope"
	if _, err := e.Plan(ctx, bad); err == nil || !strings.Contains(err.Error(), "cluster not found") {
		t.Errorf("unknown cluster: %v", err)
	}
	bad = input()
	bad.API = "nope"
	if _, err := e.Plan(ctx, bad); err == nil || !strings.Contains(err.Error(), `service "nope" not found`) {
		t.Errorf("unknown service: %v", err)
	}

	// OpenTofu changes the API's template (revision 3, tagged as a template): the next release is
	// rendered from it — OpenTofu's cpu, memory and stop timeout, the new image, no template tag.
	tpl, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(seeded.TaskDefinitions["api"])})
	if err != nil {
		t.Fatal(err)
	}
	change := rollout.RegisterInputOf(tpl.TaskDefinition, []ecstypes.Tag{{Key: aws.String(rollout.TemplateTag), Value: aws.String("true")}})
	change.Cpu, change.Memory = aws.String("1024"), aws.String("2048")
	change.ContainerDefinitions[0].StopTimeout = aws.Int32(90)
	reg, err := c.RegisterTaskDefinition(ctx, change)
	if err != nil {
		t.Fatal(err)
	}
	in.Templates["bookme-api"] = aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	in.Image, in.GitSHA = thirdImage, "4567def"
	in.Migration.Skip = true
	p3, err := e.Plan(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if d := p3.Services[0].Diff; !strings.Contains(d, `~ cpu: "512" → "1024"`) || !strings.Contains(d, "stopTimeout") || strings.Contains(d, rollout.TemplateTag) {
		t.Errorf("diff after an OpenTofu change:\n%s", d)
	}
	if _, err := e.Apply(ctx, p3); err != nil {
		t.Fatalf("release after the OpenTofu change: %v\n%s", err, out)
	}
	td4, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("bookme-api:4"),
		Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil {
		t.Fatal(err)
	}
	if got := td4.TaskDefinition; aws.ToString(got.Cpu) != "1024" || aws.ToString(got.Memory) != "2048" ||
		rollout.ImageOf(got, "web") != thirdImage || rollout.IsTemplate(td4.Tags) || rollout.GitSHAOf(td4.Tags) != "4567def" {
		t.Errorf("bookme-api:4 = cpu %s memory %s image %s tags %v", aws.ToString(got.Cpu), aws.ToString(got.Memory),
			rollout.ImageOf(got, "web"), td4.Tags)
	}

	// Rollback verb to the previous release: bookme-api:2 (commit 0123abc), not the template :3.
	rp, err := e.PlanRollback(ctx, rollout.RollbackInput{Cluster: "bookme", Services: []string{"api"},
		Settings: rollout.Settings{PollInterval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rp.Text(), "api: bookme-api:4 → bookme-api:2") {
		t.Errorf("rollback plan:\n%s", rp.Text())
	}
	if r, err := e.Rollback(ctx, rp); err != nil || r.Outcome != rollout.OutcomeSucceeded {
		t.Fatalf("rollback: %v", err)
	}
}
