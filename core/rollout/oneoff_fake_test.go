//go:build integration

package rollout_test

// One-off tasks before the migration (the database bootstrap), played against internal/ecsfake: moto
// cannot make a task exit non-zero (see moto_test.go for the moto run of the same flow). The fake's
// Scenario.OneOff scripts RunTask tasks by family and command.

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/ecsfake"
)

var bootstrapCmd = []string{"bookme-dbbootstrap", "--db", "book_me", "--role", "book_me_api"}

// withShell seeds the bookme-shell family (the bootstrap runs there) next to setup's services.
func withShell(t *testing.T, sc ecsfake.Scenario) *env {
	t.Helper()
	e := setup(t, sc, 100)
	e.fake.SeedTaskDefinition(ecsfake.ContainerTaskDefinition("bookme-shell", "web", oldImage, 0, "/ecs/bookme-shell"))
	return e
}

func inputWithBootstrap() rollout.Input {
	in := input()
	in.Before = []rollout.OneOff{{Name: "db-bootstrap", Family: "bookme-shell", Command: bootstrapCmd,
		Environment: map[string]string{"BOOKME_DB_HOST": "db.internal", "BOOKME_DB_PORT": "5432"}}}
	return in
}

func runTaskFamily(c ecsfake.Call) string {
	td := c.Body["taskDefinition"].(string)
	return td[strings.LastIndex(td, "/")+1:]
}

func override(c ecsfake.Call) map[string]any {
	return c.Body["overrides"].(map[string]any)["containerOverrides"].([]any)[0].(map[string]any)
}

func TestBootstrapThenMigrationThenRoll(t *testing.T) {
	e := withShell(t, ecsfake.Scenario{OneOff: func(family string, cmd []string) (ecsfake.TaskScript, bool) {
		if family == "bookme-shell" {
			return ecsfake.TaskScript{ExitAfter: 30 * time.Second, Logs: []string{"database book_me: exists", "role book_me_api: created"}}, true
		}
		return ecsfake.TaskScript{}, false
	}})
	p := mustPlan(t, e, inputWithBootstrap())
	if len(p.Before) != 1 || p.Before[0].Family != "bookme-shell" || p.Before[0].Subnets[1] != "subnet-b" ||
		!strings.Contains(p.Before[0].Diff, newImage) {
		t.Fatalf("plan.Before: %+v", p.Before)
	}
	text := p.Text()
	if i, j := strings.Index(text, "one-off db-bootstrap: run one Fargate task of bookme-shell"), strings.Index(text, "run one Fargate task of bookme-api"); i < 0 || j < i {
		t.Errorf("plan text should show the bootstrap step before the migration:\n%s", text)
	}
	res, err := e.engine.Apply(context.Background(), p)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, e.out)
	}
	rt := e.fake.Calls("RunTask")
	if len(rt) != 2 || runTaskFamily(rt[0]) != "bookme-shell:2" || runTaskFamily(rt[1]) != "bookme-api:2" {
		t.Fatalf("RunTask calls: want bookme-shell:2 then bookme-api:2, got %d calls %v", len(rt), rt)
	}
	bs := rt[0]
	if bs.Body["startedBy"] != "bookme-deploy/db-bootstrap" || rt[1].Body["startedBy"] != rollout.MigrationStartedBy {
		t.Errorf("startedBy: %v, %v", bs.Body["startedBy"], rt[1].Body["startedBy"])
	}
	ov := override(bs)
	if ov["name"] != "web" || strings.Join(toStrings(ov["command"]), " ") != strings.Join(bootstrapCmd, " ") {
		t.Errorf("bootstrap override: %v", ov)
	}
	envs := ov["environment"].([]any)
	if len(envs) != 2 || envs[0].(map[string]any)["name"] != "BOOKME_DB_HOST" || envs[1].(map[string]any)["value"] != "5432" {
		t.Errorf("bootstrap environment override: %v", envs)
	}
	sg := bs.Body["networkConfiguration"].(map[string]any)["awsvpcConfiguration"].(map[string]any)["securityGroups"].([]any)
	if len(sg) != 1 || sg[0] != "sg-api" {
		t.Errorf("bootstrap security groups = %v, want the API's", sg)
	}
	// The migration starts only after the bootstrap stopped (30 s), the services only after the migration.
	if !rt[1].At.After(bs.At.Add(30 * time.Second)) {
		t.Errorf("migration started %s after the bootstrap, before it could stop", rt[1].At.Sub(bs.At))
	}
	if ups := e.fake.Calls("UpdateService"); len(ups) == 0 || ups[0].At.Before(rt[1].At) {
		t.Errorf("services updated before the migration")
	}
	if got := res.Revisions[rollout.OneOffKey("db-bootstrap")]; !strings.HasSuffix(got, "bookme-shell:2") {
		t.Errorf("revisions: %v", res.Revisions)
	}
	if len(res.Before) != 1 || res.Before[0].Name != "db-bootstrap" || res.Before[0].ExitCode == nil || *res.Before[0].ExitCode != 0 ||
		res.Migration == nil || res.Roll.Outcome != rollout.OutcomeSucceeded {
		t.Fatalf("result: %+v\n%s", res, res.Text())
	}
	if !strings.Contains(res.Text(), "db-bootstrap: task ") || !strings.Contains(e.out.String(), "db-bootstrap: succeeded") {
		t.Errorf("summary/progress lack the bootstrap:\n%s\n%s", res.Text(), e.out)
	}

	// Deployed: the same digest again is a no-op, and no one-off runs.
	p2 := mustPlan(t, e, inputWithBootstrap())
	if !p2.NoOp || len(p2.Before) != 0 {
		t.Fatalf("re-plan: noop=%v before=%v", p2.NoOp, p2.Before)
	}
	if _, err := e.engine.Apply(context.Background(), p2); err != nil || len(e.fake.Calls("RunTask")) != 2 {
		t.Errorf("no-op apply ran a task: %v", err)
	}
}

func TestBootstrapFailsNothingElseRuns(t *testing.T) {
	var fixed atomic.Bool
	e := withShell(t, ecsfake.Scenario{OneOff: func(family string, cmd []string) (ecsfake.TaskScript, bool) {
		if len(cmd) > 0 && cmd[0] == "bookme-dbbootstrap" && !fixed.Load() {
			return ecsfake.TaskScript{ExitAfter: 6 * time.Second, ExitCode: 1,
				Logs: []string{"bookme-dbbootstrap: connect db.internal:5432: password authentication failed for user \"postgres\""}}, true
		}
		return ecsfake.TaskScript{}, false
	}})
	p := mustPlan(t, e, inputWithBootstrap())
	res, err := e.engine.Apply(context.Background(), p)
	if err == nil {
		t.Fatalf("apply succeeded with a failing bootstrap")
	}
	for _, want := range []string{"db-bootstrap failed: container web exited 1", "no service was changed", "password authentication failed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if rt := e.fake.Calls("RunTask"); len(rt) != 1 || runTaskFamily(rt[0]) != "bookme-shell:2" {
		t.Errorf("RunTask calls after a failed bootstrap: %v (want the bootstrap only, no migration)", rt)
	}
	if n := len(e.fake.Calls("UpdateService")); n != 0 {
		t.Errorf("%d services updated after a failed bootstrap", n)
	}
	if res == nil || len(res.Before) != 1 || res.Before[0].ExitCode == nil || *res.Before[0].ExitCode != 1 || len(res.Before[0].LogLines) != 1 ||
		res.Migration != nil || res.Roll != nil {
		t.Fatalf("result: %+v", res)
	}
	if !strings.Contains(res.Text(), "migration: not run (db-bootstrap failed)") {
		t.Errorf("result text:\n%s", res.Text())
	}

	// The database is fixed; the same plan is applied again: every revision is reused (none registered),
	// the bootstrap runs again, then the migration, then the roll.
	regs := len(e.fake.Calls("RegisterTaskDefinition"))
	fixed.Store(true)
	res, err = e.engine.Apply(context.Background(), p)
	if err != nil || res.Roll.Outcome != rollout.OutcomeSucceeded {
		t.Fatalf("re-apply: %v\n%s", err, e.out)
	}
	if n := len(e.fake.Calls("RegisterTaskDefinition")); n != regs {
		t.Errorf("re-apply registered %d more revisions, want all reused", n-regs)
	}
	rt := e.fake.Calls("RunTask")
	if len(rt) != 3 || runTaskFamily(rt[1]) != "bookme-shell:2" || runTaskFamily(rt[2]) != "bookme-api:2" {
		t.Errorf("re-apply RunTask calls: %v", rt)
	}
	if !strings.Contains(e.out.String(), "register: bookme-shell already registered as bookme-shell:2 (reused)") {
		t.Errorf("progress should say the one-off revision was reused:\n%s", e.out)
	}
}

// Migration.Skip skips the migration only; the Migrate verb runs the one-offs first; a one-off whose
// family does not exist (or lacks the container) fails the plan before anything is registered.
func TestOneOffSkipMigrateVerbAndPlanErrors(t *testing.T) {
	e := withShell(t, ecsfake.Scenario{})
	in := inputWithBootstrap()
	in.Migration.Skip = true
	p := mustPlan(t, e, in)
	if p.Migration != nil || len(p.Before) != 1 || !strings.Contains(p.Text(), "no migration task (skipped)") {
		t.Fatalf("skip plan:\n%s", p.Text())
	}

	bad := inputWithBootstrap()
	bad.Before[0].Family = "bookme-nope"
	if _, err := e.engine.Plan(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "one-off db-bootstrap") ||
		!strings.Contains(err.Error(), "bookme-nope") {
		t.Errorf("unknown family: %v", err)
	}
	e.fake.SeedTaskDefinition(ecsfake.ContainerTaskDefinition("bookme-other", "django", oldImage, 0, "/ecs/other"))
	bad.Before[0].Family = "bookme-other"
	if _, err := e.engine.Plan(context.Background(), bad); err == nil || !strings.Contains(err.Error(), `no container "web"`) ||
		!strings.Contains(err.Error(), "one-off db-bootstrap") {
		t.Errorf("family without the container: %v", err)
	}
	if n := len(e.fake.Calls("RegisterTaskDefinition")); n != 0 {
		t.Fatalf("plans registered %d revisions", n)
	}

	mr, err := e.engine.Migrate(context.Background(), mustPlan(t, e, inputWithBootstrap()))
	if err != nil || mr == nil || mr.Name != "" {
		t.Fatalf("migrate verb: %v %+v", err, mr)
	}
	if rt := e.fake.Calls("RunTask"); len(rt) != 2 || runTaskFamily(rt[0]) != "bookme-shell:2" || runTaskFamily(rt[1]) != "bookme-api:2" {
		t.Errorf("migrate verb RunTask calls: %v", rt)
	}
	if n := len(e.fake.Calls("UpdateService")); n != 0 {
		t.Errorf("migrate verb updated %d services", n)
	}

	// Apply of the skip plan: the bootstrap runs, no migration, the roll happens (revisions reused).
	regs := len(e.fake.Calls("RegisterTaskDefinition"))
	res, err := e.engine.Apply(context.Background(), p)
	if err != nil || res.Migration != nil || len(res.Before) != 1 {
		t.Fatalf("apply with skipped migration: %v %+v", err, res)
	}
	if rt := e.fake.Calls("RunTask"); len(rt) != 3 || runTaskFamily(rt[2]) != "bookme-shell:2" {
		t.Errorf("RunTask calls: %v", rt)
	}
	if n := len(e.fake.Calls("RegisterTaskDefinition")); n != regs {
		t.Errorf("apply registered %d more revisions after Migrate", n-regs)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
