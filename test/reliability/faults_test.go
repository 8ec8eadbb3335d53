//go:build integration

package reliability

// The fault-injection matrix: every pipeline stage runs through a testenv.FaultProxy in front of
// moto (S3, CloudFront, ECR) or the scripted ECS fake (internal/ecsfake; moto's deployments never
// progress, so a rollout over time needs the fake), with one fault kind injected at 5 %, 20 % and
// 50 % of all requests (a seeded RNG per cell: the fault sequence is reproducible; with parallel
// workers the request order, and so which request gets which fault, can vary).
//
// Each cell must end in one of two states, checked directly against the emulator (not through the
// proxy):
//   - completed: the stage's result is exactly what a fault-free run gives;
//   - failed cleanly: an error, and the previous state still served — the previous SPA release
//     (index.html and everything it references), the services on their previous task-definition
//     revision, the previous env file, no invalidation duplicated, the lock released.
//
// Anything else is a VIOLATION and fails the test. TestFaultMatrix prints the table
// stage × fault × rate → outcome, injected faults, requests, time (and writes it to
// $RELIABILITY_OUT/faults.txt when set).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/cdn"
	"bookme-deploy/core/envfile"
	"bookme-deploy/core/lock"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/ecsfake"
	"bookme-deploy/internal/testenv"
)

// Fault kinds of the matrix. The "-after" kinds hit only mutating requests (S3 PUT/POST/DELETE,
// CloudFront POST, ECS RegisterTaskDefinition/UpdateService/RunTask/StopTask) and let the server
// act before the client loses the answer: reset-after resets the connection, timeout-after keeps it
// silent until the client's HTTP timeout (clientTimeout). The SDK then retries a request that
// already took effect: the verdict checks that nothing that must happen once happened twice.
var faultKinds = []string{"500", "503", "throttle", "reset", "latency", "reset-after", "timeout-after"}

// Fault rates of the matrix.
var faultRates = []float64{0.05, 0.20, 0.50}

// Outcomes of a cell.
const (
	outcomeOK        = "completed"
	outcomeCleanPrev = "failed clean (previous state kept)"
	outcomeCleanNew  = "failed clean (new state complete)"
	outcomeViolation = "VIOLATION"
	outcomeKnown     = "VIOLATION (known issue)"
)

// knownFaultIssues are invariant violations this matrix found and reported to the owning package:
// a violation of the stage whose detail contains the marker is shown as outcomeKnown and does not
// fail the test (any other violation does). Remove an entry once the package is fixed.
var knownFaultIssues = map[string]struct{ marker, issue string }{}

// cell is one stage × fault × rate run.
type cell struct {
	Stage, Fault string
	Rate         float64
	Outcome      string
	Detail       string
	Faults       int
	Requests     int
	Duration     time.Duration
}

type matrix struct {
	mu    sync.Mutex
	cells []cell
}

func (m *matrix) add(c cell) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cells = append(m.cells, c)
}

// seedOf derives a cell's RNG seed from its name: reproducible, different per cell.
func seedOf(parts ...string) int64 {
	h := fnv.New64a()
	h.Write([]byte(strings.Join(parts, "/")))
	return int64(h.Sum64() >> 1)
}

// faultRules injects kind at rate into every request, in each protocol's own error format: S3
// (REST-XML <Error>), CloudFront (REST-XML <ErrorResponse>) and the JSON 1.1 services (ECS, ECR).
func faultRules(kind string, rate float64) []testenv.Rule {
	isJSON := func(r *http.Request) bool { return r.Header.Get("X-Amz-Target") != "" }
	isCF := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/2020-05-31/") }
	jsonErr := func(status int, typ string) testenv.Rule {
		return testenv.Rule{Name: kind + "-json", Match: isJSON, Rate: rate, Fault: testenv.FaultRespond, Status: status,
			Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amzn-Errortype": {typ}},
			Body:   `{"__type":"` + typ + `","message":"injected"}`}
	}
	cfErr := func(status int, code string) testenv.Rule {
		return testenv.Rule{Name: kind + "-cloudfront", Match: isCF, Rate: rate, Fault: testenv.FaultRespond, Status: status,
			Header: http.Header{"Content-Type": {"text/xml"}},
			Body: `<?xml version="1.0"?><ErrorResponse><Error><Type>Receiver</Type><Code>` + code +
				`</Code><Message>injected</Message></Error><RequestId>x</RequestId></ErrorResponse>`}
	}
	isS3 := func(r *http.Request) bool { return !isJSON(r) && !isCF(r) }
	s3 := func(f testenv.FaultKind) testenv.Rule {
		return testenv.Rule{Name: kind + "-s3", Match: isS3, Rate: rate, Fault: f}
	}
	switch kind {
	case "500":
		return []testenv.Rule{jsonErr(500, "InternalFailure"), cfErr(500, "InternalError"), s3(testenv.Fault500)}
	case "503":
		return []testenv.Rule{jsonErr(503, "ServiceUnavailableException"), cfErr(503, "ServiceUnavailable"), s3(testenv.Fault503)}
	case "throttle":
		return []testenv.Rule{jsonErr(400, "ThrottlingException"), cfErr(400, "Throttling"), s3(testenv.FaultSlowDown)}
	case "reset":
		return []testenv.Rule{{Name: "reset", Rate: rate, Fault: testenv.FaultReset}}
	case "latency":
		return []testenv.Rule{{Name: "latency", Rate: rate, Fault: testenv.FaultNone, Latency: 150 * time.Millisecond}}
	case "reset-after":
		return []testenv.Rule{{Name: kind, Match: isMutating, Rate: rate, Fault: testenv.FaultResetAfterForward}}
	case "timeout-after":
		return []testenv.Rule{{Name: kind, Match: isMutating, Rate: rate, Fault: testenv.FaultTimeoutAfterForward}}
	}
	panic("unknown fault kind " + kind)
}

// mutatingECS are the ECS operations (JSON protocol) that change the account.
var mutatingECS = map[string]bool{"RegisterTaskDefinition": true, "UpdateService": true, "RunTask": true, "StopTask": true}

// isMutating tells a request that changes something: a JSON-protocol operation of mutatingECS, or
// any REST (S3, CloudFront) request but GET and HEAD.
func isMutating(r *http.Request) bool {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return mutatingECS[target[strings.LastIndex(target, ".")+1:]]
	}
	return r.Method != http.MethodGet && r.Method != http.MethodHead
}

// stageFunc runs one stage through the proxy and classifies the outcome.
type stageFunc func(t *testing.T, p *testenv.FaultProxy, rules []testenv.Rule, name string) (outcome, detail string)

func TestFaultMatrix(t *testing.T) {
	moto := testenv.StartMoto(t)
	direct := moto.Config(t)
	// CloudFront answers a repeated CreateInvalidation (same CallerReference, same paths) with the
	// invalidation it already made; moto makes another. The proxies front a shim that does what
	// CloudFront does, so a retry after a lost answer is judged as on AWS.
	awsEndpoint := startCallerReferenceShim(t, moto.Endpoint)
	res := &matrix{}

	stages := []struct {
		name string
		// ecs stages front a fresh fake per cell instead of moto; crash makes the new image's tasks
		// exit 1, so the deploy must roll back. The image push fronts a registry (ecrpush_test.go).
		ecs, crash, push bool
		run              stageFunc
	}{
		{"S3 release", false, false, false, func(t *testing.T, p *testenv.FaultProxy, rules []testenv.Rule, name string) (string, string) {
			return releaseStage(t, direct, p, rules, name)
		}},
		{"CloudFront invalidation", false, false, false, func(t *testing.T, p *testenv.FaultProxy, rules []testenv.Rule, name string) (string, string) {
			return cdnStage(t, direct, p, rules, name)
		}},
		{"ECR auth+describe", false, false, false, func(t *testing.T, p *testenv.FaultProxy, rules []testenv.Rule, name string) (string, string) {
			return ecrStage(t, direct, p, rules, name)
		}},
		{"config push", false, false, false, func(t *testing.T, p *testenv.FaultProxy, rules []testenv.Rule, name string) (string, string) {
			return pushStage(t, direct, p, rules, name)
		}},
		{"deploy lock", false, false, false, func(t *testing.T, p *testenv.FaultProxy, rules []testenv.Rule, name string) (string, string) {
			return lockStage(t, direct, p, rules, name)
		}},
		{"ECR push", false, false, true, nil},
		{"ECS register/update/describe", true, false, false, nil},
		{"ECS roll-back (crashing image)", true, true, false, nil},
	}
	seedECR(t, direct)

	t.Run("cells", func(t *testing.T) {
		for _, st := range stages {
			for _, kind := range faultKinds {
				for _, rate := range faultRates {
					name := fmt.Sprintf("%s/%s/%02.0f%%", st.name, kind, rate*100)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						seed := seedOf(st.name, kind, fmt.Sprint(rate))
						c := cell{Stage: st.name, Fault: kind, Rate: rate}
						start := time.Now()
						var p *testenv.FaultProxy
						switch {
						case st.push:
							p, c.Outcome, c.Detail = ecrPushStage(t, direct, seed, kind, rate, cellName(name))
						case st.ecs:
							var f *ecsfake.Fake
							f, p = startECS(t, seed, kind, rate, st.crash)
							c.Outcome, c.Detail = ecsStage(t, f, p, st.crash)
						default:
							// No faults while the stage seeds its own state; it arms the rules itself.
							p = testenv.StartFaultProxy(t, awsEndpoint, seed)
							c.Outcome, c.Detail = st.run(t, p, faultRules(kind, rate), cellName(name))
						}
						c.Duration = time.Since(start)
						c.Faults = p.TotalInjected()
						c.Requests = len(p.Records())
						if c.Fault == "latency" {
							c.Faults = 0
							for _, r := range p.Records() {
								if r.Rule != "" {
									c.Faults++
								}
							}
						}
						if k, ok := knownFaultIssues[st.name]; ok && c.Outcome == outcomeViolation && strings.Contains(c.Detail, k.marker) {
							c.Outcome = outcomeKnown
							t.Logf("KNOWN ISSUE %s: %s — %s", name, c.Detail, k.issue)
						}
						res.add(c)
						if c.Outcome == outcomeViolation {
							t.Errorf("%s: invariant violated: %s", name, c.Detail)
						}
					})
				}
			}
		}
	})
	table := renderMatrix(res.cells)
	t.Logf("fault-injection matrix (%d cells):\n%s", len(res.cells), table)
	writeTable(t, "faults.txt", table)
}

// cellName turns a subtest name into a bucket-safe suffix.
func cellName(name string) string {
	r := strings.NewReplacer(" ", "", "/", "-", "%", "", "+", "")
	return strings.ToLower(r.Replace(name))
}

func bucketName(prefix, cell string) string {
	h := fnv.New32a()
	h.Write([]byte(cell))
	return fmt.Sprintf("%s-%08x", prefix, h.Sum32())
}

// releaseStage: v1 released without faults, v2 released through the faults. Completed: v2 served
// whole. Failed: index.html is v1's or v2's and everything it references exists; then a fault-free
// re-run must complete v2 (the failure left nothing that blocks the next deploy).
func releaseStage(t *testing.T, direct aws.Config, p *testenv.FaultProxy, rules []testenv.Rule, name string) (string, string) {
	ctx := context.Background()
	bucket := bucketName("rel", name)
	testenv.CreateBucket(t, direct, bucket)
	dir := smallBundle(t, 24, seedOf(name))
	deployBundle(t, direct, bucket, dir)
	dc := testenv.S3(direct)
	v1, err := servedRelease(ctx, dc, bucket)
	if err != nil {
		t.Fatalf("v1 not served: %v", err)
	}
	if _, err := testenv.ChangeBundle(dir, 0.3, seedOf(name, "v2")); err != nil {
		t.Fatal(err)
	}
	v2Want, _ := os.ReadFile(filepath.Join(dir, "index.html"))

	p.ResetCounters()
	p.SetRules(rules...)
	pc := testenv.S3(fastRetries(testenv.ConfigFor(t, p.URL)))
	plan, err := release.PlanRelease(ctx, release.Input{Client: pc, Bucket: bucket, Dir: dir, Concurrency: 4})
	if err == nil {
		_, err = release.Apply(ctx, plan)
	}
	p.SetRules()
	served, serr := servedRelease(ctx, dc, bucket)
	switch {
	case serr != nil:
		return outcomeViolation, fmt.Sprintf("mixed state after %v: %v", err, serr)
	case err == nil && string(served) == string(v2Want):
		return outcomeOK, ""
	case err == nil:
		return outcomeViolation, "Apply succeeded but index.html is not the new release"
	}
	outcome := outcomeCleanPrev
	if string(served) == string(v2Want) {
		outcome = outcomeCleanNew
	} else if string(served) != string(v1) {
		return outcomeViolation, "index.html is neither release"
	}
	// The next deploy (no faults) completes.
	deployBundle(t, direct, bucket, dir)
	if again, err := servedRelease(ctx, dc, bucket); err != nil || string(again) != string(v2Want) {
		return outcomeViolation, fmt.Sprintf("a fault-free re-run did not complete the release: %v", err)
	}
	return outcome, firstLine(err)
}

// cdnStage: plan, create and wait for an invalidation through the faults. Completed: exactly one
// invalidation exists. Failed: at most one (CallerReference makes a retried create idempotent).
func cdnStage(t *testing.T, direct aws.Config, p *testenv.FaultProxy, rules []testenv.Rule, name string) (string, string) {
	ctx := context.Background()
	bucket := bucketName("cdn", name)
	testenv.CreateBucket(t, direct, bucket)
	id := testenv.CreateDistribution(t, direct, bucket)
	p.ResetCounters()
	p.SetRules(rules...)
	c := cloudfront.NewFromConfig(fastRetries(testenv.ConfigFor(t, p.URL)))
	plan, err := cdn.PlanInvalidation(ctx, cdn.Input{Client: c, DistributionID: id, ChangedPaths: []string{"index.html", "favicon.ico"},
		CallerReference: "release-" + name, RetryDelay: 10 * time.Millisecond, RetryFor: time.Second})
	var res *cdn.Result
	if err == nil {
		res, err = cdn.Apply(ctx, plan)
	}
	if err == nil {
		_, err = cdn.Wait(ctx, cdn.WaitInput{Client: c, DistributionID: id, InvalidationID: res.InvalidationID, Interval: 10 * time.Millisecond, Timeout: 5 * time.Second})
	}
	p.SetRules()
	out, lerr := cloudfront.NewFromConfig(direct).ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(id)})
	if lerr != nil {
		t.Fatal(lerr)
	}
	n := len(out.InvalidationList.Items)
	switch {
	case n > 1:
		return outcomeViolation, fmt.Sprintf("%d invalidations created for one release", n)
	case err == nil && n == 1:
		return outcomeOK, ""
	case err == nil:
		return outcomeViolation, "Apply succeeded but no invalidation exists"
	case n == 1:
		return outcomeCleanNew, firstLine(err)
	}
	return outcomeCleanPrev, firstLine(err)
}

// ecrStage: auth and the publish plan (reads only). Completed: the token and the existing tag's
// digest are right. Failed: an error (nothing to undo).
func ecrStage(t *testing.T, direct aws.Config, p *testenv.FaultProxy, rules []testenv.Rule, name string) (string, string) {
	ctx := context.Background()
	p.ResetCounters()
	p.SetRules(rules...)
	c := ecr.NewFromConfig(fastRetries(testenv.ConfigFor(t, p.URL)))
	creds, err := registry.Auth(ctx, c)
	var plan *registry.PublishPlan
	if err == nil {
		plan, err = registry.PlanPublish(ctx, c, registry.PublishInput{Repository: repoName, GitSHA: gitSHA})
	}
	p.SetRules()
	if err != nil {
		return outcomeCleanPrev, firstLine(err)
	}
	if creds.Username != "AWS" || creds.Password == "" || !plan.Reuse || plan.Tag != imageTag {
		return outcomeViolation, fmt.Sprintf("wrong result: user %q, reuse %v, tag %s", creds.Username, plan.Reuse, plan.Tag)
	}
	return outcomeOK, ""
}

// pushStage: the env file changes (one key) through the faults. Each content has its own key
// (envfile.ReleaseKey): the running release's object is never touched. Completed: the new content
// with SSE under its key. Failed: the new key is absent or holds the new content, whole.
func pushStage(t *testing.T, direct aws.Config, p *testenv.FaultProxy, rules []testenv.Rule, name string) (string, string) {
	ctx := context.Background()
	bucket := bucketName("cfg", name)
	testenv.CreateBucket(t, direct, bucket)
	dc := testenv.S3(direct)
	r1 := rendered(t)
	p1, err := envfile.PlanPush(ctx, dc, envfile.PushInput{Bucket: bucket, Environment: "production", Rendered: r1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envfile.ApplyPush(ctx, dc, p1, nil); err != nil {
		t.Fatal(err)
	}
	r2 := *r1
	r2.EnvFile = []byte(strings.Replace(string(r1.EnvFile), "CELERY_LOG_LEVEL=INFO", "CELERY_LOG_LEVEL=WARNING", 1))
	r2.SHA256 = sha256Hex(r2.EnvFile)
	p.ResetCounters()
	p.SetRules(rules...)
	pc := testenv.S3(fastRetries(testenv.ConfigFor(t, p.URL)))
	p2, err := envfile.PlanPush(ctx, pc, envfile.PushInput{Bucket: bucket, Environment: "production", Rendered: &r2, Previous: p1.Key})
	if err == nil {
		_, err = envfile.ApplyPush(ctx, pc, p2, nil)
	}
	p.SetRules()
	if old, _ := getObject(t, dc, bucket, p1.Key); old != string(r1.EnvFile) {
		return outcomeViolation, "the running release's env file changed"
	}
	newKey := envfile.ReleaseKey("production", r2.SHA256)
	if _, herr := dc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(newKey)}); herr != nil {
		if err == nil {
			return outcomeViolation, "push succeeded but the new env file is absent"
		}
		return outcomeCleanPrev, firstLine(err)
	}
	got, head := getObject(t, dc, bucket, newKey)
	switch {
	case got != string(r2.EnvFile):
		return outcomeViolation, "the new env file is not the new content, whole"
	case head != "AES256":
		return outcomeViolation, "env file is not encrypted (SSE " + head + ")"
	case err == nil:
		return outcomeOK, ""
	}
	return outcomeCleanNew, firstLine(err)
}

// lockStage: acquire and release the deploy lock through the faults, as a deploy does (release
// with a context that outlives the deploy's failure). Completed or failed, the lock object must
// be gone afterwards.
func lockStage(t *testing.T, direct aws.Config, p *testenv.FaultProxy, rules []testenv.Rule, name string) (string, string) {
	ctx := context.Background()
	bucket := bucketName("lock", name)
	testenv.CreateBucket(t, direct, bucket)
	p.ResetCounters()
	p.SetRules(rules...)
	pc := testenv.S3(fastRetries(testenv.ConfigFor(t, p.URL)))
	l, err := lock.Acquire(ctx, pc, lock.Options{Bucket: bucket, Timeout: 2 * time.Second, Poll: 20 * time.Millisecond},
		lock.Info{Holder: "reliability " + name, GitSHA: gitSHA})
	acquired := err == nil
	var refused *lock.HeldError
	if errors.As(err, &refused) && refused.Holder.Holder == "reliability "+name {
		p.SetRules()
		_, _, _ = lock.ForceUnlock(ctx, testenv.S3(direct), lock.Options{Bucket: bucket})
		return outcomeViolation, "refused by its own lock (a put went through, its answer was lost): " + firstLine(err)
	}
	if acquired {
		err = l.Release(context.WithoutCancel(ctx))
	}
	p.SetRules()
	_, gerr := testenv.S3(direct).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(lock.DefaultKey)})
	held := gerr == nil
	switch {
	case held:
		return outcomeViolation, fmt.Sprintf("lock left held (acquired %v): %s", acquired, firstLine(err))
	case err == nil:
		return outcomeOK, ""
	}
	return outcomeCleanPrev, firstLine(err)
}

// startECS starts a scripted ECS fake (seedECS) behind a fault proxy armed at once.
func startECS(t *testing.T, seed int64, kind string, rate float64, crash bool) (*ecsfake.Fake, *testenv.FaultProxy) {
	f := seedECS(t, crash)
	p := testenv.StartFaultProxy(t, f.URL, seed, faultRules(kind, rate)...)
	return f, p
}

// seedECS starts the scripted ECS fake with api ×2 and worker ×1 on oldImage (100× simulated time).
func seedECS(t *testing.T, crash bool) *ecsfake.Fake {
	clock := ecsfake.NewClock(100)
	sc := ecsfake.Scenario{}
	if crash {
		sc.Images = map[string]ecsfake.TaskScript{newImage: {ExitAfter: 5 * time.Second, ExitCode: 1, Logs: []string{"ImproperlyConfigured: crash"}}}
	}
	f := ecsfake.Start(t, sc, clock)
	f.SeedCluster(cluster)
	api := f.SeedTaskDefinition(ecsfake.ContainerTaskDefinition("bookme-api", "web", oldImage, 30, "/ecs/bookme-api"))
	wk := f.SeedTaskDefinition(ecsfake.ContainerTaskDefinition("bookme-worker", "web", oldImage, 120, "/ecs/bookme-worker"))
	f.SeedService(cluster, "api", api, 2, []string{"subnet-a"}, []string{"sg-api"})
	f.SeedService(cluster, "worker", wk, 1, []string{"subnet-a"}, []string{"sg-worker"})
	return f
}

// ecsStage: plan → register → migrate → roll through the faults. Completed: both services on a new
// revision running newImage. Failed: both services on their previous revision (never half-rolled).
// With crash the new image's tasks exit 1: completing is impossible, the deploy must roll back.
func ecsStage(t *testing.T, f *ecsfake.Fake, p *testenv.FaultProxy, crash bool) (string, string) {
	ctx := context.Background()
	e := rollout.New(fastRetries(testenv.ConfigFor(t, p.URL)), nil)
	e.Clock = f.Clock
	in := rollout.Input{Cluster: cluster, API: "api", Workers: []string{"worker"}, Container: "web", Image: newImage, GitSHA: gitSHA}
	plan, err := e.Plan(ctx, in)
	if err == nil {
		_, err = e.Apply(ctx, plan)
	}
	p.SetRules()
	dc := ecs.NewFromConfig(testenv.ConfigFor(t, f.URL))
	out, derr := dc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"api", "worker"}})
	if derr != nil {
		t.Fatal(derr)
	}
	var onNew, onOld []string
	for _, s := range out.Services {
		td := aws.ToString(s.TaskDefinition)
		if strings.HasSuffix(td, ":1") {
			onOld = append(onOld, aws.ToString(s.ServiceName))
		} else {
			onNew = append(onNew, aws.ToString(s.ServiceName)+"→"+td[strings.LastIndex(td, "/")+1:])
		}
	}
	sort.Strings(onNew)
	// Nothing done twice that must be done once: one migration task (RunTask retried after a lost
	// answer must find the task it started: the SDK sends one clientToken for all its attempts,
	// which ECS honours), and at most one new revision per family (a retried register must not
	// leave a second, identical revision behind).
	if n := migrationTasks(t, dc); n > 1 {
		return outcomeViolation, fmt.Sprintf("the migration task was started %d times", n)
	}
	for _, fam := range []string{"bookme-api", "bookme-worker"} {
		if n := revisions(t, dc, fam); n > 2 {
			return outcomeViolation, fmt.Sprintf("%d new revisions of %s registered for one deploy", n-1, fam)
		}
	}
	switch {
	case err == nil && crash:
		return outcomeViolation, "a crashing image was reported deployed"
	case err == nil && len(onNew) == 2:
		return outcomeOK, ""
	case err == nil:
		return outcomeViolation, "Apply succeeded but services on the old revision: " + strings.Join(onOld, ",")
	case len(onNew) > 0:
		return outcomeViolation, fmt.Sprintf("half-rolled: %s left on the new revision after %s", strings.Join(onNew, ","), firstLine(err))
	}
	return outcomeCleanPrev, firstLine(err)
}

// migrationTasks counts the tasks started as the migration (startedBy), running or stopped.
func migrationTasks(t *testing.T, dc *ecs.Client) int {
	t.Helper()
	n := 0
	for _, status := range []ecstypes.DesiredStatus{ecstypes.DesiredStatusRunning, ecstypes.DesiredStatusStopped} {
		out, err := dc.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String(cluster),
			StartedBy: aws.String(rollout.MigrationStartedBy), DesiredStatus: status})
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.TaskArns)
	}
	return n
}

// revisions counts the registered revisions of a task-definition family.
func revisions(t *testing.T, dc *ecs.Client, family string) int {
	t.Helper()
	out, err := dc.ListTaskDefinitions(context.Background(), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.TaskDefinitionArns)
}

func firstLine(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func getObject(t *testing.T, c *s3.Client, bucket, key string) (body, sse string) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := out.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String(), string(out.ServerSideEncryption)
}

// renderMatrix prints stage × fault × rate → outcome, injected faults / requests, time; then a
// per-stage summary.
func renderMatrix(cells []cell) string {
	sort.Slice(cells, func(i, j int) bool {
		a, b := cells[i], cells[j]
		if a.Stage != b.Stage {
			return stageOrder(a.Stage) < stageOrder(b.Stage)
		}
		if a.Fault != b.Fault {
			return kindOrder(a.Fault) < kindOrder(b.Fault)
		}
		return a.Rate < b.Rate
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%-29s %-9s %5s  %-36s %7s %8s %7s\n", "stage", "fault", "rate", "outcome", "faults", "requests", "time")
	for _, c := range cells {
		fmt.Fprintf(&b, "%-29s %-9s %4.0f%%  %-36s %7d %8d %6.1fs\n", c.Stage, c.Fault, c.Rate*100, c.Outcome, c.Faults, c.Requests, c.Duration.Seconds())
	}
	count := map[string]int{}
	for _, c := range cells {
		count[c.Outcome]++
	}
	fmt.Fprintf(&b, "cells: %d; %s: %d, %s: %d, %s: %d, %s: %d, %s: %d\n", len(cells), outcomeOK, count[outcomeOK], outcomeCleanPrev,
		count[outcomeCleanPrev], outcomeCleanNew, count[outcomeCleanNew], outcomeViolation, count[outcomeViolation], outcomeKnown, count[outcomeKnown])
	var details []string
	for _, c := range cells {
		if c.Detail != "" {
			details = append(details, fmt.Sprintf("  %s/%s/%.0f%%: %s", c.Stage, c.Fault, c.Rate*100, c.Detail))
		}
	}
	if len(details) > 0 {
		b.WriteString("details (a failed cell: its error's first line; a completed cell: what it met on the way):\n" + strings.Join(details, "\n") + "\n")
	}
	return b.String()
}

func stageOrder(s string) int {
	for i, n := range []string{"deploy lock", "ECR auth+describe", "ECR push", "config push", "ECS register/update/describe", "ECS roll-back (crashing image)", "S3 release", "CloudFront invalidation"} {
		if n == s {
			return i
		}
	}
	return 99
}

func kindOrder(k string) int {
	for i, n := range faultKinds {
		if n == k {
			return i
		}
	}
	return 99
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
