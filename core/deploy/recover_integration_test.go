//go:build integration

package deploy_test

// A deploy killed half-way, as GitHub cancels a job: the runner kills the process tree, so the
// deploy's own clean-up (TestCancelMidRoll…) never runs — the roll stays half-done, the deploy lock
// and OpenTofu's state lock stay, no record is written. The job's `if: cancelled()` step runs
// `recover --run-url` (deploy.Recover), which must put the account back as the newest successful
// release left it. moto completes a roll at once, so the kill is reproduced in the rollout's HTTP
// client: once ECS accepted both services' new revisions, every later call of the dead deploy
// blocks for ever (a killed process makes no call). Assertions read the account.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/rollout"
)

func TestRecoverAfterADeployKilledMidRoll(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	mustDeploy(t, r.deployment(t, nil))
	aIndex, aSPA := r.served(t)
	before := r.serviceTDs(t)
	const run = "https://github.com/o/r/actions/runs/99"

	if said, err := deploy.Recover(ctx, r.ports(t), r.site(), run, rollbackOptions(), false); err != nil || !strings.HasPrefix(said, "nothing to recover") {
		t.Fatalf("no lock held: %q %v", said, err)
	}

	killed := make(chan struct{})
	dead := make(chan struct{}) // never closed while the test runs: the dead deploy's calls never return
	t.Cleanup(func() { close(dead) })
	var updates atomic.Int32
	r.rolloutOptions = append(r.rolloutOptions, rollout.WithHTTPClient(func(base aws.HTTPClient) aws.HTTPClient {
		return hookFunc(func(req *http.Request) (*http.Response, error) {
			if updates.Load() >= 2 {
				<-dead
				return nil, fmt.Errorf("the process was killed")
			}
			resp, err := base.Do(req)
			if err == nil && ecsOp(req) == "UpdateService" && resp.StatusCode == http.StatusOK {
				if updates.Add(1) == 2 {
					close(killed) // ECS accepted both services' new revisions: the roll is in progress
				}
			}
			return resp, err
		})
	}))
	r.client.seed = 7
	// The deploy's S3 calls hang once it is killed, as a killed process's do: its lock's heartbeat
	// stops with it. A short lock TTL: the heartbeat renews every second, so recover's watch is short.
	var processDead atomic.Bool
	r.deployS3 = s3.New(r.s3.Options(), func(o *s3.Options) {
		base := o.HTTPClient
		o.HTTPClient = hookFunc(func(req *http.Request) (*http.Response, error) {
			if processDead.Load() {
				<-dead
				return nil, fmt.Errorf("the process was killed")
			}
			return base.Do(req)
		})
	})
	d := r.deployment(t, func(c *deploy.Config) { c.GitSHA = nextCommit; c.RunURL = run; c.Timeouts.LockTTL = 3 * time.Second })
	nextSecond()
	go func() { _, _ = d.Deploy(context.Background()) }()
	select {
	case <-killed:
	case <-time.After(2 * time.Minute):
		t.Fatal("the deploy never rolled the services")
	}
	// Still alive (its lock's heartbeat runs): recover refuses and changes nothing.
	if said, err := deploy.Recover(ctx, r.ports(t), r.site(), run, rollbackOptions(), false); err == nil || !strings.Contains(err.Error(), "still renews the deploy lock") {
		t.Fatalf("recover of a deploy that still runs: %q %v", said, err)
	}
	if r.lockHolder(t) == nil {
		t.Fatal("recover of a running deploy removed its lock")
	}
	processDead.Store(true) // now the process dies
	mid := r.serviceTDs(t)
	if mid[apiSvc] == before[apiSvc] || mid[workerSvc] == before[workerSvc] {
		t.Fatalf("the killed roll did not move the services: %v (before %v)", mid, before)
	}
	if r.lockHolder(t) == nil {
		t.Fatal("the killed deploy holds no lock")
	}
	// OpenTofu's lock of a stack it was applying when killed, and a person's older one.
	now := time.Now().UTC()
	putLock := func(key, who string, created time.Time) {
		body, _ := json.Marshal(map[string]any{"ID": who, "Operation": "OperationTypeApply", "Who": who, "Version": "1.12.6", "Created": created, "Path": stateB + "/" + key})
		if _, err := r.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(stateB), Key: aws.String(key), Body: strings.NewReader(string(body))}); err != nil {
			t.Fatal(err)
		}
	}
	ours, theirs := env+"/backend.tfstate.tflock", env+"/frontend.tfstate.tflock"
	putLock(ours, "root@buildkitsandbox", now)
	putLock(theirs, "alice@laptop", now.Add(-2*time.Hour))

	// Another run's recover leaves it all alone.
	if said, err := deploy.Recover(ctx, r.ports(t), r.site(), "https://github.com/o/r/actions/runs/100", rollbackOptions(), false); err != nil ||
		!strings.Contains(said, "nothing to recover: the deploy lock is held by") {
		t.Fatalf("another run: %q %v", said, err)
	}
	// The dry-run says what it would do and does nothing.
	plan, err := deploy.Recover(ctx, r.ports(t), r.site(), run, rollbackOptions(), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recover --dry-run:\n%s", plan)
	if !strings.Contains(plan, "would remove OpenTofu's lock on s3://"+stateB+"/"+env+"/backend.tfstate") || strings.Contains(plan, "frontend.tfstate") {
		t.Errorf("the dry-run does not name exactly the run's OpenTofu lock:\n%s", plan)
	}
	if got := r.serviceTDs(t); got[apiSvc] != mid[apiSvc] || r.lockHolder(t) == nil || !r.exists(t, stateB, ours) {
		t.Fatal("the dry-run changed the account")
	}

	said, err := deploy.Recover(ctx, r.ports(t), r.site(), run, rollbackOptions(), false)
	if err != nil {
		t.Fatalf("recover: %v\n%s", err, said)
	}
	t.Logf("recover:\n%s", said)
	if got := r.serviceTDs(t); got[apiSvc] != before[apiSvc] || got[workerSvc] != before[workerSvc] {
		t.Errorf("after recover the services run %v, want release A's %v", got, before)
	}
	if index, spa := r.served(t); string(index) != string(aIndex) || spa.Digest != aSPA.Digest {
		t.Errorf("after recover the SPA serves %s, want release A's %s", spa.Digest, aSPA.Digest)
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("the deploy lock is still held by %+v", h)
	}
	if r.exists(t, stateB, ours) {
		t.Error("the killed run's OpenTofu lock is still there")
	}
	if !r.exists(t, stateB, theirs) {
		t.Error("an older OpenTofu lock, not the run's, was removed")
	}
	rec := lastRecord(t, r)
	if rec.RunURL != run || rec.Recovered == nil || rec.Recovered.GitSHA != nextCommit || !strings.Contains(rec.Recovered.Reason, "cancelled") ||
		rec.RollbackTo == nil || rec.RollbackTo.GitSHA != commit || !rec.Succeeded() {
		t.Errorf("the record of the recovery: run %q recovered %+v rollbackTo %+v outcome %s", rec.RunURL, rec.Recovered, rec.RollbackTo, rec.ReleaseOutcome())
	}
	if md := rec.Markdown(); !strings.Contains(md, "Recovery (rollback) "+env) || !strings.Contains(md, "the run was deploying commit `"+nextCommit+"`") {
		t.Errorf("the recovery's summary:\n%s", md)
	}
	if said, err := deploy.Recover(ctx, r.ports(t), r.site(), run, rollbackOptions(), false); err != nil || !strings.HasPrefix(said, "nothing to recover") {
		t.Errorf("a second recover: %q %v", said, err)
	}
}

func (r *rig) exists(t *testing.T, bucket, key string) bool {
	t.Helper()
	_, err := r.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return err == nil
}
