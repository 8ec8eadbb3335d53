//go:build integration

package rollout_test

// These tests play whole rollouts against internal/ecsfake, a scripted ECS + CloudWatch Logs endpoint
// speaking the real JSON 1.1 protocol. moto cannot be used here: its deployments never progress and
// its tasks never fail (see moto_test.go for what moto does cover). Simulated time runs 100× faster
// than the wall clock, so the default settings (5 s polls, 15 min timeout, 3 failed tasks) are used.

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/ecsfake"
	"bookme-deploy/internal/testenv"
)

const (
	oldImage = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/bookme@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	newImage = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/bookme@sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

type env struct {
	fake           *ecsfake.Fake
	engine         *rollout.Engine
	out            *bytes.Buffer
	apiTD, worker0 string
}

// setup seeds cluster "bookme" with services api (2 tasks) and worker (1 task) on oldImage.
func setup(t *testing.T, sc ecsfake.Scenario, scale float64) *env {
	t.Helper()
	clock := ecsfake.NewClock(scale)
	f := ecsfake.Start(t, sc, clock)
	f.SeedCluster("bookme")
	api := f.SeedTaskDefinition(ecsfake.ContainerTaskDefinition("bookme-api", "web", oldImage, 30, "/ecs/bookme-api"))
	wk := f.SeedTaskDefinition(ecsfake.ContainerTaskDefinition("bookme-worker", "web", oldImage, 120, "/ecs/bookme-worker"))
	f.SeedService("bookme", "api", api, 2, []string{"subnet-a", "subnet-b"}, []string{"sg-api"})
	f.SeedService("bookme", "worker", wk, 1, []string{"subnet-a"}, []string{"sg-worker"})
	out := &bytes.Buffer{}
	e := rollout.New(testenv.ConfigFor(t, f.URL), out)
	e.Clock = clock
	return &env{fake: f, engine: e, out: out, apiTD: api, worker0: wk}
}

func input() rollout.Input {
	return rollout.Input{Cluster: "bookme", API: "api", Workers: []string{"worker"}, Container: "web", Image: newImage, GitSHA: "0123abc"}
}

func (e *env) serviceTD(t *testing.T, name string) string {
	t.Helper()
	svcs := e.fake.Calls("") // keep the fake's view: ask it through the SDK
	_ = svcs
	p, err := e.engine.Plan(context.Background(), rollout.Input{Cluster: "bookme", API: name, Container: "web", Image: newImage, GitSHA: "x",
		Migration: rollout.Migration{Skip: true}})
	if err != nil {
		t.Fatal(err)
	}
	return p.Services[0].CurrentTaskDefinition
}

func updates(f *ecsfake.Fake, service string) []string {
	var tds []string
	for _, c := range f.Calls("UpdateService") {
		if c.Body["service"] == service {
			tds = append(tds, c.Body["taskDefinition"].(string))
		}
	}
	return tds
}

func mustPlan(t *testing.T, e *env, in rollout.Input) *rollout.Plan {
	t.Helper()
	p, err := e.engine.Plan(context.Background(), in)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

func TestHappyPath(t *testing.T) {
	e := setup(t, ecsfake.Scenario{RunTask: map[string]ecsfake.TaskScript{newImage: {ExitAfter: 20 * time.Second, Logs: []string{"Applying bookings.0042... OK"}}}}, 100)
	p := mustPlan(t, e, input())
	text := p.Text()
	for _, want := range []string{`~ containerDefinitions[web].image: "` + oldImage + `" → "` + newImage + `"`, "tags[git-sha].value: \"0123abc\"",
		"run one Fargate task of bookme-api", "subnet-a,subnet-b", "in parallel"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan text lacks %q:\n%s", want, text)
		}
	}
	if len(e.fake.Calls("RegisterTaskDefinition")) != 0 {
		t.Fatalf("Plan registered a task definition")
	}
	res, err := e.engine.Apply(context.Background(), p)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, e.out)
	}
	if res.Migration == nil || res.Migration.ExitCode == nil || *res.Migration.ExitCode != 0 {
		t.Fatalf("migration result: %+v", res.Migration)
	}
	rt := e.fake.Calls("RunTask")
	if len(rt) != 1 || !strings.HasSuffix(rt[0].Body["taskDefinition"].(string), "bookme-api:2") {
		t.Fatalf("RunTask calls: %+v", rt)
	}
	cmd := rt[0].Body["overrides"].(map[string]any)["containerOverrides"].([]any)[0].(map[string]any)["command"].([]any)
	if !strings.Contains(cmd[2].(string), "migrate --noinput && python manage.py collectstatic --noinput") {
		t.Errorf("migration command = %v", cmd)
	}
	sn := rt[0].Body["networkConfiguration"].(map[string]any)["awsvpcConfiguration"].(map[string]any)["securityGroups"].([]any)
	if len(sn) != 1 || sn[0] != "sg-api" {
		t.Errorf("migration security groups = %v, want the API's", sn)
	}
	// Migration before any service update.
	if first := e.fake.Calls("UpdateService"); len(first) == 0 || first[0].At.Before(rt[0].At.Add(20*time.Second)) {
		t.Errorf("services were updated before the migration finished")
	}
	if res.Roll.Outcome != rollout.OutcomeSucceeded {
		t.Fatalf("outcome %s", res.Roll.Outcome)
	}
	if got := e.serviceTD(t, "api"); !strings.HasSuffix(got, "bookme-api:2") {
		t.Errorf("api runs %s", got)
	}
	if got := e.serviceTD(t, "worker"); !strings.HasSuffix(got, "bookme-worker:2") {
		t.Errorf("worker runs %s", got)
	}
	// The new revision keeps everything else and records the git SHA.
	reg := e.fake.Calls("RegisterTaskDefinition")[0].Body
	if reg["executionRoleArn"] == nil || reg["cpu"] != "512" || reg["containerDefinitions"].([]any)[0].(map[string]any)["linuxParameters"] == nil {
		t.Errorf("registered revision lost fields: %v", reg)
	}
	if tags := reg["tags"].([]any); len(tags) != 1 || tags[0].(map[string]any)["value"] != "0123abc" {
		t.Errorf("tags = %v", tags)
	}
	out := e.out.String()
	if !strings.Contains(out, "api: desired 2, running 2, pending 0, failed 0, COMPLETED") || strings.Count(out, "api: desired") > 6 {
		t.Errorf("progress should be one line per change:\n%s", out)
	}
	if !strings.Contains(res.Text(), "roll succeeded") {
		t.Errorf("summary: %s", res.Text())
	}
	t.Log(out)

	// Re-run with the same digest: nothing registered, nothing rolled.
	regs, ups := len(e.fake.Calls("RegisterTaskDefinition")), len(e.fake.Calls("UpdateService"))
	p2 := mustPlan(t, e, input())
	if !p2.NoOp || !strings.Contains(p2.Text(), "nothing to do") {
		t.Fatalf("re-run plan is not a no-op:\n%s", p2.Text())
	}
	res2, err := e.engine.Apply(context.Background(), p2)
	if err != nil || !res2.NoOp {
		t.Fatalf("re-run apply: %v %+v", err, res2)
	}
	if len(e.fake.Calls("RegisterTaskDefinition")) != regs || len(e.fake.Calls("UpdateService")) != ups || len(e.fake.Calls("RunTask")) != 1 {
		t.Errorf("re-run registered, migrated or rolled something")
	}
}

func TestMigrationFailsNoServiceTouched(t *testing.T) {
	e := setup(t, ecsfake.Scenario{RunTask: map[string]ecsfake.TaskScript{newImage: {ExitAfter: 8 * time.Second, ExitCode: 1,
		Logs: []string{"Operations to perform:", "django.db.utils.ProgrammingError: relation \"bookings\" already exists"}}}}, 100)
	res, err := e.engine.Apply(context.Background(), mustPlan(t, e, input()))
	if err == nil {
		t.Fatalf("apply succeeded")
	}
	for _, want := range []string{"exited 1", "no service was changed", `relation "bookings" already exists`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if n := len(e.fake.Calls("UpdateService")); n != 0 {
		t.Errorf("%d services updated after a failed migration", n)
	}
	if res.Migration == nil || len(res.Migration.LogLines) != 2 {
		t.Errorf("migration result: %+v", res.Migration)
	}
}

func TestMigrationNeverStarts(t *testing.T) {
	e := setup(t, ecsfake.Scenario{RunTask: map[string]ecsfake.TaskScript{newImage: {NeverStarts: true,
		Reason: "ResourceInitializationError: unable to pull secrets"}}}, 100)
	_, err := e.engine.Apply(context.Background(), mustPlan(t, e, input()))
	if err == nil || !strings.Contains(err.Error(), "never ran") || !strings.Contains(err.Error(), "unable to pull secrets") {
		t.Fatalf("err = %v", err)
	}
	if len(e.fake.Calls("UpdateService")) != 0 {
		t.Errorf("a service was updated")
	}
}

func TestAPIFailsWorkerSucceedsBothRolledBack(t *testing.T) {
	sc := ecsfake.Scenario{Script: func(service, image string) (ecsfake.TaskScript, bool) {
		if service == "api" && image == newImage {
			return ecsfake.TaskScript{StartAfter: 3 * time.Second, ExitAfter: 4 * time.Second, ExitCode: 3,
				Logs: []string{"ImproperlyConfigured: SECRET_KEY missing"}}, true
		}
		return ecsfake.TaskScript{}, false
	}}
	e := setup(t, sc, 100)
	res, err := e.engine.Apply(context.Background(), mustPlan(t, e, input()))
	if err == nil || !regexp.MustCompile(`api: \d+ tasks of bookme-api:2 stopped with errors \(limit 3\)`).MatchString(err.Error()) {
		t.Fatalf("err = %v\n%s", err, e.out)
	}
	if res.Roll.Outcome != rollout.OutcomeRolledBack {
		t.Fatalf("outcome = %s", res.Roll.Outcome)
	}
	for _, name := range []string{"api", "worker"} {
		if got := updates(e.fake, name); len(got) != 2 || !strings.HasSuffix(got[1], ":1") {
			t.Errorf("%s updates = %v, want new revision then back to :1", name, got)
		}
		if got := e.serviceTD(t, name); !strings.HasSuffix(got, ":1") {
			t.Errorf("%s runs %s after roll-back", name, got)
		}
	}
	for _, s := range res.Roll.Services {
		if !s.RolledBack || s.RolledBackBy != rollout.RolledBackByDeploy || s.RollbackState != "COMPLETED" {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}
	api := res.Roll.Services[0]
	if len(api.StoppedTasks) < 3 || !strings.Contains(api.StoppedTasks[0], "exit 3") || len(api.LogLines) != 1 || len(api.Events) == 0 {
		t.Errorf("diagnosis: %+v", api)
	}
	out := e.out.String()
	for _, want := range []string{"diagnosis of api", "SECRET_KEY missing", "rollback: api → bookme-api:1", "rollback: worker → bookme-worker:1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCircuitBreakerAlreadyRolledBack(t *testing.T) {
	sc := ecsfake.Scenario{CircuitBreaker: 2, CircuitBreakerRollback: true, Script: func(service, image string) (ecsfake.TaskScript, bool) {
		if service == "api" && image == newImage {
			return ecsfake.TaskScript{NeverStarts: true, StartAfter: 4 * time.Second}, true
		}
		return ecsfake.TaskScript{StartAfter: 30 * time.Second}, true // the worker is slow: still rolling when ECS trips
	}}
	e := setup(t, sc, 100)
	res, err := e.engine.Apply(context.Background(), mustPlan(t, e, input()))
	if err == nil || !strings.Contains(err.Error(), "circuit breaker") {
		t.Fatalf("err = %v\n%s", err, e.out)
	}
	if got := updates(e.fake, "api"); len(got) != 1 {
		t.Errorf("api updated %d times (%v): ECS already rolled it back, we must not roll it again", len(got), got)
	}
	if got := updates(e.fake, "worker"); len(got) != 2 {
		t.Errorf("worker updates = %v, want forward + back", got)
	}
	api := res.Roll.Services[0]
	if api.RolledBackBy != rollout.RolledBackByECS || !api.RolledBack {
		t.Errorf("api: %+v", api)
	}
	if got := e.serviceTD(t, "api"); !strings.HasSuffix(got, ":1") {
		t.Errorf("api runs %s", got)
	}
}

func TestTimeoutRollsBack(t *testing.T) {
	sc := ecsfake.Scenario{Images: map[string]ecsfake.TaskScript{newImage: {StartAfter: 2 * time.Hour}}}
	e := setup(t, sc, 1000)
	in := input()
	in.Migration.Skip = true
	start := time.Now()
	res, err := e.engine.Apply(context.Background(), mustPlan(t, e, in))
	if err == nil || !strings.Contains(err.Error(), "timed out after 15m0s") {
		t.Fatalf("err = %v", err)
	}
	if res.Roll.Duration < 15*time.Minute {
		t.Errorf("gave up after %s (simulated), before the 15 min default", res.Roll.Duration)
	}
	for _, s := range res.Roll.Services {
		if !s.RolledBack {
			t.Errorf("%s not rolled back", s.Name)
		}
	}
	t.Logf("15 min simulated timeout took %s wall", time.Since(start))
}

func TestThrottlingRetried(t *testing.T) {
	sc := ecsfake.Scenario{Throttle: map[string]int{"DescribeServices": 2, "UpdateService": 1, "RunTask": 1, "DescribeTasks": 1, "RegisterTaskDefinition": 1}}
	e := setup(t, sc, 20) // slower clock: the SDK's retry back-off sleeps in wall time
	res, err := e.engine.Apply(context.Background(), mustPlan(t, e, input()))
	if err != nil || res.Roll.Outcome != rollout.OutcomeSucceeded {
		t.Fatalf("apply under throttling: %v\n%s", err, e.out)
	}
	if n := len(e.fake.Calls("UpdateService")); n != 3 {
		t.Errorf("UpdateService calls = %d, want 2 + 1 throttled retry", n)
	}
}

func TestPlanRejectsBadInputBeforeRegistering(t *testing.T) {
	e := setup(t, ecsfake.Scenario{}, 100)
	cases := map[string]func(*rollout.Input){
		"cluster not found":        func(in *rollout.Input) { in.Cluster = "nope" },
		`service "nope" not found`: func(in *rollout.Input) { in.Workers = []string{"nope"} },
		`no container "django"`:    func(in *rollout.Input) { in.Container = "django" },
		"has no digest":            func(in *rollout.Input) { in.Image = "bookme:latest" },
		"git SHA is empty":         func(in *rollout.Input) { in.GitSHA = "" },
	}
	for want, mod := range cases {
		in := input()
		mod(&in)
		if _, err := e.engine.Plan(context.Background(), in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want error containing %q, got %v", want, err)
		}
	}
	e.fake.Inject(func(op string, _ map[string]any) *ecsfake.APIError {
		if op == "DescribeServices" {
			return &ecsfake.APIError{Type: "AccessDeniedException", Message: "not authorized to perform ecs:DescribeServices"}
		}
		return nil
	})
	if _, err := e.engine.Plan(context.Background(), input()); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("access denied: %v", err)
	}
	if n := len(e.fake.Calls("RegisterTaskDefinition")) + len(e.fake.Calls("UpdateService")); n != 0 {
		t.Errorf("bad input changed something (%d calls)", n)
	}
}

func TestWorkerStopTimeoutWarning(t *testing.T) {
	e := setup(t, ecsfake.Scenario{}, 100)
	in := input()
	in.Workers = []string{"worker", "api"} // api's container has stopTimeout 30
	in.Templates = map[string]string{"bookme-api": e.apiTD, "bookme-worker": e.worker0}
	p := mustPlan(t, e, in)
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "worker api: container web has stopTimeout 30 s") {
		t.Errorf("warnings = %v", p.Warnings)
	}
}

func TestRollbackVerb(t *testing.T) {
	e := setup(t, ecsfake.Scenario{}, 100)
	in := input()
	in.Migration.Skip = true
	if _, err := e.engine.Apply(context.Background(), mustPlan(t, e, in)); err != nil { // :2, commit 0123abc
		t.Fatal(err)
	}
	in.Image, in.GitSHA = thirdImage, "4567def"
	if _, err := e.engine.Apply(context.Background(), mustPlan(t, e, in)); err != nil { // :3
		t.Fatal(err)
	}
	rp, err := e.engine.PlanRollback(context.Background(), rollout.RollbackInput{Cluster: "bookme", Services: []string{"api", "worker"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rp.Text(), "api: bookme-api:3 → bookme-api:2") {
		t.Errorf("rollback plan:\n%s", rp.Text())
	}
	res, err := e.engine.Rollback(context.Background(), rp)
	if err != nil || res.Outcome != rollout.OutcomeSucceeded {
		t.Fatalf("rollback: %v %+v", err, res)
	}
	if got := e.serviceTD(t, "worker"); !strings.HasSuffix(got, "bookme-worker:2") {
		t.Errorf("worker runs %s", got)
	}
	// The seeded first revisions carry no commit: never a default target.
	if _, err := e.engine.PlanRollback(context.Background(), rollout.RollbackInput{Cluster: "bookme", Services: []string{"api"}}); err == nil {
		t.Errorf("rollback from the first release found a target")
	}
}
