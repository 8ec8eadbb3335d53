//go:build integration

package deploy_test

// A release is one unit: the SPA is cut over only after the services rolled, and a failure after
// the cut-over returns the SPA and the services to the previous release. Assertions read the
// emulated account (S3 objects, the release manifest, ECS services, CloudFront invalidations).

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/record"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/smoke"
	"bookme-deploy/internal/testenv"
)

const nextCommit = "feedface0123456789abcdef0123456789abcdef"

// served is what the client bucket serves: index.html's bytes and the manifest's newest release.
func (r *rig) served(t *testing.T) ([]byte, release.ReleaseRef) {
	t.Helper()
	index, err := deploy.ReadObject(context.Background(), r.s3, clientB, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	h, err := release.History(context.Background(), r.s3, clientB, "")
	if err != nil || len(h) == 0 {
		t.Fatalf("release history: %v %v", h, err)
	}
	return index, h[len(h)-1]
}

// everyRefExists fails when index.html references an object the bucket does not hold.
func (r *rig) everyRefExists(t *testing.T, index []byte) {
	t.Helper()
	objs := r.objects(t, clientB)
	for _, ref := range testenv.IndexRefs(index) {
		if _, ok := objs[ref]; !ok {
			t.Errorf("index.html references %s, which is not in the bucket", ref)
		}
	}
}

func lastRecord(t *testing.T, r *rig) *record.Record {
	t.Helper()
	recs := r.records(t, configB)
	if len(recs) == 0 {
		t.Fatal("no deploy record")
	}
	return recs[len(recs)-1]
}

// The next commit with another bundle, after a first deploy.
func (r *rig) nextRelease(t *testing.T) *deploy.Deployment {
	t.Helper()
	r.client.seed = 7
	return r.deployment(t, func(c *deploy.Config) { c.GitSHA = nextCommit })
}

// (a) migrate-and-roll fails (the migration's task definition is gone: every revision of the
// migrate family was deregistered, as when someone removed it by hand): the new bundle's hashed
// assets may be staged, but the bucket still serves the old release — same index.html bytes, the
// manifest names the old release, and the served page references only objects that exist.
func TestFailedRolloutServesTheOldRelease(t *testing.T) {
	r := newRig(t)
	mustDeploy(t, r.deployment(t, nil))
	oldIndex, oldRelease := r.served(t)
	oldServices := r.serviceTDs(t)
	oldObjects := r.objects(t, clientB)
	invalidations := r.invalidations(t)

	c := ecs.NewFromConfig(r.cfg)
	revs, err := c.ListTaskDefinitions(context.Background(), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(families["migrate"])})
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range revs.TaskDefinitionArns {
		if _, err := c.DeregisterTaskDefinition(context.Background(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeleteTaskDefinitions(context.Background(), &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{arn}}); err != nil {
			t.Logf("delete %s: %v (deregistered)", arn, err)
		}
	}

	d := r.nextRelease(t)
	nextSecond()
	if _, err := d.Deploy(context.Background()); err == nil {
		t.Fatal("the deploy succeeded without the migration's task definition")
	}
	st := stepStatus(lastRecord(t, r))
	if st["migrate-and-roll"] != record.Failed || st["stage-spa"] != record.Succeeded || st["cutover-spa"] != record.Skipped ||
		st["roll-back"] != record.Skipped {
		t.Fatalf("record steps %v", st)
	}
	index, newest := r.served(t)
	if string(index) != string(oldIndex) {
		t.Error("index.html changed although the backend never rolled")
	}
	if newest.ID != oldRelease.ID || newest.Seq != oldRelease.Seq {
		t.Errorf("the manifest names %+v, want the old release %+v", newest, oldRelease)
	}
	r.everyRefExists(t, index)
	staged := 0
	for k, o := range r.objects(t, clientB) {
		before, existed := oldObjects[k]
		switch {
		case !existed && (release.IsHTML(k) || !release.IsHashed(k)) && !strings.HasPrefix(k, release.KeptPrefix):
			t.Errorf("a served non-hashed object %s appeared before the cut-over", k)
		case !existed:
			staged++
		case before != o:
			t.Errorf("%s was rewritten before the cut-over", k)
		}
	}
	for k := range oldObjects {
		if _, ok := r.objects(t, clientB)[k]; !ok {
			t.Errorf("%s was deleted before the cut-over", k)
		}
	}
	if staged == 0 {
		t.Error("no new hashed asset was staged beside the backend")
	}
	if got := r.serviceTDs(t); got[apiSvc] != oldServices[apiSvc] || got[workerSvc] != oldServices[workerSvc] {
		t.Errorf("services %v, want still %v", got, oldServices)
	}
	if n := r.invalidations(t); n != invalidations {
		t.Errorf("%d invalidations after a failed rollout, want %d", n, invalidations)
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("the lock is still held by %+v", h)
	}
}

// (b) smoke fails after the cut-over: the deploy returns the SPA (index.html's bytes from the
// previous release's kept copy, the manifest names it again) and the services (their previous task
// definitions), invalidates the restored paths, and the record lists the roll-back.
func TestSmokeFailureAfterCutoverRollsTheReleaseBack(t *testing.T) {
	r := newRig(t)
	mustDeploy(t, r.deployment(t, nil))
	oldIndex, oldRelease := r.served(t)
	oldServices := r.serviceTDs(t)
	invalidations := r.invalidations(t)

	var sawNew bool
	r.smoke = func(ctx context.Context, tg smoke.Target) (string, error) {
		index, err := deploy.ReadObject(ctx, r.s3, tg.ClientBucket, "index.html")
		sawNew = err == nil && string(index) != string(oldIndex)
		return "", errors.New("smoke: GET https://" + apiDomain + "/api/health: 502 Bad Gateway")
	}
	d := r.nextRelease(t)
	nextSecond()
	if _, err := d.Deploy(context.Background()); err == nil || !strings.Contains(err.Error(), "smoke") {
		t.Fatalf("deploy error %v, want the smoke failure", err)
	}
	if !sawNew {
		t.Fatal("smoke did not run against the new, cut-over release")
	}

	index, newest := r.served(t)
	if string(index) != string(oldIndex) {
		t.Error("index.html is not the previous release's bytes after the roll-back")
	}
	if newest.ID != oldRelease.ID || newest.RestoredFrom != oldRelease.Seq {
		t.Errorf("the manifest's newest release %+v, want %s restored from #%d", newest, oldRelease.ID, oldRelease.Seq)
	}
	r.everyRefExists(t, index)
	head, err := r.head(clientB, "index.html")
	if err != nil || aws.ToString(head.CacheControl) != "no-cache" {
		t.Errorf("restored index.html: Cache-Control %q, %v", aws.ToString(head.CacheControl), err)
	}
	got := r.serviceTDs(t)
	for _, svc := range []string{apiSvc, workerSvc} {
		if got[svc] != oldServices[svc] {
			t.Errorf("service %s runs %s, want its previous %s", svc, got[svc], oldServices[svc])
		}
	}
	if n := r.invalidations(t); n != invalidations+2 {
		t.Errorf("%d invalidations, want %d (the cut-over's and the roll-back's)", n, invalidations+2)
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("the lock is still held by %+v", h)
	}

	rec := lastRecord(t, r)
	st := stepStatus(rec)
	if st["cutover-spa"] != record.Succeeded || st["smoke"] != record.Failed || st["roll-back"] != record.Succeeded {
		t.Errorf("record steps %v", st)
	}
	rb := rec.Rollback
	if rb == nil {
		t.Fatal("the record has no roll-back")
	}
	if !strings.HasPrefix(rb.Reason, "smoke:") || !rb.Complete() {
		t.Errorf("roll-back %+v", rb)
	}
	if rb.SPA == nil || !rb.SPA.RolledBack || rb.SPA.To != oldRelease.ID || !strings.HasPrefix(rb.SPA.From, nextCommit) ||
		!strings.Contains(","+strings.Join(rb.SPA.Restored, ",")+",", ",index.html,") {
		t.Errorf("SPA roll-back %+v", rb.SPA)
	}
	services := map[string]record.ServiceRollback{}
	for _, s := range rb.Services {
		services[s.Service] = s
	}
	for _, svc := range []string{apiSvc, workerSvc} {
		if s := services[svc]; !s.RolledBack || s.To != oldServices[svc] {
			t.Errorf("service roll-back %s: %+v", svc, s)
		}
	}
	if rb.Invalidation == "" {
		t.Error("the record names no invalidation of the restored paths")
	}
	migrations := false
	for _, n := range rb.NotRolledBack {
		migrations = migrations || strings.Contains(n, "migrations: never reversed")
	}
	if !migrations {
		t.Errorf("the record does not say migrations are not reversed: %v", rb.NotRolledBack)
	}
}

// (c) the first release fails after the cut-over: before it the services ran OpenTofu's templates
// (tagged bookme:template=true, placeholder image, as infra/modules/ecs-task registers them) and the
// bucket served no managed release. There is nothing to return to: the services stay on the release
// (a template cannot run), the SPA stays, and the record says so instead of claiming a roll-back.
func TestFirstReleaseFailingAfterCutoverStaysAndSaysSo(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	c := ecs.NewFromConfig(r.cfg)
	before := r.serviceTDs(t)
	for _, arn := range before {
		if _, err := c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn),
			Tags: []ecstypes.Tag{{Key: aws.String(rollout.TemplateTag), Value: aws.String("true")}}}); err != nil {
			t.Fatalf("tag %s as a template: %v", arn, err)
		}
	}
	r.smoke = func(context.Context, smoke.Target) (string, error) {
		return "", errors.New("smoke: GET https://" + apiDomain + "/auth/ping/: 502 Bad Gateway")
	}
	if _, err := r.deployment(t, nil).Deploy(ctx); err == nil || !strings.Contains(err.Error(), "smoke") {
		t.Fatalf("deploy error %v, want the smoke failure", err)
	}
	after := r.serviceTDs(t)
	for _, svc := range []string{apiSvc, workerSvc} {
		if after[svc] == before[svc] {
			t.Errorf("service %s is back on the template %s, whose placeholder image cannot run", svc, before[svc])
		}
		td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(after[svc])})
		if err != nil || aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image) == oldImage {
			t.Errorf("service %s runs %s, want the release's image (%v)", svc, after[svc], err)
		}
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("the lock is still held by %+v", h)
	}
	rb := lastRecord(t, r).Rollback
	if rb == nil {
		t.Fatal("the record has no roll-back section")
	}
	said := strings.Join(rb.NotRolledBack, "\n")
	for _, want := range []string{"service " + apiSvc + ": stays on this release", "service " + workerSvc + ": stays", "OpenTofu's template", "SPA: stays on this release"} {
		if !strings.Contains(said, want) {
			t.Errorf("the record's not-rolled-back list lacks %q:\n%s", want, said)
		}
	}
	if len(rb.Services) != 0 {
		t.Errorf("the record claims service roll-backs: %+v", rb.Services)
	}
}
