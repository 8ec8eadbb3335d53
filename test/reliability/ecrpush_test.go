//go:build integration

package reliability

// The ECR push stage of the fault matrix. In AWS the registry is ECR: the image storage and the ECR
// API are one, so a tag stored by a push is in DescribeImages at once — also when the answer to its
// manifest PUT was lost. moto's ECR keeps no images (PutImage stores a manifest, there is no
// registry), so this stage models ECR with three parts:
//
//   - the in-process registry (testenv.StartRegistry) stores the images;
//   - an "ECR front" before it, as ECR behaves: it refuses requests without the credentials moto's
//     GetAuthorizationToken hands out (registry.Auth), and, the repository's tags being IMMUTABLE,
//     refuses a manifest PUT to a tag that exists (HTTP 400 TAG_INVALID) — a PUT retried after its
//     answer was lost meets that refusal, whether or not ECR would accept the identical manifest again;
//   - after every push attempt, failed or not, the Images port reads the tag directly from the
//     registry (not through the fault proxy) and, when present, records it in moto's ECR
//     (rehearsal.RecordPush): what ECR's API would then report.
//
// The faults (registryFaultRules) sit between the push (go-containerregistry's remote.Write, with its own retries) and
// the ECR front, and hit the blob uploads (POST/PATCH/PUT …/blobs/uploads/…) and the manifest PUT
// (PUT /v2/<repo>/manifests/<tag>). The ECR API calls (the plan's DescribeImages, the token, the
// read after a failed push) go straight to moto: their faults are the "ECR auth+describe" stage's.
// After the publish (deploy.Publish Plan + Apply, as the deploy's image step) the services are
// rolled to the published image on a fault-free ECS fake. A cell must end:
//
//   - completed: both services run exactly repository@digest that ECR holds for the commit's tag,
//     and that digest is the built image's (the tag never points at another image);
//   - failed clean: an error, ECR without the tag, both services on their previous revision and no
//     revision registered; then a fault-free re-run completes.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator/rehearsal"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/ecsfake"
	"bookme-deploy/internal/testenv"
)

// registryFaultRules injects kind into the push's blob uploads and manifest PUTs, with the
// registry's own error format (OCI distribution errors; ECR throttles with 429 TOOMANYREQUESTS).
// Every matched request changes the registry, so the -after kinds hit the same requests. A push
// sends one manifest PUT (and ~6 blob-upload requests): at the cell's rate it would rarely meet a
// fault, so its first attempt always does (reset-after, timeout-after: the tag is stored and the
// answer lost — the case this stage is for), its retries and the blob uploads at the cell's rate.
func registryFaultRules(kind string, rate float64) []testenv.Rule {
	isManifestPut := func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/")
	}
	isBlobUpload := func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/blobs/uploads/") }
	both := func(r testenv.Rule) []testenv.Rule {
		first, m, b := r, r, r
		first.Name, first.Match, first.Rate, first.Times = kind+"-manifest", isManifestPut, 1, 1
		m.Name, m.Match = kind+"-manifest", isManifestPut
		b.Name, b.Match = kind+"-blob", isBlobUpload
		return []testenv.Rule{first, m, b}
	}
	respond := func(status int, code string) []testenv.Rule {
		return both(testenv.Rule{Rate: rate, Fault: testenv.FaultRespond, Status: status,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   `{"errors":[{"code":"` + code + `","message":"injected"}]}`})
	}
	switch kind {
	case "500":
		return respond(500, "UNKNOWN")
	case "503":
		return respond(503, "UNAVAILABLE")
	case "throttle":
		return respond(429, "TOOMANYREQUESTS")
	case "reset":
		return both(testenv.Rule{Rate: rate, Fault: testenv.FaultReset})
	case "latency":
		return both(testenv.Rule{Rate: rate, Fault: testenv.FaultNone, Latency: 150 * time.Millisecond})
	case "reset-after":
		return both(testenv.Rule{Rate: rate, Fault: testenv.FaultResetAfterForward})
	case "timeout-after":
		return both(testenv.Rule{Rate: rate, Fault: testenv.FaultTimeoutAfterForward})
	}
	panic("unknown fault kind " + kind)
}

// ecrFront is ECR's behaviour in front of the in-process registry: moto's credentials required,
// IMMUTABLE tags (a manifest PUT to an existing tag is refused).
type ecrFront struct {
	reg        *testenv.Registry
	proxy      *httputil.ReverseProxy
	authHeader string

	mu      sync.Mutex // one manifest PUT at a time: check-then-put is atomic, as in ECR
	refused int
}

func startECRFront(t *testing.T, reg *testenv.Registry, creds *registry.Credentials) (*ecrFront, string) {
	target, _ := url.Parse("http://" + reg.Host)
	f := &ecrFront{reg: reg, proxy: httputil.NewSingleHostReverseProxy(target),
		authHeader: "Basic " + base64.StdEncoding.EncodeToString([]byte(creds.Username+":"+creds.Password))}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, strings.TrimPrefix(srv.URL, "http://")
}

func (f *ecrFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != f.authHeader {
		w.Header().Set("WWW-Authenticate", `Basic realm="ecr-model"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"not authorized"}]}`, http.StatusUnauthorized)
		return
	}
	repo, tag, ok := manifestTagPut(r)
	if !ok {
		f.proxy.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.tagDigest(r.Context(), repo, tag); err == nil {
		f.refused++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"errors":[{"code":"TAG_INVALID","message":"The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable."}]}`, tag, repo)
		return
	}
	f.proxy.ServeHTTP(w, r)
}

// manifestTagPut tells a PUT /v2/<repo>/manifests/<tag> (by tag, not by digest).
func manifestTagPut(r *http.Request) (repo, tag string, ok bool) {
	if r.Method != http.MethodPut {
		return "", "", false
	}
	repo, tag, found := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/manifests/")
	if !found || strings.HasPrefix(tag, "sha256:") {
		return "", "", false
	}
	return repo, tag, true
}

// tagDigest reads repo:tag directly from the registry (no faults, no front).
func (f *ecrFront) tagDigest(ctx context.Context, repo, tag string) (string, error) {
	ref, err := name.ParseReference(f.reg.Host+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		return "", err
	}
	d, err := remote.Head(ref, remote.WithContext(ctx))
	if err != nil {
		return "", err
	}
	return d.Digest.String(), nil
}

// faultyPush is the stage's Images port: it pushes a small random image, deterministic per cell
// (its seed), through the fault proxy, then — ECR's API and storage being one — reads the tag from
// the registry and records it in moto's ECR, whether the push errored or not.
type faultyPush struct {
	t     *testing.T
	front *ecrFront
	host  string // the fault proxy's host:port
	ecr   *ecr.Client
	seed  int64
	// built is the digest of the image pushed.
	built string
}

func (f *faultyPush) Push(ctx context.Context, plan *registry.PublishPlan, creds *registry.Credentials) (string, error) {
	img, err := random.Image(1024, 2, random.WithSource(rand.NewSource(f.seed)))
	if err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	f.built = d.String()
	ref, err := name.ParseReference(f.host+"/"+plan.Repository+":"+plan.Tag, name.Insecure)
	if err != nil {
		return "", err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = clientTimeout // a timeout-after cell's answer never comes
	pushErr := remote.Write(ref, img, remote.WithContext(ctx), remote.WithTransport(tr),
		remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: creds.Username, Password: creds.Password})),
		remote.WithRetryBackoff(remote.Backoff{Duration: 20 * time.Millisecond, Factor: 3, Jitter: 0.1, Steps: 3}))

	stored, err := f.front.tagDigest(ctx, plan.Repository, plan.Tag)
	var terr *transport.Error
	switch {
	case err == nil:
		if err := rehearsal.RecordPush(ctx, f.ecr, f.front.reg.Host, plan, stored, creds, ""); err != nil {
			f.t.Errorf("record the stored tag in moto's ECR: %v", err)
		}
	case errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound:
	default:
		f.t.Errorf("read the tag from the registry: %v", err)
	}
	if pushErr != nil {
		return "", pushErr
	}
	return f.built, nil
}

// repoFiles reads the repository's files (the Dockerfile the plan checks).
type repoFiles struct{}

func (repoFiles) ReadFile(_ context.Context, p string) ([]byte, error) {
	return os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(p)))
}

// ecrPushStage: the deploy's image step (plan, push through the faults) and the roll to its image.
func ecrPushStage(t *testing.T, direct aws.Config, seed int64, kind string, rate float64, name string) (*testenv.FaultProxy, string, string) {
	ctx := context.Background()
	ecrc := ecr.NewFromConfig(direct)
	repo := bucketName("push", name)
	if _, err := ecrc.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo),
		ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable}); err != nil {
		t.Fatalf("create repository: %v", err)
	}
	creds, err := registry.Auth(ctx, ecrc)
	if err != nil {
		t.Fatal(err)
	}
	front, frontHost := startECRFront(t, testenv.StartRegistry(t), creds)
	p := testenv.StartFaultProxy(t, "http://"+frontHost, seed)
	images := &faultyPush{t: t, front: front, host: strings.TrimPrefix(p.URL, "http://"), ecr: ecrc, seed: seed}
	f := seedECS(t, false)

	var progress strings.Builder
	pub := deploy.Publish{AWS: direct, Images: images, Source: repoFiles{}, Layout: deploy.DefaultLayout,
		Repository: repo, GitSHA: gitSHA, Progress: &progress}
	p.SetRules(registryFaultRules(kind, rate)...)
	ref, err := publishAndRoll(ctx, t, pub, f)
	p.SetRules()

	inECR, found, derr := registry.DigestForTag(ctx, ecrc, repo, imageTag)
	if derr != nil {
		t.Fatal(derr)
	}
	running := servicesImages(t, f)
	want := ""
	if found {
		want = registryURI(t, ecrc, repo) + "@" + inECR
	}
	note := ""
	if s := strings.TrimSpace(progress.String()); s != "" {
		note = s
	}
	front.mu.Lock()
	refused := front.refused
	front.mu.Unlock()
	if refused > 0 {
		note = strings.TrimSpace(fmt.Sprintf("%s [the ECR front refused %d PUT(s) of the existing tag]", note, refused))
	}
	switch {
	case found && inECR != images.built:
		return p, outcomeViolation, fmt.Sprintf("ECR's tag %s points at %s, not the image pushed (%s)", imageTag, inECR, images.built)
	case err == nil && !found:
		return p, outcomeViolation, "the deploy completed but ECR has no tag " + imageTag
	case err == nil && (ref != want || running["api"] != want || running["worker"] != want):
		return p, outcomeViolation, fmt.Sprintf("the services run api %s, worker %s (deploy's ref %s); ECR holds %s", running["api"], running["worker"], ref, want)
	case err == nil:
		return p, outcomeOK, note
	case found:
		return p, outcomeViolation, "the deploy failed though ECR holds the tag (the push's answer was lost): " + firstLine(err)
	}
	// Failed: nothing changed in ECS.
	if running["api"] != oldImage || running["worker"] != oldImage {
		return p, outcomeViolation, fmt.Sprintf("failed, yet the services run api %s, worker %s: %s", running["api"], running["worker"], firstLine(err))
	}
	dc := ecs.NewFromConfig(testenv.ConfigFor(t, f.URL))
	for _, fam := range []string{"bookme-api", "bookme-worker"} {
		if n := revisions(t, dc, fam); n != 1 {
			return p, outcomeViolation, fmt.Sprintf("failed, yet %d revisions of %s exist", n, fam)
		}
	}
	// The next deploy (no faults) completes with the same image.
	pub.Progress = nil
	if _, rerr := publishAndRoll(ctx, t, pub, f); rerr != nil {
		return p, outcomeViolation, "a fault-free re-run failed: " + firstLine(rerr)
	}
	inECR, found, _ = registry.DigestForTag(ctx, ecrc, repo, imageTag)
	running = servicesImages(t, f)
	if !found || inECR != images.built || running["api"] != registryURI(t, ecrc, repo)+"@"+inECR || running["worker"] != running["api"] {
		return p, outcomeViolation, fmt.Sprintf("after a fault-free re-run ECR holds %q (built %s), services run %v", inECR, images.built, running)
	}
	return p, outcomeCleanPrev, firstLine(err)
}

// publishAndRoll is the deploy's image step and its roll: Publish.Plan and Apply, then the ECS
// roll of api and worker to the image Apply returned.
func publishAndRoll(ctx context.Context, t *testing.T, pub deploy.Publish, f *ecsfake.Fake) (string, error) {
	plan, err := pub.Plan(ctx)
	if err != nil {
		return "", err
	}
	ref, _, err := pub.Apply(ctx, plan)
	if err != nil {
		return "", err
	}
	e := rollout.New(testenv.ConfigFor(t, f.URL), nil)
	e.Clock = f.Clock
	rp, err := e.Plan(ctx, rollout.Input{Cluster: cluster, API: "api", Workers: []string{"worker"}, Container: "web", Image: ref, GitSHA: gitSHA})
	if err == nil {
		_, err = e.Apply(ctx, rp)
	}
	return ref, err
}

// servicesImages reads, per service, the image of the task definition it runs (from the fake).
func servicesImages(t *testing.T, f *ecsfake.Fake) map[string]string {
	t.Helper()
	ctx := context.Background()
	dc := ecs.NewFromConfig(testenv.ConfigFor(t, f.URL))
	out, err := dc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"api", "worker"}})
	if err != nil {
		t.Fatal(err)
	}
	images := map[string]string{}
	for _, s := range out.Services {
		td, err := dc.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: s.TaskDefinition})
		if err != nil {
			t.Fatal(err)
		}
		images[aws.ToString(s.ServiceName)] = aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image)
	}
	return images
}

// registryURI is the repository's URI as ECR reports it (what image references start with).
func registryURI(t *testing.T, c *ecr.Client, repo string) string {
	t.Helper()
	r, err := registry.Repository(context.Background(), c, repo)
	if err != nil {
		t.Fatal(err)
	}
	return r.URI
}
