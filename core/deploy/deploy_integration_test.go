//go:build integration

package deploy_test

// The rehearsal scenarios, as tests: a deployment with fake ports (OpenTofu, image build, client
// build) against moto on loopback. Every assertion reads the emulated account — S3 objects, ECS
// services' task definitions, ECR tags, the lock object, the deploy records — never report text.

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator/rehearsal"
	"bookme-deploy/core/envfile"
	"bookme-deploy/core/lock"
	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/planfile"
	"bookme-deploy/core/record"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/stack"
)

// ---- reading the account ----

type objState struct {
	ETag         string
	LastModified time.Time
}

// objects lists a bucket's objects (key → ETag and LastModified), skipping the deploy records.
func (a *account) objects(t *testing.T, bucket string) map[string]objState {
	t.Helper()
	out := map[string]objState{}
	p := s3.NewListObjectsV2Paginator(a.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			if strings.HasPrefix(aws.ToString(o.Key), "deploy/records/") {
				continue
			}
			out[aws.ToString(o.Key)] = objState{ETag: aws.ToString(o.ETag), LastModified: aws.ToTime(o.LastModified)}
		}
	}
	return out
}

// snapshot is what the pipeline owns in the account: every object of the config and client buckets
// (records aside), the services' task definitions, the families' revisions and ECR's images.
type snapshot struct {
	config, client map[string]objState
	services       map[string]string
	revisions      []string
	images         []string
	invalidations  int
}

func (a *account) snapshot(t *testing.T) snapshot {
	t.Helper()
	return snapshot{config: a.objects(t, configB), client: a.objects(t, clientB), services: a.serviceTDs(t),
		revisions: a.revisions(t), images: a.ecrImages(t), invalidations: a.invalidations(t)}
}

func (s snapshot) diff(t *testing.T, after snapshot) {
	t.Helper()
	sameObjects := func(bucket string, before, now map[string]objState) {
		for k, b := range before {
			n, ok := now[k]
			switch {
			case !ok:
				t.Errorf("s3://%s/%s was deleted", bucket, k)
			case n != b:
				t.Errorf("s3://%s/%s was written again (ETag %s → %s, modified %s → %s)", bucket, k, b.ETag, n.ETag, b.LastModified, n.LastModified)
			}
		}
		for k := range now {
			if _, ok := before[k]; !ok {
				t.Errorf("s3://%s/%s was uploaded", bucket, k)
			}
		}
	}
	sameObjects(configB, s.config, after.config)
	sameObjects(clientB, s.client, after.client)
	for svc, td := range s.services {
		if after.services[svc] != td {
			t.Errorf("service %s moved from %s to %s", svc, td, after.services[svc])
		}
	}
	if strings.Join(s.revisions, " ") != strings.Join(after.revisions, " ") {
		t.Errorf("task definitions registered: %v → %v", s.revisions, after.revisions)
	}
	if strings.Join(s.images, " ") != strings.Join(after.images, " ") {
		t.Errorf("ECR images changed: %v → %v", s.images, after.images)
	}
	if s.invalidations != after.invalidations {
		t.Errorf("invalidations: %d → %d", s.invalidations, after.invalidations)
	}
}

func (a *account) serviceTDs(t *testing.T) map[string]string {
	t.Helper()
	out, err := ecs.NewFromConfig(a.cfg).DescribeServices(context.Background(), &ecs.DescribeServicesInput{
		Cluster: aws.String(cluster), Services: []string{apiSvc, workerSvc}})
	if err != nil {
		t.Fatalf("describe services: %v", err)
	}
	m := map[string]string{}
	for _, s := range out.Services {
		m[aws.ToString(s.ServiceName)] = aws.ToString(s.TaskDefinition)
	}
	return m
}

// revisions are every registered task-definition revision ARN, sorted.
func (a *account) revisions(t *testing.T) []string {
	t.Helper()
	var arns []string
	p := ecs.NewListTaskDefinitionsPaginator(ecs.NewFromConfig(a.cfg), &ecs.ListTaskDefinitionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list task definitions: %v", err)
		}
		arns = append(arns, page.TaskDefinitionArns...)
	}
	sort.Strings(arns)
	return arns
}

// ecrImages are the repository's images as "tag@digest", sorted.
func (a *account) ecrImages(t *testing.T) []string {
	t.Helper()
	out, err := ecr.NewFromConfig(a.cfg).DescribeImages(context.Background(), &ecr.DescribeImagesInput{RepositoryName: aws.String(repoName)})
	if err != nil {
		t.Fatalf("describe images: %v", err)
	}
	var imgs []string
	for _, d := range out.ImageDetails {
		imgs = append(imgs, strings.Join(d.ImageTags, ",")+"@"+aws.ToString(d.ImageDigest))
	}
	sort.Strings(imgs)
	return imgs
}

func (a *account) invalidations(t *testing.T) int {
	t.Helper()
	out, err := cloudfront.NewFromConfig(a.cfg).ListInvalidations(context.Background(), &cloudfront.ListInvalidationsInput{DistributionId: aws.String(a.distID)})
	if err != nil {
		t.Fatalf("list invalidations: %v", err)
	}
	if out.InvalidationList == nil {
		return 0
	}
	return len(out.InvalidationList.Items)
}

func (a *account) head(bucket, key string) (*s3.HeadObjectOutput, error) {
	return a.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
}

// lockHolder is the lock object's content, nil when no lock is held.
func (a *account) lockHolder(t *testing.T) *lock.Info {
	t.Helper()
	st, err := lock.Inspect(context.Background(), a.s3, deploy.LockOptions(env, stateB, deploy.Timeouts{}))
	if err != nil {
		t.Fatalf("inspect the lock: %v", err)
	}
	return st.Holder
}

// records are the deploy records in a bucket, oldest first.
func (a *account) records(t *testing.T, bucket string) []*record.Record {
	t.Helper()
	out, err := a.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("deploy/records/")})
	if err != nil {
		t.Fatalf("list records: %v", err)
	}
	var recs []*record.Record
	for _, o := range out.Contents {
		b, err := deploy.ReadObject(context.Background(), a.s3, bucket, aws.ToString(o.Key))
		if err != nil {
			t.Fatal(err)
		}
		r, err := record.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", aws.ToString(o.Key), err)
		}
		recs = append(recs, r)
	}
	return recs
}

func stepStatus(r *record.Record) map[string]record.Status {
	m := map[string]record.Status{}
	for _, s := range r.Steps {
		m[s.Name] = s.Status
	}
	return m
}

// nextSecond waits for the next wall-clock second: a deploy record's key has the start second and
// the commit, and a second record of the same commit in the same second is refused (not
// overwritten).
func nextSecond() {
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(time.Second).Sub(now) + 10*time.Millisecond)
}

func mustDeploy(t *testing.T, d *deploy.Deployment) *pipeline.Report {
	t.Helper()
	nextSecond()
	rep, err := d.Deploy(context.Background())
	if err != nil {
		t.Fatalf("deploy: %v\n%s", err, rep.Text())
	}
	return rep
}

// ---- the scenarios ----

// (a) A first deploy: the services run the pushed image by digest, ECR has the commit's tag, the env
// file and the client's index.html (no-cache) are in their buckets, the lock is gone and a record
// sits under deploy/records/ in the config bucket.
func TestFirstDeploy(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	before := r.snapshot(t)
	d := r.deployment(t, nil)
	mustDeploy(t, d)

	if r.images.count() != 1 {
		t.Fatalf("pushed %d images, want 1", r.images.count())
	}
	digest := r.images.digests[0]
	tag, _ := registry.Tag(commit, false)
	if got := r.ecrImages(t); len(got) != 1 || got[0] != tag+"@"+digest {
		t.Errorf("ECR holds %v, want the commit's tag %s on %s", got, tag, digest)
	}
	image := d.Image()
	if !strings.HasSuffix(image, "@"+digest) || !strings.Contains(image, "/"+repoName+"@") {
		t.Fatalf("deployed image %q is not the pushed digest %s", image, digest)
	}
	if _, err := rehearsal.ServicesRun(ctx, r.cfg, cluster, []string{apiSvc, workerSvc}, image); err != nil {
		t.Errorf("services: %v", err)
	}
	for svc, td := range r.serviceTDs(t) {
		if td == before.services[svc] {
			t.Errorf("service %s still runs %s", svc, td)
		}
	}
	// The backend stack was planned with the env file's key and nothing of the commit (its task
	// definitions are templates; the release's revisions are rendered from them).
	if v := r.tofu.vars[stack.StackBackend]; v["image_tag"] != nil || v["env_file_key"] != envfile.ObjectKey(env) ||
		v["release_env_prefix"] != envfile.ReleasePrefix(env) {
		t.Errorf("backend variables %v", v)
	}
	envKey := d.EnvFileKey()
	if !envfile.IsReleaseKey(env, envKey) {
		t.Errorf("the release's env file %q is not content-addressed", envKey)
	}
	if _, err := r.head(configB, envKey); err != nil {
		t.Errorf("env file s3://%s/%s: %v", configB, envKey, err)
	}
	if _, err := r.head(configB, envfile.ObjectKey(env)); err == nil {
		t.Errorf("the fixed key s3://%s/%s was written", configB, envfile.ObjectKey(env))
	}
	envBody, err := deploy.ReadObject(ctx, r.s3, configB, envKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"POSTGRES_USER=bookme_app", "DJANGO_ALLOWED_HOSTS=" + apiDomain, "AWS_S3_STORAGE_BUCKET_NAME=" + staticB} {
		if !strings.Contains(string(envBody), want+"\n") {
			t.Errorf("env file lacks %s", want)
		}
	}
	if strings.Contains(string(envBody), appSecret) {
		t.Error("the env file holds a secret reference (they belong in the task definition)")
	}
	head, err := r.head(clientB, "index.html")
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	if cc := aws.ToString(head.CacheControl); cc != "no-cache" {
		t.Errorf("index.html Cache-Control %q, want no-cache", cc)
	}
	if r.client.apiURL != "https://"+apiDomain {
		t.Errorf("the client was built for %q", r.client.apiURL)
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("the lock is still held by %+v", h)
	}
	recs := r.records(t, configB)
	if len(recs) != 1 {
		t.Fatalf("%d records in the config bucket, want 1", len(recs))
	}
	rec := recs[0]
	if rec.GitSHA != commit || rec.ImageRef != image || !rec.DryRun || rec.Bundle == nil || rec.Bundle.Entry == "" {
		t.Errorf("record %+v", rec)
	}
	for name, st := range stepStatus(rec) {
		if want := map[bool]record.Status{true: record.Skipped, false: record.Succeeded}[name == "roll-back"]; st != want {
			t.Errorf("record: step %s %s, want %s", name, st, want)
		}
	}
	if rec.Rollback != nil {
		t.Errorf("record of a successful deploy has a roll-back: %+v", rec.Rollback)
	}
	if len(rec.TaskDefinitions) == 0 {
		t.Error("record names no task-definition revision")
	}
	if rec.EnvFileKey != envKey {
		t.Errorf("record names env file %q, want %q", rec.EnvFileKey, envKey)
	}
	if n := r.invalidations(t); n != 1 {
		t.Errorf("%d invalidations, want 1", n)
	}
	// The dry-run's account check agrees.
	if _, err := rehearsal.Verify(ctx, r.cfg, r.s3, d); err != nil {
		t.Error(err)
	}
}

// (b) A second deploy of the same commit changes nothing: no push, no upload (objects' ETags and
// LastModified unchanged), no new revision, no invalidation; only a new record.
func TestSecondDeployIsNoOp(t *testing.T) {
	r := newRig(t)
	mustDeploy(t, r.deployment(t, nil))
	before := r.snapshot(t)
	builds := r.client.count()

	second := r.deployment(t, nil)
	mustDeploy(t, second)
	if s := second.Stats(); !s.NoOp() {
		t.Errorf("the second deploy changed something: %+v", s)
	}
	if r.images.count() != 1 {
		t.Errorf("the image was pushed again (%d pushes)", r.images.count())
	}
	before.diff(t, r.snapshot(t))
	if r.client.count() != builds+1 {
		t.Errorf("client built %d times by the second deploy", r.client.count()-builds)
	}
	if recs := r.records(t, configB); len(recs) != 2 {
		t.Errorf("%d records, want 2", len(recs))
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("the lock is still held by %+v", h)
	}
}

// (c) A rival deploy while another holds the lock is refused once its (short) wait is over: no
// other stage ran, the holder's lock object is untouched, and the refusal is recorded.
func TestRivalDeployRefusedByLock(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	held, err := lock.Acquire(ctx, r.s3, deploy.LockOptions(env, stateB, deploy.Timeouts{}), lock.Info{Holder: "alice", GitSHA: commit})
	if err != nil {
		t.Fatal(err)
	}
	lockBefore, err := r.head(stateB, deploy.LockKey(env))
	if err != nil {
		t.Fatal(err)
	}
	before := r.snapshot(t)

	d := r.deployment(t, func(c *deploy.Config) {
		c.Timeouts.Lock, c.Timeouts.LockPoll = 400*time.Millisecond, 50*time.Millisecond
	})
	nextSecond()
	start := time.Now()
	if _, err := d.Deploy(ctx); err == nil {
		t.Fatal("a deploy ran while another held the lock")
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the refusal took %s", took)
	}
	if d.HoldsLock() {
		t.Error("the rival holds the lock")
	}
	if n := r.tofu.count("plan", "") + r.tofu.count("apply", "") + r.tofu.count("outputs", ""); n != 0 {
		t.Errorf("OpenTofu was called %d times", n)
	}
	if r.images.count() != 0 || r.client.count() != 0 {
		t.Errorf("image pushes %d, client builds %d", r.images.count(), r.client.count())
	}
	before.diff(t, r.snapshot(t))
	h := r.lockHolder(t)
	if h == nil || h.Holder != "alice" || h.ID != held.Info.ID {
		t.Fatalf("the holder's lock is gone or replaced: %+v", h)
	}
	lockAfter, err := r.head(stateB, deploy.LockKey(env))
	if err != nil || aws.ToString(lockAfter.ETag) != aws.ToString(lockBefore.ETag) {
		t.Errorf("the lock object changed: %v", err)
	}
	// The stacks were never read: the record lands in the state bucket.
	recs := r.records(t, stateB)
	if len(recs) != 1 {
		t.Fatalf("%d records in the state bucket, want 1", len(recs))
	}
	st := stepStatus(recs[0])
	if st["lock"] != record.Failed {
		t.Errorf("record: lock %s", st["lock"])
	}
	for name, s := range st {
		if name != "lock" && name != "unlock" && name != "record" && s != record.Skipped {
			t.Errorf("record: step %s %s after the lock was refused", name, s)
		}
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// (d) plan → plan file → Parse → Preflight passes, and a deploy held to it changes nothing. When the
// frontend stack's plan then differs (drift), Preflight refuses naming tofu-frontend and nothing is
// taken or written; a deploy held to the stale plan refuses the frontend before applying it.
func TestPlanFile(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	mustDeploy(t, r.deployment(t, nil))
	before := r.snapshot(t)

	planner := r.deployment(t, nil)
	if err := planner.Plan(ctx).Err(); err != nil {
		t.Fatalf("plan: %v", err)
	}
	file := planner.Fingerprints()
	file.Text = planner.PlanText()
	data, err := file.JSON()
	if err != nil {
		t.Fatal(err)
	}
	planned, err := planfile.Parse(data)
	if err != nil {
		t.Fatalf("the plan file does not parse: %v\n%s", err, data)
	}
	before.diff(t, r.snapshot(t)) // planning changed nothing
	if err := deploy.Preflight(ctx, r.deployment(t, nil), planned); err != nil {
		t.Fatalf("preflight: %v", err)
	}
	applies := r.tofu.count("apply", "")
	held := r.deployment(t, func(c *deploy.Config) { c.Planned = planned })
	mustDeploy(t, held)
	if s := held.Stats(); !s.NoOp() {
		t.Errorf("the deploy held to the plan changed something: %+v", s)
	}
	before.diff(t, r.snapshot(t))
	if got := r.tofu.count("apply", "") - applies; got != 3 {
		t.Errorf("%d stacks applied, want 3 (each with its reviewed, unchanged plan)", got)
	}
	recs := len(r.records(t, configB))

	// The frontend stack's state changed since the review.
	r.tofu.drift(stack.StackFrontend, "aws_cloudfront_distribution.client")
	applies = r.tofu.count("apply", "")
	err = deploy.Preflight(ctx, r.deployment(t, nil), planned)
	var drift planfile.DriftError
	if !errors.As(err, &drift) {
		t.Fatalf("preflight after drift: got %v, want a planfile.DriftError", err)
	}
	if len(drift) != 1 || drift[0].Part != planfile.PartTofuFrontend {
		t.Errorf("drifted parts %+v, want tofu-frontend only", drift)
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("preflight took the lock: %+v", h)
	}
	if n := len(r.records(t, configB)); n != recs {
		t.Errorf("preflight wrote a record (%d → %d)", recs, n)
	}
	if got := r.tofu.count("apply", "") - applies; got != 0 {
		t.Errorf("preflight applied %d stacks", got)
	}
	before.diff(t, r.snapshot(t))

	// Without the preflight, the deploy itself refuses the drifted part before applying it.
	stale := r.deployment(t, func(c *deploy.Config) { c.Planned = planned })
	nextSecond()
	if _, err := stale.Deploy(ctx); err == nil {
		t.Fatal("a deploy held to a drifted plan succeeded")
	}
	if n := r.tofu.count("apply", stack.StackFrontend); n != 2 {
		t.Errorf("the frontend stack was applied %d times, want 2 (not after the drift)", n)
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("the lock is still held by %+v", h)
	}
	recsNow := r.records(t, configB)
	if st := stepStatus(recsNow[len(recsNow)-1]); st["tofu-frontend"] != record.Failed || st["stage-spa"] != record.Skipped || st["cutover-spa"] != record.Skipped {
		t.Errorf("record of the refused deploy: %v", st)
	}
}

// (e) Selected stages after a deploy: the stacks are read (outputs), never planned or applied; the
// image in ECR is reused; nothing changes.
func TestSelectedStagesAfterDeploy(t *testing.T) {
	r := newRig(t)
	mustDeploy(t, r.deployment(t, nil))
	before := r.snapshot(t)
	plans, applies, pushes := r.tofu.count("plan", ""), r.tofu.count("apply", ""), r.images.count()

	d := r.deployment(t, func(c *deploy.Config) { c.Stages = []string{"migrate-and-roll", "release"} })
	mustDeploy(t, d)
	if got := r.tofu.count("plan", "") - plans; got != 0 {
		t.Errorf("%d stacks planned", got)
	}
	if got := r.tofu.count("apply", "") - applies; got != 0 {
		t.Errorf("%d stacks applied", got)
	}
	for _, s := range []string{stack.StackBase, stack.StackFrontend, stack.StackBackend} {
		if r.tofu.count("outputs", s) == 0 {
			t.Errorf("the %s stack's outputs were not read", s)
		}
	}
	if r.images.count() != pushes {
		t.Error("the image was pushed again")
	}
	if _, err := rehearsal.ServicesRun(context.Background(), r.cfg, cluster, []string{apiSvc, workerSvc}, d.Image()); err != nil {
		t.Errorf("services: %v", err)
	}
	if s := d.Stats(); !s.NoOp() {
		t.Errorf("changed something: %+v", s)
	}
	before.diff(t, r.snapshot(t))
	recs := r.records(t, configB)
	st := stepStatus(recs[len(recs)-1])
	for _, name := range []string{"migrate-and-roll", "build-client", "stage-spa", "cutover-spa", "invalidate"} {
		if st[name] != record.Succeeded {
			t.Errorf("record: selected step %s %s", name, st[name])
		}
	}
}

// (f) A failing stage (the client build): the deploy fails, the stages after it never run (nothing
// in the client bucket, no invalidation), the lock is released and the record names the failure.
func TestFailingStage(t *testing.T) {
	r := newRig(t)
	r.client.err = errors.New("vite: build failed")
	nextSecond()
	if _, err := r.deployment(t, nil).Deploy(context.Background()); err == nil {
		t.Fatal("the deploy succeeded with a failing client build")
	}
	if objs := r.objects(t, clientB); len(objs) != 0 {
		t.Errorf("the client bucket holds %d objects after a failed build", len(objs))
	}
	if n := r.invalidations(t); n != 0 {
		t.Errorf("%d invalidations after a failed build", n)
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("the lock is still held by %+v", h)
	}
	recs := r.records(t, configB)
	if len(recs) != 1 {
		t.Fatalf("%d records in the config bucket, want 1", len(recs))
	}
	st := stepStatus(recs[0])
	want := map[string]record.Status{"lock": record.Succeeded, "build-client": record.Failed,
		"stage-spa": record.Skipped, "cutover-spa": record.Skipped, "invalidate": record.Skipped, "smoke": record.Skipped, "unlock": record.Succeeded}
	for name, s := range want {
		if st[name] != s {
			t.Errorf("record: step %s %s, want %s", name, st[name], s)
		}
	}
	for _, s := range recs[0].Steps {
		if s.Name == "build-client" && !strings.Contains(s.Detail, "vite: build failed") {
			t.Errorf("record: build-client's detail %q lacks the failure", s.Detail)
		}
	}
}

// (d') `plan` as the drift workflow runs it: after a deploy the Markdown plan ends with the
// no-changes marker; once the state drifted it names the changes in the marker (the workflow exits 2
// on it, with the plan in the job summary), and --detailed-exitcode turns drift into an error.
func TestPlanMarkerTellsDriftFromNoChanges(t *testing.T) {
	r := newRig(t)
	mustDeploy(t, r.deployment(t, nil))
	mk := func() (*deploy.Deployment, error) { return r.deployment(t, nil), nil }
	ctx := context.Background()
	text, err := deploy.Review(ctx, mk, false, deploy.FormatMarkdown)
	if err != nil || !strings.HasSuffix(text, deploy.PlanMarker(0)) {
		t.Fatalf("plan after a deploy: %v\n%s", err, text)
	}
	r.tofu.drift(stack.StackFrontend, "aws_cloudfront_distribution.client")
	text, err = deploy.Review(ctx, mk, false, deploy.FormatMarkdown)
	if err != nil || strings.Contains(text, deploy.PlanMarker(0)) || !strings.HasSuffix(text, deploy.PlanMarker(1)) {
		t.Fatalf("plan after drift: %v\n%s", err, text)
	}
	r.tofu.drift(stack.StackFrontend, "aws_cloudfront_distribution.client")
	if _, err := deploy.Review(ctx, mk, true, deploy.FormatMarkdown); err == nil || !strings.Contains(err.Error(), "drift: OpenTofu would change") {
		t.Fatalf("--detailed-exitcode after drift: %v", err)
	}
}
