//go:build integration

package deploy_test

// The operator verbs run, logs and exec against an account: run and exec against internal/ecsfake
// (moto runs no task and keeps no enableExecuteCommand: its RunTask never stops, its tasks never
// exit, so an exit code cannot be propagated there), with the deploy records in moto's S3; logs
// against moto's CloudWatch Logs and ECS. Assertions read what the account shows: the fake's record
// of RunTask and DescribeTasks, moto's log events.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/record"
	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/ecsfake"
	"bookme-deploy/internal/testenv"
)

const (
	opsCluster = "ops"
	opsEnv     = "staging"
	opsConfig  = "ops-staging-config"
	opsImage   = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/bookme@sha256:3333333333333333333333333333333333333333333333333333333333333333"
	opsEnvFile = "service-config/api/staging/0123456789abcdef.env"
)

// opsRig is the fake ECS account (cluster ops: services ops-api, 2 tasks, and ops-worker; families
// ops-api, ops-worker and ops-shell, whose revision 2 is the release's) and moto's S3 with the
// config bucket.
type opsRig struct {
	fake                     *ecsfake.Fake
	moto                     *testenv.Moto
	ports                    deploy.Ports
	apiTD, workerTD, shellTD string
	out                      *testenv.SyncBuffer
}

// opsTaskDefinition is one app container (plus the fake's sidecar) naming the release's env file.
func opsTaskDefinition(family string) map[string]any {
	td := ecsfake.ContainerTaskDefinition(family, "app", opsImage, 30, "/ecs/"+family)
	app := td["containerDefinitions"].([]any)[0].(map[string]any)
	app["environmentFiles"] = []any{map[string]any{"type": "s3", "value": "arn:aws:s3:::" + opsConfig + "/" + opsEnvFile}}
	return td
}

func newOpsRig(t *testing.T, sc ecsfake.Scenario) *opsRig {
	t.Helper()
	clock := ecsfake.NewClock(100)
	f := ecsfake.Start(t, sc, clock)
	f.SeedCluster(opsCluster)
	api := f.SeedTaskDefinition(opsTaskDefinition("ops-api"))
	wk := f.SeedTaskDefinition(opsTaskDefinition("ops-worker"))
	f.SeedTaskDefinition(opsTaskDefinition("ops-shell")) // OpenTofu's template
	shell := f.SeedTaskDefinition(opsTaskDefinition("ops-shell"))
	f.SeedService(opsCluster, "ops-api", api, 2, []string{"subnet-a", "subnet-b"}, []string{"sg-api"})
	f.SeedService(opsCluster, "ops-worker", wk, 1, []string{"subnet-a"}, []string{"sg-worker"})
	m := testenv.StartMoto(t)
	testenv.CreateBucket(t, m.Config(t), opsConfig)
	out := &testenv.SyncBuffer{}
	return &opsRig{fake: f, moto: m, apiTD: api, workerTD: wk, shellTD: shell, out: out,
		ports: deploy.Ports{AWS: testenv.ConfigFor(t, f.URL), S3: testenv.S3(m.Config(t)), Out: out}}
}

func (r *opsRig) site() deploy.Site {
	return deploy.Site{Env: opsEnv, ConfigBucket: opsConfig, Cluster: opsCluster, APIService: "ops-api", WorkerService: "ops-worker",
		APIContainer: "app"}
}

// record writes a deploy record naming the given revisions (what a deploy writes).
func (r *opsRig) record(t *testing.T, started time.Time, tds map[string]string) string {
	t.Helper()
	rec := record.New(opsEnv, "it", "feedface0123456789abcdef0123456789abcdef")
	rec.Started, rec.ImageRef, rec.TaskDefinitions, rec.EnvFileKey = started, opsImage, tds, opsEnvFile
	key, err := record.Save(context.Background(), r.ports.S3, opsConfig, rec)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func (r *opsRig) releaseRecord(t *testing.T) string {
	return r.record(t, time.Now().Add(-time.Hour), map[string]string{"ops-api": r.apiTD, "ops-worker": r.workerTD,
		rollout.OneOffKey("db-bootstrap"): r.shellTD, "migration": r.apiTD})
}

func (r *opsRig) options(cmd ...string) deploy.RunOptions {
	return deploy.RunOptions{Command: cmd, Clock: r.fake.Clock, Out: r.out}
}

// describeTask is the task as the account shows it.
func (r *opsRig) describeTask(t *testing.T, arn string) map[string]any {
	t.Helper()
	out, err := ecs.NewFromConfig(r.ports.AWS).DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String(opsCluster), Tasks: []string{arn}})
	if err != nil || len(out.Tasks) != 1 {
		t.Fatalf("describe task %s: %v", arn, err)
	}
	tk := out.Tasks[0]
	m := map[string]any{"td": aws.ToString(tk.TaskDefinitionArn), "startedBy": aws.ToString(tk.StartedBy), "status": aws.ToString(tk.LastStatus)}
	if tk.Overrides != nil && len(tk.Overrides.ContainerOverrides) == 1 {
		m["container"] = aws.ToString(tk.Overrides.ContainerOverrides[0].Name)
		m["command"] = strings.Join(tk.Overrides.ContainerOverrides[0].Command, "\x00")
	}
	if len(tk.Containers) > 0 && tk.Containers[0].ExitCode != nil {
		m["exit"] = *tk.Containers[0].ExitCode
	}
	return m
}

var superuser = []string{"python", "manage.py", "createsuperuser", "--noinput"}

func runScenario() ecsfake.Scenario {
	return ecsfake.Scenario{OneOff: func(family string, cmd []string) (ecsfake.TaskScript, bool) {
		c := strings.Join(cmd, " ")
		switch {
		case strings.Contains(c, "createsuperuser"):
			return ecsfake.TaskScript{ExitAfter: 40 * time.Second, LogInterval: 10 * time.Second,
				Logs: []string{"Superuser creation: reading DJANGO_SUPERUSER_*", "Superuser admin created successfully.", "done"}}, true
		case strings.Contains(c, "loaddata"):
			return ecsfake.TaskScript{ExitAfter: 20 * time.Second, ExitCode: 3, LogInterval: 5 * time.Second,
				Logs: []string{"Installing fixtures from seed.json", "CommandError: No fixture named 'seed' found."}}, true
		case strings.Contains(c, "sleep"):
			return ecsfake.TaskScript{ExitAfter: 10 * time.Minute}, true
		case strings.Contains(c, "never"):
			return ecsfake.TaskScript{NeverStarts: true, Reason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)"}, true
		}
		return ecsfake.TaskScript{}, false
	}}
}

// run on the running release's shell revision: the dry run starts nothing; the run starts one task
// of ops-shell:2 with the API's network and the command override, streams its lines while it runs
// and returns exit code 0; a command exiting 3 gives an ExitError with code 3; a task that never
// ran gives a clear error without an exit code.
func TestRunOnTheReleaseShellRevision(t *testing.T) {
	r := newOpsRig(t, runScenario())
	key := r.releaseRecord(t)
	ctx := context.Background()

	o := r.options(superuser...)
	o.DryRun = true
	plan, err := deploy.RunCommand(ctx, r.ports, r.site(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"task definition  ops-shell:2 (the shell revision of release " + strings.TrimSuffix(strings.TrimPrefix(key, deploy.RecordsPrefix), ".json"),
		"container        app, command overridden: python manage.py createsuperuser --noinput",
		"subnets subnet-a,subnet-b; security groups sg-api; public IP DISABLED", "roles            task arn:aws:iam::123456789012:role/ops-shell-task",
		"env file         " + opsEnvFile, "logs             /ecs/ops-shell, stream ecs/app/<task id>", "image            " + opsImage} {
		if !strings.Contains(plan, want) {
			t.Errorf("dry run lacks %q:\n%s", want, plan)
		}
	}
	if n := len(r.fake.Calls("RunTask")); n != 0 {
		t.Fatalf("the dry run started %d tasks", n)
	}

	start := time.Now()
	sum, err := deploy.RunCommand(ctx, r.ports, r.site(), r.options(superuser...))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, r.out)
	}
	t.Logf("a 40 s (simulated) task ran in %s of wall time", time.Since(start).Round(time.Millisecond))
	rt := r.fake.Calls("RunTask")
	if len(rt) != 1 {
		t.Fatalf("%d RunTask calls, want 1", len(rt))
	}
	body := rt[0].Body
	av := body["networkConfiguration"].(map[string]any)["awsvpcConfiguration"].(map[string]any)
	if body["taskDefinition"] != r.shellTD || body["launchType"] != "FARGATE" || body["cluster"] != opsCluster ||
		strings.Join(toStrs(av["subnets"]), ",") != "subnet-a,subnet-b" || strings.Join(toStrs(av["securityGroups"]), ",") != "sg-api" ||
		av["assignPublicIp"] != "DISABLED" {
		t.Errorf("RunTask request: %v", body)
	}
	ov := body["overrides"].(map[string]any)["containerOverrides"].([]any)
	if len(ov) != 1 || ov[0].(map[string]any)["name"] != "app" {
		t.Errorf("container overrides: %v", ov)
	}
	// What the account shows of the task: the release's shell revision, our command, exit 0.
	arn := ""
	for _, tk := range r.listTasks(t, deploy.RunStartedBy) {
		arn = tk
	}
	got := r.describeTask(t, arn)
	if got["td"] != r.shellTD || got["startedBy"] != deploy.RunStartedBy || got["container"] != "app" ||
		got["command"] != strings.Join(superuser, "\x00") || got["status"] != "STOPPED" || got["exit"] != int32(0) {
		t.Errorf("the account shows the task as %v", got)
	}
	if !strings.Contains(sum, "exit code 0") || !strings.Contains(sum, "ops-shell:2") {
		t.Errorf("summary: %s", sum)
	}
	// Streamed: every line once, in order, the first before the task was seen stopped.
	out := r.out.String()
	lines := []string{"| Superuser creation: reading DJANGO_SUPERUSER_*", "| Superuser admin created successfully.", "| done"}
	last := -1
	for _, l := range lines {
		if n := strings.Count(out, l+"\n"); n != 1 {
			t.Errorf("line %q printed %d times:\n%s", l, n, out)
		}
		i := strings.Index(out, l)
		if i < last {
			t.Errorf("line %q out of order:\n%s", l, out)
		}
		last = i
	}
	if i, j := strings.Index(out, lines[0]), strings.Index(out, " STOPPED ("); i < 0 || j < 0 || i > j {
		t.Errorf("the first line was not streamed while the task ran (line at %d, STOPPED at %d):\n%s", i, j, out)
	}

	// Exit code 3 is propagated.
	_, err = deploy.RunCommand(ctx, r.ports, r.site(), r.options("python", "manage.py", "loaddata", "seed"))
	var ee *deploy.ExitError
	if !errors.As(err, &ee) || ee.Code != 3 || ee.ExitCode() != 3 {
		t.Fatalf("loaddata: error %v, want an ExitError with code 3", err)
	}
	if !strings.Contains(r.out.String(), "| CommandError: No fixture named 'seed' found.") {
		t.Errorf("the failing task's lines were not streamed:\n%s", r.out)
	}
	arns := r.listTasks(t, deploy.RunStartedBy)
	if got := r.describeTask(t, arns[len(arns)-1]); got["exit"] != int32(3) {
		t.Errorf("the account shows %v", got)
	}

	// Stopped without an exit code.
	_, err = deploy.RunCommand(ctx, r.ports, r.site(), r.options("never", "runs"))
	if err == nil || errors.As(err, &ee) || !strings.Contains(err.Error(), "stopped without an exit code") ||
		!strings.Contains(err.Error(), "TaskFailedToStart") || !strings.Contains(err.Error(), "CannotPullContainerError") {
		t.Errorf("a task that never ran: %v", err)
	}
	if _, err := deploy.RunCommand(ctx, r.ports, r.site(), deploy.RunOptions{}); err == nil || !strings.Contains(err.Error(), "no command") {
		t.Errorf("no command: %v", err)
	}
	// Still running at the timeout: stopped, and said so.
	o = r.options("sleep", "600")
	o.Timeout = time.Minute
	_, err = deploy.RunCommand(ctx, r.ports, r.site(), o)
	if err == nil || errors.As(err, &ee) || !strings.Contains(err.Error(), "still RUNNING after 1m0s (stopped it)") {
		t.Errorf("timeout: %v", err)
	}
	if st := r.fake.Calls("StopTask"); len(st) != 1 {
		t.Errorf("StopTask calls after the timeout: %v", st)
	}
	if n := len(r.fake.Calls("RunTask")); n != 4 {
		t.Errorf("%d RunTask calls, want 4", n)
	}
}

func (r *opsRig) listTasks(t *testing.T, startedBy string) []string {
	t.Helper()
	out, err := ecs.NewFromConfig(r.ports.AWS).ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String(opsCluster),
		StartedBy: aws.String(startedBy), DesiredStatus: "STOPPED"})
	if err != nil || len(out.TaskArns) == 0 {
		t.Fatalf("list tasks started by %s: %v %v", startedBy, out, err)
	}
	return out.TaskArns
}

func toStrs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// With no record of the running release, or a record that names no shell revision, run uses the
// revision the API runs, and says why.
func TestRunFallsBackToTheAPIRevision(t *testing.T) {
	r := newOpsRig(t, runScenario())
	ctx := context.Background()
	plan, err := deploy.PlanRun(ctx, r.ports, r.site(), r.options(superuser...))
	if err != nil {
		t.Fatal(err)
	}
	if plan.TaskDefinition != r.apiTD || len(plan.Notes) != 1 || !strings.Contains(plan.Notes[0], "match none of the newest") {
		t.Errorf("no record: plan %+v", plan)
	}
	if _, err := deploy.RunCommand(ctx, r.ports, r.site(), r.options(superuser...)); err != nil {
		t.Fatal(err)
	}
	if rt := r.fake.Calls("RunTask"); len(rt) != 1 || rt[0].Body["taskDefinition"] != r.apiTD {
		t.Errorf("RunTask: %v", rt)
	}

	// A record of the running services without the shell revision (a deploy before the bootstrap).
	r.record(t, time.Now().Add(-time.Minute), map[string]string{"ops-api": r.apiTD, "ops-worker": r.workerTD})
	plan, err = deploy.PlanRun(ctx, r.ports, r.site(), r.options(superuser...))
	if err != nil {
		t.Fatal(err)
	}
	if plan.TaskDefinition != r.apiTD || plan.Release == "" || len(plan.Notes) != 1 || !strings.Contains(plan.Notes[0], "names no shell revision") {
		t.Errorf("record without shell: plan %+v", plan)
	}
	// The release's shell revision lacks the app container: refused in favour of the API's.
	odd := r.fake.SeedTaskDefinition(ecsfake.ContainerTaskDefinition("ops-shell", "django", opsImage, 0, "/ecs/ops-shell"))
	r.record(t, time.Now(), map[string]string{"ops-api": r.apiTD, "ops-worker": r.workerTD, rollout.OneOffKey("db-bootstrap"): odd})
	plan, err = deploy.PlanRun(ctx, r.ports, r.site(), r.options(superuser...))
	if err != nil {
		t.Fatal(err)
	}
	if plan.TaskDefinition != r.apiTD || len(plan.Notes) != 1 || !strings.Contains(plan.Notes[0], "has no container app") {
		t.Errorf("shell revision without the container: plan %+v", plan)
	}
}

// logs against moto: the API's log group and stream prefix from its task definition, lines since
// --since in time order with their task ids (another container's stream left out: moto ignores
// logStreamNamePrefix, AWS does not), a bad --since refused, and follow printing new lines once
// until cancelled.
func TestLogsSinceAndFollowOnMoto(t *testing.T) {
	m := testenv.StartMoto(t)
	cfg := m.Config(t)
	testenv.SeedECS(t, cfg, "ops", testenv.ECSService{Name: "ops-api", Family: "ops-api", Container: "app", Image: opsImage, Desired: 1},
		testenv.ECSService{Name: "ops-worker", Family: "ops-worker", Container: "app", Image: opsImage, Desired: 1})
	ctx := context.Background()
	cw := cloudwatchlogs.NewFromConfig(cfg)
	group := "/ecs/ops-api"
	if _, err := cw.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	put := func(stream string, ago time.Duration, msg string) {
		t.Helper()
		_, _ = cw.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
		if _, err := cw.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
			LogEvents: []cwltypes.InputLogEvent{{Timestamp: aws.Int64(now.Add(-ago).UnixMilli()), Message: aws.String(msg)}}}); err != nil {
			t.Fatal(err)
		}
	}
	t1, t2 := "ecs/app/1111aaaa", "ecs/app/2222bbbb"
	put(t1, 20*time.Minute, "too old")
	put(t1, 5*time.Minute, "t1 first")
	put(t1, 2*time.Minute, "t1 second")
	put(t2, 4*time.Minute, "t2 first")
	put(t2, 1*time.Minute, "t2 second")
	put("ecs/xray/1111aaaa", 3*time.Minute, "sidecar line")
	p := deploy.Ports{AWS: cfg, S3: testenv.S3(cfg)}
	s := deploy.Site{Env: opsEnv, Cluster: "ops", APIService: "ops-api", WorkerService: "ops-worker", APIContainer: "app"}

	plan, err := deploy.Logs(ctx, p, s, deploy.LogsOptions{Service: "api", Since: "10m", DryRun: true})
	if err != nil || !strings.Contains(plan, "group /ecs/ops-api") || !strings.Contains(plan, "read streams ecs/app/<task id> from ") {
		t.Errorf("dry run: %v\n%s", err, plan)
	}
	text, err := deploy.Logs(ctx, p, s, deploy.LogsOptions{Service: "api", Since: "10m"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1111aaaa t1 first", "2222bbbb t2 first", "1111aaaa t1 second", "2222bbbb t2 second"}
	if got := messages(text); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("logs --since 10m:\n%s\nwant %q", text, want)
	}
	if text, err := deploy.Logs(ctx, p, s, deploy.LogsOptions{Service: "api", Since: "30m"}); err != nil || !strings.Contains(text, "too old") {
		t.Errorf("logs --since 30m: %v\n%s", err, text)
	}
	if _, err := deploy.Logs(ctx, p, s, deploy.LogsOptions{Service: "api", Since: "ten"}); err == nil || !strings.Contains(err.Error(), `--since "ten"`) {
		t.Errorf("bad --since: %v", err)
	}
	if _, err := deploy.Logs(ctx, p, s, deploy.LogsOptions{Service: "web"}); err == nil || !strings.Contains(err.Error(), "want api or worker") {
		t.Errorf("bad --service: %v", err)
	}
	// The worker's group was never created: a clear error.
	if _, err := deploy.Logs(ctx, p, s, deploy.LogsOptions{Service: "worker"}); err == nil || !strings.Contains(err.Error(), "log group /ecs/ops-worker does not exist") {
		t.Errorf("missing group: %v", err)
	}

	// Follow: the four lines, then new ones as they are written, each once; cancelling ends it.
	fctx, cancel := context.WithCancel(ctx)
	buf := &testenv.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		_, err := deploy.Logs(fctx, p, s, deploy.LogsOptions{Service: "api", Since: "10m", Follow: true, PollInterval: 50 * time.Millisecond, Out: buf})
		done <- err
	}()
	waitFor(t, func() bool { return len(messages(buf.String())) == 4 })
	put(t2, 0, "t2 third")
	put(t1, 0, "t1 third") // the same millisecond as the last line printed
	waitFor(t, func() bool { return len(messages(buf.String())) == 6 })
	time.Sleep(200 * time.Millisecond) // a few more polls: nothing printed twice
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("follow ended with %v, want nil on cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not end when cancelled")
	}
	// The two new lines, each once: in either order, as a poll may fall between the two writes (on a
	// loaded machine it does); the one stamped like the last line printed must not be lost.
	got := messages(buf.String())
	if len(got) != 6 || strings.Join(got[:4], "|") != strings.Join(want, "|") {
		t.Errorf("follow printed:\n%s", buf)
	} else if newer := []string{got[4], got[5]}; !slices.Contains(newer, "1111aaaa t1 third") || !slices.Contains(newer, "2222bbbb t2 third") {
		t.Errorf("follow printed:\n%s", buf)
	}
}

// messages are the lines without their time stamp: "<task id> <message>".
func messages(text string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if _, rest, ok := strings.Cut(l, " "); ok {
			out = append(out, rest)
		}
	}
	return out
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exec: refused with how to enable it while the service has ECS Exec off; refused again while its
// tasks predate enabling it; after a new deployment, the line names one of the new tasks.
func TestExecLineForAnEnabledService(t *testing.T) {
	r := newOpsRig(t, ecsfake.Scenario{})
	ctx := context.Background()
	_, err := deploy.Exec(ctx, r.ports, r.site(), deploy.ExecOptions{Service: "api"})
	if err == nil || !strings.Contains(err.Error(), "ECS Exec is not enabled on service ops-api") ||
		!strings.Contains(err.Error(), "enable_execute_command = true") || !strings.Contains(err.Error(), "infra/stacks/backend") ||
		!strings.Contains(err.Error(), "ssmmessages") || !strings.Contains(err.Error(), `add "api" to ecs_exec_services`) {
		t.Fatalf("disabled: %v", err)
	}
	c := ecs.NewFromConfig(r.ports.AWS)
	if _, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(opsCluster), Service: aws.String("ops-api"),
		EnableExecuteCommand: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := deploy.Exec(ctx, r.ports, r.site(), deploy.ExecOptions{}); err == nil || !strings.Contains(err.Error(), "were started before it was") {
		t.Fatalf("enabled, old tasks: %v", err)
	}
	if _, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(opsCluster), Service: aws.String("ops-api"),
		ForceNewDeployment: true}); err != nil {
		t.Fatal(err)
	}
	_ = r.fake.Clock.Sleep(ctx, 5*time.Second) // the new tasks start (2 s)
	line, err := deploy.Exec(ctx, r.ports, r.site(), deploy.ExecOptions{Service: "api", Command: "python manage.py shell"})
	if err != nil {
		t.Fatal(err)
	}
	// The account: which running tasks accept a session.
	lt, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(opsCluster), ServiceName: aws.String("ops-api")})
	if err != nil {
		t.Fatal(err)
	}
	dt, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(opsCluster), Tasks: lt.TaskArns})
	if err != nil {
		t.Fatal(err)
	}
	var execable []string
	for _, tk := range dt.Tasks {
		if tk.EnableExecuteCommand && aws.ToString(tk.LastStatus) == "RUNNING" {
			execable = append(execable, aws.ToString(tk.TaskArn))
		}
	}
	if len(execable) != 2 {
		t.Fatalf("the account has %d exec-enabled running tasks, want the 2 new ones", len(execable))
	}
	id := line[strings.Index(line, "--task ")+7:]
	id = id[:strings.Index(id, " ")]
	if !strings.HasSuffix(execable[0], "/"+id) && !strings.HasSuffix(execable[1], "/"+id) {
		t.Errorf("line names task %s, not one of %v", id, execable)
	}
	want := "aws ecs execute-command --region " + testenv.Region + " --cluster ops --task " + id +
		" --container app --interactive --command 'python manage.py shell'\n"
	if line != want {
		t.Errorf("line\n%s\nwant\n%s", line, want)
	}
	if _, err := deploy.Exec(ctx, r.ports, r.site(), deploy.ExecOptions{Container: "nope"}); err == nil || !strings.Contains(err.Error(), `no container "nope"`) {
		t.Errorf("unknown container: %v", err)
	}
	if _, err := deploy.Exec(ctx, r.ports, r.site(), deploy.ExecOptions{Service: "worker"}); err == nil || !strings.Contains(err.Error(), "not enabled on service ops-worker") ||
		!strings.Contains(err.Error(), `add "worker" to ecs_exec_services`) {
		t.Errorf("worker: %v", err)
	}
}
