//go:build integration

package deploy_test

// A release is one unit, seen from the records: history lists the releases, status says which one
// runs, and a release-level roll-back serves a recorded release again (services on its revisions,
// the SPA's entry points from its kept copies). Assertions read the emulated account.

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator"
	"bookme-deploy/core/envfile"
	"bookme-deploy/core/lock"
	"bookme-deploy/core/record"
	"bookme-deploy/core/release"
	"bookme-deploy/core/smoke"
)

const thirdCommit = "beefcafe0123456789abcdef0123456789abcdef"

func (r *rig) site() deploy.Site {
	return deploy.Site{Env: env, StateBucket: stateB, ConfigBucket: configB, Cluster: cluster, APIService: apiSvc,
		WorkerService: workerSvc, APIContainer: container, ClientBucket: clientB, DistributionID: r.distID}
}

func (r *rig) ports(t *testing.T) deploy.Ports {
	return deploy.Ports{AWS: r.cfg, S3: r.s3, RolloutOptions: emulator.RolloutOptions(), Out: testWriter{t}}
}

func rollbackOptions() deploy.RollbackOptions {
	o := deploy.RollbackOptions{Who: "it-operator"}
	o.Timeouts.Rollout.PollInterval = 100 * time.Millisecond
	o.Timeouts.InvalidationPoll = 100 * time.Millisecond
	o.Timeouts.Lock, o.Timeouts.LockPoll = 300*time.Millisecond, 50*time.Millisecond
	return o
}

// releaseState is what one release left in the account.
type releaseState struct {
	index    []byte
	spa      release.ReleaseRef
	services map[string]string
	image    string
}

func (r *rig) releaseState(t *testing.T) releaseState {
	t.Helper()
	index, spa := r.served(t)
	return releaseState{index: index, spa: spa, services: r.serviceTDs(t), image: r.images.digests[len(r.images.digests)-1]}
}

// Release A, then B (another commit, another bundle): history lists B then A, status says B runs,
// a dry-run of the roll-back changes nothing, and the roll-back without --to serves A again —
// both services on A's revisions, index.html A's bytes — with a record and the lock released.
func TestHistoryStatusAndRollbackToThePreviousRelease(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	first := r.deployment(t, nil)
	mustDeploy(t, first)
	a := r.releaseState(t)
	mustDeploy(t, r.nextRelease(t))
	b := r.releaseState(t)
	envKey := first.EnvFileKey() // the same inputs: both releases read the same env file
	if !envfile.IsReleaseKey(env, envKey) {
		t.Fatalf("release env file %q is not content-addressed", envKey)
	}
	if string(a.index) == string(b.index) || a.spa.Digest == b.spa.Digest || a.image == b.image {
		t.Fatal("the two releases do not differ")
	}
	for _, svc := range []string{apiSvc, workerSvc} {
		if a.services[svc] == b.services[svc] {
			t.Fatalf("service %s runs the same revision in both releases", svc)
		}
	}

	// history
	h, err := deploy.History(ctx, r.s3, configB, env, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].GitSHA != nextCommit || h[1].GitSHA != commit {
		t.Fatalf("history %+v, want B then A", h)
	}
	for i, want := range []releaseState{b, a} {
		got := h[i]
		if got.Outcome != "succeeded" || got.ImageDigest != want.image || got.SPA == nil || got.SPA.Digest != want.spa.Digest ||
			got.SPA.Entry == "" || got.EnvFileKey != envKey || got.Who != "it-test" {
			t.Errorf("history[%d] = %+v (SPA %+v), want image %s bundle %s", i, got, got.SPA, want.image, want.spa.Digest)
		}
		for _, svc := range []string{apiSvc, workerSvc} {
			if got.TaskDefinitions[svc] != want.services[svc] {
				t.Errorf("history[%d]: %s revision %s, want %s", i, svc, got.TaskDefinitions[svc], want.services[svc])
			}
		}
	}
	if one, err := deploy.History(ctx, r.s3, configB, env, 1); err != nil || len(one) != 1 || one[0].GitSHA != nextCommit {
		t.Errorf("history -n 1: %+v %v", one, err)
	}
	table := deploy.HistoryText(h)
	t.Logf("history:\n%s", table)
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != 3 || !strings.Contains(lines[1], deploy.Short(nextCommit)) ||
		!strings.Contains(lines[2], deploy.Short(commit)) {
		t.Errorf("history table:\n%s", table)
	}
	js, err := deploy.HistoryJSON(h)
	var back []deploy.Release
	if err != nil || json.Unmarshal(js, &back) != nil || len(back) != 2 || back[0].TaskDefinitions[apiSvc] != b.services[apiSvc] {
		t.Errorf("history JSON: %v\n%s", err, js)
	}

	// status
	st, err := deploy.ReleaseStatus(ctx, r.ports(t), r.site())
	if err != nil {
		t.Fatal(err)
	}
	if st.Release == nil || st.Release.GitSHA != nextCommit || !st.Matches || st.SPA == nil || st.SPA.Digest != b.spa.Digest || len(st.Notes) != 0 {
		t.Fatalf("status %+v\n%s", st, st.Text())
	}
	for _, s := range st.Services {
		if s.EnvFile != envKey || s.Record != h[0].Key || s.State != "ACTIVE" {
			t.Errorf("status of %s: %+v", s.Service, s)
		}
	}
	t.Logf("status:\n%s", st.Text())
	if !strings.Contains(st.Text(), "runs release "+h[0].Name()) {
		t.Errorf("status text:\n%s", st.Text())
	}

	// dry-run: the plan, and nothing changed
	before := r.snapshot(t)
	text, err := deploy.RollbackRelease(ctx, r.ports(t), r.site(), "", rollbackOptions(), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rollback --dry-run:\n%s", text)
	for _, want := range []string{"to release " + h[1].Name(), "running now: release " + h[0].Name(), "restore release", "index.html",
		shortRev(a.services[apiSvc]), shortRev(a.services[workerSvc]), "migrations: never reversed"} {
		if !strings.Contains(text, want) {
			t.Errorf("dry-run text lacks %q:\n%s", want, text)
		}
	}
	before.diff(t, r.snapshot(t))
	if n := len(r.records(t, configB)); n != 2 {
		t.Errorf("%d records after the dry-run, want 2", n)
	}
	if hl := r.lockHolder(t); hl != nil {
		t.Errorf("the dry-run left a lock: %+v", hl)
	}

	// the roll-back
	plan, err := deploy.PlanReleaseRollback(ctx, r.ports(t), r.site(), "", rollbackOptions())
	if err != nil {
		t.Fatal(err)
	}
	if plan.Target.Key != h[1].Key || plan.Services == nil || len(plan.Services.Services) != 2 || plan.SPA == nil {
		t.Fatalf("plan %+v", plan)
	}
	invalidations := r.invalidations(t)
	rec, err := deploy.ApplyReleaseRollback(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	for svc, want := range a.services {
		if got := r.serviceTDs(t)[svc]; got != want {
			t.Errorf("service %s runs %s, want A's %s", svc, got, want)
		}
	}
	index, newest := r.served(t)
	if string(index) != string(a.index) {
		t.Error("index.html is not A's bytes after the roll-back")
	}
	if newest.Digest != a.spa.Digest || newest.RestoredFrom != a.spa.Seq {
		t.Errorf("the manifest's newest release %+v, want A's bundle restored from #%d", newest, a.spa.Seq)
	}
	r.everyRefExists(t, index)
	if n := r.invalidations(t); n != invalidations+1 {
		t.Errorf("%d invalidations, want %d", n, invalidations+1)
	}
	if hl := r.lockHolder(t); hl != nil {
		t.Errorf("the lock is still held by %+v", hl)
	}
	recs := r.records(t, configB)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	last := recs[len(recs)-1]
	if last.RollbackTo == nil || last.RollbackTo.GitSHA != commit || last.RollbackTo.Record != h[1].Key || last.RollbackTo.FromGitSHA != nextCommit ||
		last.GitSHA != commit || !last.Succeeded() || last.Who != "it-operator" || last.TaskDefinitions[apiSvc] != a.services[apiSvc] {
		t.Errorf("roll-back record %+v (to %+v)", last, last.RollbackTo)
	}
	if rec == nil || rec.RollbackTo == nil {
		t.Errorf("ApplyReleaseRollback returned record %+v", rec)
	}
	st2 := stepStatus(last)
	for _, s := range []string{"lock", "plan", "restore-spa", "invalidate", "roll-services", "unlock"} {
		if st2[s] != record.Succeeded {
			t.Errorf("roll-back record: step %s %s", s, st2[s])
		}
	}

	// history and status see the roll-back
	h, err = deploy.History(ctx, r.s3, configB, env, 0)
	if err != nil || len(h) != 3 || h[0].Outcome != "rollback to "+deploy.Short(commit) {
		t.Fatalf("history after the roll-back: %+v %v", h, err)
	}
	t.Logf("history after the roll-back:\n%s", deploy.HistoryText(h))
	st, err = deploy.ReleaseStatus(ctx, r.ports(t), r.site())
	if st != nil {
		t.Logf("status after the roll-back:\n%s", st.Text())
	}
	if err != nil || st.Release == nil || st.Release.GitSHA != commit || !st.Matches {
		t.Errorf("status after the roll-back: %+v %v", st, err)
	}
	// A second default roll-back goes further back than A: there is nothing.
	if _, err := deploy.PlanReleaseRollback(ctx, r.ports(t), r.site(), "", rollbackOptions()); err == nil ||
		!strings.Contains(err.Error(), "no successful release older") {
		t.Errorf("a second roll-back: %v", err)
	}
	// --to B serves B again.
	if plan, err := deploy.PlanReleaseRollback(ctx, r.ports(t), r.site(), nextCommit[:8], rollbackOptions()); err != nil ||
		plan.Target.GitSHA != nextCommit {
		t.Errorf("--to %s: %+v %v", nextCommit[:8], plan, err)
	}
}

// A, then B failing after its cut-over (smoke: returned to A), then C: the default roll-back passes
// over B (rolled back) and serves A.
func TestRollbackPassesOverAFailedRelease(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	mustDeploy(t, r.deployment(t, nil))
	a := r.releaseState(t)

	r.smoke = func(ctx context.Context, tg smoke.Target) (string, error) {
		return "", errors.New("smoke: GET https://" + apiDomain + "/api/health: 502 Bad Gateway")
	}
	nextSecond()
	if _, err := r.nextRelease(t).Deploy(ctx); err == nil {
		t.Fatal("release B did not fail")
	}
	r.smoke = nil
	if got := r.serviceTDs(t); got[apiSvc] != a.services[apiSvc] {
		t.Fatalf("B's failure did not return the services to A: %v", got)
	}
	r.client.seed = 9
	mustDeploy(t, r.deployment(t, func(c *deploy.Config) { c.GitSHA = thirdCommit }))

	h, err := deploy.History(ctx, r.s3, configB, env, 0)
	if err != nil || len(h) != 3 {
		t.Fatalf("history %+v %v", h, err)
	}
	if h[0].GitSHA != thirdCommit || h[1].GitSHA != nextCommit || h[1].Outcome != record.OutcomeRolledBack || h[2].GitSHA != commit {
		t.Fatalf("history outcomes: %s", deploy.HistoryText(h))
	}
	plan, err := deploy.PlanReleaseRollback(ctx, r.ports(t), r.site(), "", rollbackOptions())
	if err != nil {
		t.Fatal(err)
	}
	if plan.Target.GitSHA != commit || plan.Current == nil || plan.Current.GitSHA != thirdCommit {
		t.Fatalf("target %s (current %+v), want A", plan.Target.GitSHA, plan.Current)
	}
	if s := strings.Join(plan.Skipped, "\n"); !strings.Contains(s, h[1].Name()) || !strings.Contains(s, "rolled back") {
		t.Errorf("the plan does not say B was passed over: %v", plan.Skipped)
	}
	if _, err := deploy.ApplyReleaseRollback(ctx, plan); err != nil {
		t.Fatal(err)
	}
	got := r.serviceTDs(t)
	index, _ := r.served(t)
	if got[apiSvc] != a.services[apiSvc] || got[workerSvc] != a.services[workerSvc] || string(index) != string(a.index) {
		t.Errorf("after the roll-back: services %v index A's %v", got, string(index) == string(a.index))
	}
}

// A release whose SPA kept copies are gone, or whose revisions were deregistered, is refused before
// anything changes; a roll-back while another holds the lock is refused and recorded.
func TestRollbackRefusals(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	mustDeploy(t, r.deployment(t, nil))
	a := r.releaseState(t)
	mustDeploy(t, r.nextRelease(t))

	// Another deploy holds the lock: refused, recorded, nothing moved.
	held, err := lock.Acquire(ctx, r.s3, deploy.LockOptions(env, stateB, deploy.Timeouts{}), lock.Info{Holder: "alice", GitSHA: nextCommit})
	if err != nil {
		t.Fatal(err)
	}
	before := r.serviceTDs(t)
	nextSecond()
	if _, err := deploy.RollbackRelease(ctx, r.ports(t), r.site(), "", rollbackOptions(), false); err == nil || !strings.Contains(err.Error(), "alice") {
		t.Errorf("a roll-back while alice holds the lock: %v", err)
	}
	if got := r.serviceTDs(t); got[apiSvc] != before[apiSvc] {
		t.Error("the refused roll-back moved a service")
	}
	if hl := r.lockHolder(t); hl == nil || hl.ID != held.Info.ID {
		t.Errorf("alice's lock: %+v", hl)
	}
	h, _ := deploy.History(ctx, r.s3, configB, env, 1)
	if len(h) != 1 || h[0].Outcome != "rollback to "+deploy.Short(commit)+" refused by lock" || h[0].Succeeded() {
		t.Errorf("the refused roll-back's record: %+v", h)
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}

	// A's kept index.html is gone.
	kept := release.KeptKey(a.spa.Digest, "index.html")
	if _, err := r.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(clientB), Key: aws.String(kept)}); err != nil {
		t.Fatal(err)
	}
	snap := r.snapshot(t)
	if _, err := deploy.PlanReleaseRollback(ctx, r.ports(t), r.site(), commit[:10], rollbackOptions()); err == nil ||
		!strings.Contains(err.Error(), "cannot be served again") || !strings.Contains(err.Error(), "gone") {
		t.Errorf("kept copies gone: %v", err)
	}
	snap.diff(t, r.snapshot(t))
	// A's API revision is deregistered.
	if _, err := ecs.NewFromConfig(r.cfg).DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(a.services[apiSvc])}); err != nil {
		t.Fatal(err)
	}
	snap = r.snapshot(t)
	_, err = deploy.PlanReleaseRollback(ctx, r.ports(t), r.site(), "", rollbackOptions())
	if err == nil || !strings.Contains(err.Error(), "INACTIVE") {
		t.Errorf("a deregistered revision: %v", err)
	}
	snap.diff(t, r.snapshot(t))
}

func shortRev(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }
