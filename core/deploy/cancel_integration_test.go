//go:build integration

package deploy_test

// A deploy cancelled half-way (Ctrl-C or SIGTERM of `dagger call`, a cancelled CI job: the
// function's ctx is cancelled) cleans up on a context of its own: the roll it interrupted is
// returned, a running one-off task is stopped, the lock is released and the record says
// "cancelled". moto completes a roll at once, so the cancellation is injected where a real roll
// would be in progress: as ECS's answer to the second service's update arrives, before the rollout
// watched them (an HTTP hook in the rig's rollout options, on the rollout engine's own HTTP client). The SDK then
// loses that answer to the cancellation — ECS changed the service, the rollout does not know — so
// the roll-back must read ECS rather than trust the rollout's account. Every assertion reads the
// emulated account: the services (ECS), the lock object and the record (S3), the task (ECS).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator/motoecs"
	"bookme-deploy/core/lock"
	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/record"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/smoke"
	"bookme-deploy/internal/testenv"
)

// hookFunc is an aws.HTTPClient made of a function.
type hookFunc func(*http.Request) (*http.Response, error)

func (f hookFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

func ecsOp(r *http.Request) string {
	t := r.Header.Get("X-Amz-Target")
	return t[strings.LastIndex(t, ".")+1:]
}

// peek reads a request or response body and puts it back.
func peek(rc *io.ReadCloser) []byte {
	if *rc == nil {
		return nil
	}
	b, _ := io.ReadAll(*rc)
	(*rc).Close()
	*rc = io.NopCloser(bytes.NewReader(b))
	return b
}

var errUserCancel = errors.New("SIGTERM: the CI job was cancelled")

// rawRecord is the newest record object's JSON as stored.
func rawRecord(t *testing.T, r *rig) map[string]any {
	t.Helper()
	recs := r.records(t, configB)
	if len(recs) == 0 {
		t.Fatal("no deploy record was written")
	}
	b, err := deploy.ReadObject(context.Background(), r.s3, configB, recs[len(recs)-1].Key())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// storedStep is one step of a stored record as JSON.
func storedStep(t *testing.T, raw map[string]any, name string) map[string]any {
	t.Helper()
	for _, s := range raw["steps"].([]any) {
		if m := s.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("the stored record has no step %s", name)
	return nil
}

func TestCancelMidRollReturnsTheServicesReleasesTheLockAndRecordsIt(t *testing.T) {
	r := newRig(t)
	mustDeploy(t, r.deployment(t, nil))
	before := r.serviceTDs(t)

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var updates atomic.Int32
	var movedTo sync.Map // service → the revision the interrupted roll moved it to
	r.rolloutOptions = append(r.rolloutOptions, rollout.WithHTTPClient(func(base aws.HTTPClient) aws.HTTPClient {
		return hookFunc(func(req *http.Request) (*http.Response, error) {
			var body []byte
			if ecsOp(req) == "UpdateService" {
				body = peek(&req.Body)
			}
			resp, err := base.Do(req)
			if err == nil && body != nil && resp.StatusCode == http.StatusOK {
				var in struct{ Service, TaskDefinition string }
				_ = json.Unmarshal(body, &in)
				if n := updates.Add(1); n <= 2 {
					movedTo.Store(in.Service, in.TaskDefinition)
					if n == 2 {
						// ECS accepted both services' new revisions: the roll is in progress.
						cancel(errUserCancel)
					}
				}
			}
			return resp, err
		})
	}))
	d := r.nextRelease(t)
	nextSecond()
	rep, err := d.Deploy(ctx)
	if !errors.Is(err, pipeline.ErrCancelled) {
		t.Fatalf("deploy error %v, want it cancelled\n%s", err, rep.Text())
	}

	// The interrupted roll had moved both services (ECS accepted the updates) …
	for _, svc := range []string{apiSvc, workerSvc} {
		to, ok := movedTo.Load(svc)
		if !ok || to == before[svc] {
			t.Fatalf("the roll did not move %s before the cancellation (to %v): the test cancelled too early", svc, to)
		}
	}
	// … and the roll-back, on its own context, returned them: read from ECS.
	if got := r.serviceTDs(t); got[apiSvc] != before[apiSvc] || got[workerSvc] != before[workerSvc] {
		t.Errorf("services run %v after the cancelled deploy, want their previous revisions %v", got, before)
	}
	if n := updates.Load(); n != 4 {
		t.Errorf("%d UpdateService calls, want 4 (2 rolled, 2 rolled back)", n)
	}
	// The lock object is gone from the state bucket.
	if h := r.lockHolder(t); h != nil {
		t.Errorf("the lock is still held by %+v", h)
	}
	// The record object says cancelled.
	rec := lastRecord(t, r)
	st := stepStatus(rec)
	if st["migrate-and-roll"] != record.Cancelled || st["roll-back"] != record.Succeeded || st["unlock"] != record.Succeeded ||
		st["cutover-spa"] != record.Skipped || st["smoke"] != record.Skipped {
		t.Errorf("record steps %v", st)
	}
	if got := rec.ReleaseOutcome(); got != "cancelled, rolled back" {
		t.Errorf("release outcome %q, want cancelled, rolled back", got)
	}
	if c := rec.Cancellation; c == nil || c.Reason != errUserCancel.Error() || len(c.Interrupted) != 1 ||
		!strings.HasPrefix(c.Interrupted[0], "migrate-and-roll: ") || !strings.Contains(c.Interrupted[0], "cancelled while rolling") {
		t.Errorf("cancellation %+v", rec.Cancellation)
	}
	rb := rec.Rollback
	if rb == nil || !strings.HasPrefix(rb.Reason, "cancelled during migrate-and-roll") || len(rb.Services) != 2 || !rb.Complete() {
		t.Fatalf("roll-back %+v", rb)
	}
	for _, s := range rb.Services {
		if to, _ := movedTo.Load(s.Service); s.To != before[s.Service] || s.From != to {
			t.Errorf("service roll-back %+v, want %s → %s", s, to, before[s.Service])
		}
	}
	// Stored backwards-compatibly: a reader that predates "cancelled" sees a failed step.
	raw := rawRecord(t, r)
	if raw["outcome"] != "cancelled" {
		t.Errorf("stored outcome %v", raw["outcome"])
	}
	if s := storedStep(t, raw, "migrate-and-roll"); s["status"] != "failed" || s["cancelled"] != true {
		t.Errorf("stored step %v, want status failed with cancelled true", s)
	}
	// history and status name it.
	h, err := deploy.History(context.Background(), r.s3, configB, env, 1)
	if err != nil || len(h) != 1 || h[0].Outcome != "cancelled, rolled back" || h[0].Succeeded() {
		t.Errorf("history %+v, %v", h, err)
	}
}

func TestCancelDuringMigrationStopsTheTask(t *testing.T) {
	r := newRig(t)
	before := r.serviceTDs(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var mu sync.Mutex
	migration := "" // the migration task's ARN, from RunTask's answer
	var stops atomic.Int32
	r.rolloutOptions = append(r.rolloutOptions, rollout.WithHTTPClient(func(base aws.HTTPClient) aws.HTTPClient {
		return hookFunc(func(req *http.Request) (*http.Response, error) {
			op := ecsOp(req)
			if op == "StopTask" {
				stops.Add(1)
			}
			mu.Lock()
			running := migration
			mu.Unlock()
			if op == "DescribeTasks" && running != "" && strings.Contains(string(peek(&req.Body)), running) {
				// The migration runs: the job is cancelled while the deploy waits for it.
				cancel(errUserCancel) // this request's ctx is the deploy's: it fails as cancelled
			}
			isMigration := op == "RunTask" && strings.Contains(string(peek(&req.Body)), rollout.MigrationStartedBy)
			resp, err := base.Do(req)
			if err == nil && isMigration && resp.StatusCode == http.StatusOK {
				var out struct{ Tasks []struct{ TaskArn string } }
				_ = json.Unmarshal(peek(&resp.Body), &out)
				if len(out.Tasks) == 1 {
					mu.Lock()
					migration = out.Tasks[0].TaskArn
					mu.Unlock()
				}
			}
			return resp, err
		})
	}))
	nextSecond()
	rep, err := r.deployment(t, nil).Deploy(ctx)
	if !errors.Is(err, pipeline.ErrCancelled) {
		t.Fatalf("deploy error %v, want it cancelled\n%s", err, rep.Text())
	}
	if migration == "" {
		t.Fatal("the migration task never started")
	}
	// The task was stopped, read back from ECS: STOPPED with our reason.
	out, err := ecs.NewFromConfig(r.cfg, func(o *ecs.Options) { o.HTTPClient = motoecs.Wrap(r.cfg.HTTPClient) }).DescribeTasks(context.Background(),
		&ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{migration}})
	if err != nil || len(out.Tasks) != 1 {
		t.Fatalf("describe the migration task: %v", err)
	}
	if tk := out.Tasks[0]; aws.ToString(tk.LastStatus) != "STOPPED" || aws.ToString(tk.StoppedReason) != rollout.CancelledReason {
		t.Errorf("migration task %s, reason %q; want STOPPED by %q", aws.ToString(tk.LastStatus), aws.ToString(tk.StoppedReason), rollout.CancelledReason)
	}
	if n := stops.Load(); n != 1 {
		t.Errorf("%d StopTask calls, want 1", n)
	}
	if got := r.serviceTDs(t); got[apiSvc] != before[apiSvc] || got[workerSvc] != before[workerSvc] {
		t.Errorf("services %v, want untouched %v", got, before)
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("the lock is still held by %+v", h)
	}
	rec := lastRecord(t, r)
	st := stepStatus(rec)
	if st["migrate-and-roll"] != record.Cancelled || st["roll-back"] != record.Skipped || st["unlock"] != record.Succeeded {
		t.Errorf("record steps %v", st)
	}
	if got := rec.ReleaseOutcome(); got != "cancelled" {
		t.Errorf("release outcome %q, want cancelled", got)
	}
	said := ""
	if c := rec.Cancellation; c != nil {
		said = strings.Join(c.Interrupted, "\n")
	}
	for _, want := range []string{"migration task", "stopped it (StopTask, reason \"" + rollout.CancelledReason + "\")", "no service was changed"} {
		if !strings.Contains(said, want) {
			t.Errorf("the record's cancellation lacks %q: %q", want, said)
		}
	}
	if rec.Rollback != nil {
		t.Errorf("a roll-back is recorded although nothing moved: %+v", rec.Rollback)
	}
}

// Session keys that end before the deploy's time budget (the sum of its timeouts) refuse the deploy
// before it starts: no lock taken, no record written, no service touched (read from the account).
func TestShortSessionRefusesTheDeployBeforeAnythingChanges(t *testing.T) {
	r := newRig(t)
	before := r.serviceTDs(t)
	creds, cfg, err := awsconf.Resolve(context.Background(), awsconf.Credentials{AccessKeyID: "ASIASESSION", SecretAccessKey: "s",
		SessionToken: "t", SessionExpires: time.Now().Add(50 * time.Minute)}, awsconf.Options{Region: testenv.Region, Endpoint: r.moto.Endpoint})
	if err != nil || !creds.CanExpire {
		t.Fatalf("resolve: %v (expires %v)", err, creds.CanExpire)
	}
	r.cfg = cfg
	d := r.deployment(t, nil)
	budget := deploy.DefaultTimeouts().Budget()
	_, err = d.Deploy(context.Background())
	if err == nil || !strings.Contains(err.Error(), "deploy refused before it started") || !strings.Contains(err.Error(), "budget of "+budget.String()) {
		t.Fatalf("deploy with a 50-min session and a %s budget: %v", budget, err)
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("a lock was taken: %+v", h)
	}
	if recs := r.records(t, configB); len(recs) != 0 {
		t.Errorf("%d records written", len(recs))
	}
	if got := r.serviceTDs(t); got[apiSvc] != before[apiSvc] || got[workerSvc] != before[workerSvc] {
		t.Errorf("services %v, want untouched %v", got, before)
	}
	if r.tofu.count("plan", "") != 0 || r.images.count() != 0 {
		t.Errorf("a stage ran: %d tofu plans, %d pushes", r.tofu.count("plan", ""), r.images.count())
	}
}

// The deploy lock is lost mid-deploy (someone forced it open; its heartbeat finds it gone): the
// deploy is cancelled with the lost lock as the cause — it stops, rolls back what it moved, and the
// record says cancelled and why.
func TestLostLockCancelsTheDeploy(t *testing.T) {
	r := newRig(t)
	mustDeploy(t, r.deployment(t, nil))
	before := r.serviceTDs(t)
	r.smoke = func(ctx context.Context, _ smoke.Target) (string, error) {
		if _, _, err := lock.ForceUnlock(ctx, r.s3, deploy.LockOptions(env, stateB, deploy.Timeouts{})); err != nil {
			return "", err
		}
		select { // the heartbeat (every 200 ms here) notices and cancels the deploy
		case <-ctx.Done():
			return "", context.Cause(ctx)
		case <-time.After(10 * time.Second):
			return "", errors.New("the deploy went on for 10 s after its lock was forced open")
		}
	}
	d := r.deployment(t, func(c *deploy.Config) { c.GitSHA = nextCommit; c.Timeouts.LockTTL = 600 * time.Millisecond })
	nextSecond()
	_, err := d.Deploy(context.Background())
	if err == nil || !strings.Contains(err.Error(), "lock") {
		t.Fatalf("deploy error %v, want a cancellation naming the lost lock", err)
	}
	rec := lastRecord(t, r)
	if rec.Cancellation == nil || !strings.Contains(rec.Cancellation.Reason, "lock") {
		t.Fatalf("record cancellation %+v, want the lost lock as the reason", rec.Cancellation)
	}
	for svc, td := range r.serviceTDs(t) {
		if td != before[svc] {
			t.Errorf("service %s runs %s after the cancelled deploy, want its previous %s", svc, td, before[svc])
		}
	}
}
