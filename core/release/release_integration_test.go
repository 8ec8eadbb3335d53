//go:build integration

package release_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"bookme-deploy/core/release"
	"bookme-deploy/internal/testenv"
)

// env is one moto_server with a counting/fault proxy in front of it. The engine talks to the
// proxy; assertions read the bucket through a direct client so they are not counted.
type env struct {
	moto   *testenv.Moto
	proxy  *testenv.FaultProxy
	client *s3.Client // through the proxy
	direct *s3.Client // straight to moto
	bucket string
}

func newEnv(t *testing.T, rules ...testenv.Rule) *env {
	t.Helper()
	m := testenv.StartMoto(t)
	p := testenv.StartFaultProxy(t, m.Endpoint, 7, rules...)
	cfg := testenv.ConfigFor(t, p.URL)
	// Enough attempts that injected faults are always retried through, and no retry quota.
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 8
			o.RateLimiter = ratelimit.None
			o.MaxBackoff = 200 * time.Millisecond
		})
	}
	e := &env{moto: m, proxy: p, client: testenv.S3(cfg), direct: quietS3(m.Config(t)), bucket: "spa"}
	testenv.CreateBucket(t, m.Config(t), e.bucket)
	p.ResetCounters()
	return e
}

// quietS3 is a direct client that does not log about responses without checksums.
func quietS3(cfg aws.Config) *s3.Client {
	cfg.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	return testenv.S3(cfg)
}

func (e *env) input(dir string) release.Input {
	return release.Input{Client: e.client, Bucket: e.bucket, Dir: dir, Concurrency: 8}
}

func bundle(t *testing.T, n int, seed int64) testenv.Bundle {
	t.Helper()
	b, err := testenv.GenerateBundle(t.TempDir(), n, seed)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func freshCopy(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "build")
	if err := testenv.CopyTree(dir, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

func deploy(t *testing.T, in release.Input) (*release.Plan, *release.Result) {
	t.Helper()
	p, err := release.PlanRelease(context.Background(), in)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	r, err := release.Apply(context.Background(), p)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return p, r
}

// remote lists the bucket straight from moto: key → ETag.
func (e *env) remote(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	pg := s3.NewListObjectsV2Paginator(e.direct, &s3.ListObjectsV2Input{Bucket: aws.String(e.bucket)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = aws.ToString(o.ETag)
		}
	}
	return out
}

func (e *env) get(t *testing.T, key string) []byte {
	t.Helper()
	out, err := e.direct.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return b
}

// split separates the kept copies of entry files (release.KeptPrefix) from the other objects.
func split(objs map[string]string) (served, kept map[string]string) {
	served, kept = map[string]string{}, map[string]string{}
	for k, v := range objs {
		if strings.HasPrefix(k, release.KeptPrefix) {
			kept[k] = v
		} else {
			served[k] = v
		}
	}
	return served, kept
}

// writes counts the requests that change the bucket (PUT, POST, DELETE) seen by the proxy.
func writes(p *testenv.FaultProxy) []testenv.Record {
	var out []testenv.Record
	for _, r := range p.Records() {
		if r.Method == "PUT" || r.Method == "POST" || r.Method == "DELETE" {
			out = append(out, r)
		}
	}
	return out
}

func TestFirstReleaseThenIdenticalRedeployFromFreshCopy(t *testing.T) {
	e := newEnv(t)
	b := bundle(t, 80, 1)
	_, r := deploy(t, e.input(b.Dir))
	if r.Uploaded.Count != b.Files || r.Uploaded.Bytes != b.Bytes {
		t.Fatalf("first release uploaded %+v, want %d files / %d bytes", r.Uploaded, b.Files, b.Bytes)
	}
	if !r.ManifestWritten || r.Deleted.Count != 0 {
		t.Fatalf("first release: manifest written %v, deleted %d", r.ManifestWritten, r.Deleted.Count)
	}
	objs, kept := split(e.remote(t))
	if len(objs) != b.Files+1 { // + the manifest
		t.Fatalf("bucket holds %d objects, want %d files + manifest", len(objs), b.Files)
	}
	if len(kept) != 4 { // a kept copy of each non-hashed file, for a roll-back
		t.Fatalf("kept copies %v, want the 4 non-hashed files", kept)
	}
	if _, ok := objs[release.ManifestName]; !ok {
		t.Fatalf("no release manifest %s in the bucket", release.ManifestName)
	}
	if !bytes.Equal(e.get(t, "index.html"), must(os.ReadFile(filepath.Join(b.Dir, "index.html")))) {
		t.Fatal("index.html in the bucket differs from the bundle's")
	}
	if len(r.ChangedPaths) != 4 { // index.html, favicon.ico, robots.txt, manifest.webmanifest
		t.Errorf("changed non-hashed paths = %v, want the 4 non-hashed files", r.ChangedPaths)
	}

	e.proxy.ResetCounters()
	p, r := deploy(t, e.input(freshCopy(t, b.Dir)))
	if p.Upload.Count != 0 || p.UpdateHeaders.Count != 0 || p.Delete.Count != 0 || p.WriteManifest {
		t.Fatalf("identical redeploy plans changes:\n%s", p.Text())
	}
	if !strings.Contains(p.Text(), "nothing to do") {
		t.Errorf("plan text does not say nothing to do:\n%s", p.Text())
	}
	if r.Unchanged.Count != b.Files || r.ManifestWritten || len(r.ChangedPaths) != 0 {
		t.Fatalf("identical redeploy result: %+v", r)
	}
	if w := writes(e.proxy); len(w) != 0 || e.proxy.BytesIn() != 0 {
		t.Fatalf("identical redeploy sent %d writes (%d bytes): %+v", len(w), e.proxy.BytesIn(), w)
	}
	if n := e.proxy.Count("HEAD", ""); n != 0 {
		t.Errorf("identical redeploy made %d HEAD requests; the manifest should vouch for the headers", n)
	}
	var js map[string]any
	if err := json.Unmarshal(must(json.Marshal(r)), &js); err != nil || js["unchanged"] == nil {
		t.Errorf("result JSON lacks counts: %v %v", js, err)
	}
}

func TestOnePercentChanged(t *testing.T) {
	e := newEnv(t)
	b := bundle(t, 300, 2)
	deploy(t, e.input(b.Dir))
	dir := freshCopy(t, b.Dir)
	ch, err := testenv.ChangeBundle(dir, 0.01, 99)
	if err != nil {
		t.Fatal(err)
	}
	e.proxy.ResetCounters()
	p, r := deploy(t, e.input(dir))
	if r.Uploaded.Count != ch.Files || r.Uploaded.Bytes != ch.Bytes {
		t.Fatalf("uploaded %+v, want the %d changed files / %d bytes\n%s", r.Uploaded, ch.Files, ch.Bytes, p.Text())
	}
	if r.Kept.Count != len(ch.Removed) || r.Deleted.Count != 0 {
		t.Fatalf("kept %d deleted %d; want the %d replaced chunks kept for open tabs", r.Kept.Count, r.Deleted.Count, len(ch.Removed))
	}
	if strings.Join(r.ChangedPaths, ",") != "index.html" {
		t.Errorf("changed non-hashed paths = %v, want [index.html]", r.ChangedPaths)
	}
	puts := e.proxy.Count("PUT", "")
	if puts != ch.Files+1+4 { // + manifest + the 4 kept copies of the non-hashed files
		t.Errorf("PUT requests = %d, want %d changed files + 1 manifest + 4 kept copies", puts, ch.Files)
	}
	if r.EntriesWritten.Count != 4 {
		t.Errorf("kept copies written %+v, want the 4 non-hashed files", r.EntriesWritten)
	}
	if e.proxy.BytesIn() > ch.Bytes*12/10 {
		t.Errorf("sent %d bytes for %d changed bytes (> 1.2×)", e.proxy.BytesIn(), ch.Bytes)
	}
	objs := e.remote(t)
	for _, old := range ch.Removed {
		if _, ok := objs[old]; !ok {
			t.Errorf("replaced chunk %s was deleted; the previous release still references it", old)
		}
	}
}

func TestHeaderOnlyChangeUsesCopyAndAWSCLIReadsHeaders(t *testing.T) {
	e := newEnv(t)
	b := bundle(t, 40, 3)
	deploy(t, e.input(b.Dir))

	rules, err := release.ParseRules([]byte(`{"rules":[{"match":"favicon.ico","cacheControl":"public, max-age=600"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	in := e.input(freshCopy(t, b.Dir))
	in.Rules = rules
	e.proxy.ResetCounters()
	p, r := deploy(t, in)
	if r.HeaderUpdated.Count != 1 || r.Uploaded.Count != 0 {
		t.Fatalf("want 1 header update and no upload:\n%s", p.Text())
	}
	var copies, bodyPuts int
	for _, rec := range writes(e.proxy) {
		if rec.Method != "PUT" || !strings.HasSuffix(rec.Path, "/favicon.ico") || strings.Contains(rec.Path, release.KeptPrefix) {
			continue
		}
		if rec.Header.Get("X-Amz-Copy-Source") != "" && rec.BodyBytes == 0 {
			copies++
		} else {
			bodyPuts++
		}
	}
	if copies != 1 || bodyPuts != 0 {
		t.Fatalf("favicon.ico: %d CopyObject, %d body PUTs; want 1 copy, 0 uploads", copies, bodyPuts)
	}
	if strings.Join(r.ChangedPaths, ",") != "favicon.ico" {
		t.Errorf("changed paths = %v", r.ChangedPaths)
	}

	// A real client nobody here wrote reads back what we set.
	head := awsHead(t, e, "favicon.ico")
	if head.ContentType != "image/x-icon" || head.CacheControl != "public, max-age=600" {
		t.Errorf("aws s3api head-object favicon.ico: %+v", head)
	}
	var js string
	for k := range e.remote(t) {
		if strings.HasSuffix(k, ".chunk.js") {
			js = k
			break
		}
	}
	head = awsHead(t, e, js)
	if head.ContentType != "text/javascript; charset=utf-8" || head.CacheControl != release.CacheImmutable {
		t.Errorf("aws s3api head-object %s: %+v", js, head)
	}
	head = awsHead(t, e, "index.html")
	if head.ContentType != "text/html; charset=utf-8" || head.CacheControl != release.CacheNoCache {
		t.Errorf("aws s3api head-object index.html: %+v", head)
	}

	// Someone edits headers by hand; the manifest cannot know, VerifyHeaders finds and fixes it.
	_, err = e.direct.CopyObject(context.Background(), &s3.CopyObjectInput{
		Bucket: aws.String(e.bucket), Key: aws.String("robots.txt"), CopySource: aws.String(e.bucket + "/robots.txt"),
		MetadataDirective: s3types.MetadataDirectiveReplace, ContentType: aws.String("text/plain"), CacheControl: aws.String("max-age=9"),
	})
	if err != nil {
		t.Fatal(err)
	}
	in.VerifyHeaders = true
	p, err = release.PlanRelease(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if p.UpdateHeaders.Count != 1 || p.Changes[0].Path != "robots.txt" || !strings.Contains(p.Changes[0].Reason, `"max-age=9" → "no-cache"`) {
		t.Fatalf("VerifyHeaders did not find the hand edit:\n%s", p.Text())
	}
}

type headObject struct {
	ContentType  string
	CacheControl string
	ETag         string
}

func awsHead(t *testing.T, e *env, key string) headObject {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("the AWS CLI (aws) is not on PATH: install it to run this test: %v", err)
	}
	cmd := exec.Command("aws", "s3api", "head-object", "--endpoint-url", e.moto.Endpoint, "--bucket", e.bucket, "--key", key, "--output", "json")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION="+testenv.Region,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws s3api head-object %s: %v\n%s", key, err, out)
	}
	var h headObject
	if err := json.Unmarshal(out, &h); err != nil {
		t.Fatalf("aws s3api head-object output: %v\n%s", err, out)
	}
	return h
}

// release with one page chunk whose name changes each version.
func versionBundle(t *testing.T, v int) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"index.html": "<html><script src=\"/static/js/page.v" + strings.Repeat("0", 7) + string(rune('0'+v)) + ".js\"></script></html>",
		"static/js/page.v0000000" + string(rune('0'+v)) + ".js": "console.log(" + string(rune('0'+v)) + ")",
		"static/js/vendor.1a2b3c4d.js":                          "vendor",
	}
	for rel, s := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPruningAfterNReleases(t *testing.T) {
	e := newEnv(t)
	// An object from before the engine managed the bucket (e.g. the old `aws s3 cp`).
	if _, err := e.direct.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(e.bucket), Key: aws.String("static/js/legacy.99999999.js"), Body: strings.NewReader("old"),
	}); err != nil {
		t.Fatal(err)
	}
	page := func(v int) string { return "static/js/page.v0000000" + string(rune('0'+v)) + ".js" }
	want := map[int][]string{ // after release v: pages present
		1: {page(1)},
		2: {page(1), page(2)},
		3: {page(1), page(2), page(3)},
		4: {page(2), page(3), page(4)},
		5: {page(3), page(4), page(5)},
	}
	for v := 1; v <= 5; v++ {
		in := e.input(versionBundle(t, v))
		in.ReleaseID = "v" + string(rune('0'+v))
		_, r := deploy(t, in)
		objs := e.remote(t)
		var pages []string
		for k := range objs {
			if strings.HasPrefix(k, "static/js/page.") {
				pages = append(pages, k)
			}
		}
		sort.Strings(pages)
		if strings.Join(pages, ",") != strings.Join(want[v], ",") {
			t.Errorf("after release v%d pages = %v, want %v (keep 2 previous)", v, pages, want[v])
		}
		_, legacy := objs["static/js/legacy.99999999.js"]
		if legacy != (v <= 2) {
			t.Errorf("after release v%d the pre-existing object present = %v; it counts as release #0 and is kept 2 releases", v, legacy)
		}
		if (v == 3 || v == 4) && r.Deleted.Count != 1 { // v3: the legacy object, v4: page v1
			t.Errorf("release v%d deleted %d objects, want 1", v, r.Deleted.Count)
		}
	}
}

func TestWriteOrderAssetsThenHTMLThenManifestThenDeletes(t *testing.T) {
	e := newEnv(t)
	b := bundle(t, 60, 4)
	deploy(t, e.input(b.Dir))
	dir := freshCopy(t, b.Dir)
	if _, err := testenv.ChangeBundle(dir, 0.1, 5); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "robots.txt"), []byte("User-agent: *\nDisallow: /admin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.proxy.ResetCounters()
	in := e.input(dir)
	in.KeepReleases = -1 // delete replaced chunks at once, so deletes happen in this release
	_, r := deploy(t, in)
	if r.Deleted.Count == 0 || r.Uploaded.Count < 3 {
		t.Fatalf("expected uploads and deletes: %+v", r)
	}
	phase := func(rec testenv.Record) int {
		switch {
		case rec.Method == "POST" && strings.Contains(rec.Query, "delete"), rec.Method == "DELETE":
			return 5
		case strings.HasSuffix(rec.Path, release.ManifestName):
			return 4
		case strings.Contains(rec.Path, release.KeptPrefix):
			return 3 // kept copies of the HTML just written
		case strings.HasSuffix(rec.Path, ".html"):
			return 2
		case strings.HasSuffix(rec.Path, "robots.txt"):
			return 1
		}
		return 0
	}
	ws := writes(e.proxy)
	for _, a := range ws {
		for _, b := range ws {
			if phase(a) < phase(b) && !a.End.Before(b.Start) {
				t.Errorf("%s %s (phase %d) had not finished when %s %s (phase %d) started", a.Method, a.Path, phase(a), b.Method, b.Path, phase(b))
			}
		}
	}
	seen := map[int]bool{}
	for _, w := range ws {
		seen[phase(w)] = true
	}
	for ph := 0; ph <= 5; ph++ {
		if !seen[ph] {
			t.Errorf("no write of phase %d recorded: %+v", ph, ws)
		}
	}
}

// checkConsistent fails if index.html references an object that does not exist.
func (e *env) consistent(ctx context.Context) (string, bool) {
	out, err := e.direct.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("index.html")})
	if err != nil {
		return "", true // no page yet
	}
	html, _ := io.ReadAll(out.Body)
	out.Body.Close()
	keys := map[string]bool{}
	pg := s3.NewListObjectsV2Paginator(e.direct, &s3.ListObjectsV2Input{Bucket: aws.String(e.bucket)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return "", true
		}
		for _, o := range page.Contents {
			keys[aws.ToString(o.Key)] = true
		}
	}
	for _, ref := range testenv.IndexRefs(html) {
		if !keys[ref] {
			return ref, false
		}
	}
	return "", true
}

func TestFaultsAreRetriedAndNoPartialReleaseIsVisible(t *testing.T) {
	e := newEnv(t,
		testenv.Rule{Name: "put-503", Method: "PUT", Fault: testenv.Fault503, Rate: 0.12},
		testenv.Rule{Name: "put-500", Method: "PUT", Fault: testenv.Fault500, Rate: 0.08},
		testenv.Rule{Name: "reset", Fault: testenv.FaultReset, Rate: 0.05},
		testenv.Rule{Name: "slowdown", Method: "POST", Fault: testenv.FaultSlowDown, Times: 1},
		testenv.Rule{Name: "slow-list", Method: "GET", QueryContains: "list-type", Latency: 20 * time.Millisecond},
	)
	b := bundle(t, 120, 6)

	// A watcher reads the bucket straight from moto all the time and checks every page it sees.
	ctx, stop := context.WithCancel(context.Background())
	var checks atomic.Int64
	var mu sync.Mutex
	var broken []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if ref, ok := e.consistent(ctx); !ok && ctx.Err() == nil {
				mu.Lock()
				broken = append(broken, ref)
				mu.Unlock()
			}
			checks.Add(1)
		}
	}()
	_, r1 := deploy(t, e.input(b.Dir))
	dir := freshCopy(t, b.Dir)
	ch, err := testenv.ChangeBundle(dir, 0.2, 8)
	if err != nil {
		t.Fatal(err)
	}
	in := e.input(dir)
	in.KeepReleases = -1
	_, r2 := deploy(t, in)
	stop()
	<-done
	if len(broken) > 0 {
		t.Fatalf("index.html referenced missing objects during the release (%d of %d checks): %v", len(broken), checks.Load(), broken)
	}
	inj := e.proxy.Injected()
	if inj["put-503"] == 0 || inj["put-500"] == 0 || inj["reset"] == 0 || inj["slowdown"] != 1 {
		t.Fatalf("faults not all injected (test proves nothing): %v", inj)
	}
	if r1.Uploaded.Count != b.Files || r2.Uploaded.Count != ch.Files || r2.Deleted.Count != len(ch.Removed) {
		t.Fatalf("results: first %+v, second %+v (changed %d, removed %d)", r1.Uploaded, r2, ch.Files, len(ch.Removed))
	}
	// Final state: exactly the new bundle + manifest, byte for byte (+ its kept copies).
	objs, kept := split(e.remote(t))
	if len(objs) != b.Files+1 || len(kept) != 4 {
		t.Errorf("bucket holds %d objects and %d kept copies, want %d and 4 (the first release's are pruned)", len(objs), len(kept), b.Files+1)
	}
	if !bytes.Equal(e.get(t, "index.html"), must(os.ReadFile(filepath.Join(dir, "index.html")))) {
		t.Error("final index.html is not the new one")
	}
	t.Logf("%d consistency checks, faults injected: %v", checks.Load(), inj)
}

func TestPermanentAssetFailureWritesNoHTMLAndDeletesNothing(t *testing.T) {
	e := newEnv(t)
	b := bundle(t, 50, 9)
	deploy(t, e.input(b.Dir))
	oldIndex := e.get(t, "index.html")
	dir := freshCopy(t, b.Dir)
	ch, err := testenv.ChangeBundle(dir, 0.1, 10)
	if err != nil {
		t.Fatal(err)
	}
	// The new name of the first replaced chunk always fails.
	p, err := release.PlanRelease(context.Background(), release.Input{Client: e.client, Bucket: e.bucket, Dir: dir, KeepReleases: -1})
	if err != nil {
		t.Fatal(err)
	}
	var victim string
	for _, c := range p.Changes {
		if c.Action == release.ActionUpload && c.Class == release.ClassHashed {
			victim = c.Key
			break
		}
	}
	e.proxy.SetRules(testenv.Rule{Name: "victim", Method: "PUT", PathContains: victim, Fault: testenv.Fault500})
	e.proxy.ResetCounters()
	_, err = release.Apply(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), victim) {
		t.Fatalf("Apply error = %v, want one naming %s", err, victim)
	}
	if !bytes.Equal(e.get(t, "index.html"), oldIndex) {
		t.Fatal("index.html was replaced although an asset it needs failed to upload")
	}
	for _, w := range writes(e.proxy) {
		if w.Method == "POST" || w.Method == "DELETE" || strings.HasSuffix(w.Path, ".html") || strings.Contains(w.Path, ".bookme") {
			t.Errorf("write after a failed asset: %s %s?%s", w.Method, w.Path, w.Query)
		}
	}
	for _, old := range ch.Removed {
		if _, ok := e.remote(t)[old]; !ok {
			t.Errorf("%s deleted although the release failed", old)
		}
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	e := newEnv(t)
	b := bundle(t, 40, 11)
	deploy(t, e.input(b.Dir))
	before := e.remote(t)
	dir := freshCopy(t, b.Dir)
	ch, err := testenv.ChangeBundle(dir, 0.1, 12)
	if err != nil {
		t.Fatal(err)
	}
	e.proxy.ResetCounters()
	in := e.input(dir)
	in.KeepReleases = -1
	p, err := release.PlanRelease(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	text := p.Text()
	if w := writes(e.proxy); len(w) != 0 {
		t.Fatalf("Plan wrote: %+v", w)
	}
	for _, old := range ch.Removed {
		if !strings.Contains(text, "delete          "+old) {
			t.Errorf("plan text lacks the delete of %s:\n%s", old, text)
		}
	}
	if !strings.Contains(text, "upload          index.html") || !strings.Contains(text, "4. write release manifest") {
		t.Errorf("plan text lacks the index.html upload or manifest write:\n%s", text)
	}
	if strings.Index(text, "upload          index.html") < strings.Index(text, ".chunk.") {
		t.Errorf("plan text does not list HTML after the assets:\n%s", text)
	}
	after := e.remote(t)
	if len(after) != len(before) {
		t.Fatalf("bucket changed during dry run: %d → %d objects", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("object %s changed during dry run", k)
		}
	}
	var pj map[string]any
	if err := json.Unmarshal(must(json.Marshal(p)), &pj); err != nil || pj["changedPaths"] == nil {
		t.Errorf("plan JSON: %v %v", pj, err)
	}
}

func TestBadInputIsOneClearErrorBeforeAnyWrite(t *testing.T) {
	e := newEnv(t)
	good := bundle(t, 12, 13).Dir
	noIndex := t.TempDir()
	if err := os.WriteFile(filepath.Join(noIndex, "main.js"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, want string
		in         release.Input
		rules      []testenv.Rule
	}{
		{"missing dir", "does not exist (build the client first)", release.Input{Client: e.client, Bucket: e.bucket, Dir: filepath.Join(noIndex, "nope")}, nil},
		{"no index.html", "has no index.html", release.Input{Client: e.client, Bucket: e.bucket, Dir: noIndex}, nil},
		{"unknown bucket", `bucket "no-such-bucket" does not exist`, release.Input{Client: e.client, Bucket: "no-such-bucket", Dir: good}, nil},
		{"access denied", "access denied: cannot list s3://spa", release.Input{Client: e.client, Bucket: e.bucket, Dir: good},
			[]testenv.Rule{{Method: "GET", QueryContains: "list-type", Fault: testenv.FaultRespond, Status: 403,
				Header: map[string][]string{"Content-Type": {"application/xml"}}, Body: testenv.S3ErrorBody("AccessDenied", "Access Denied")}}},
		{"no bucket", "no bucket given", release.Input{Client: e.client, Dir: good}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.proxy.SetRules(c.rules...)
			e.proxy.ResetCounters()
			_, err := release.PlanRelease(context.Background(), c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want one containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
			if w := writes(e.proxy); len(w) != 0 {
				t.Errorf("writes before the error: %+v", w)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// stagedRelease releases v1 whole, then plans v2 and only stages it.
func stagedRelease(t *testing.T, e *env) (v1, v2 string, p *release.Plan) {
	t.Helper()
	v1 = versionBundle(t, 1)
	in := e.input(v1)
	in.ReleaseID = "v1"
	deploy(t, in)
	v2 = versionBundle(t, 2)
	in = e.input(v2)
	in.ReleaseID = "v2"
	p, err := release.PlanRelease(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return v1, v2, p
}

// Stage writes new keys only: index.html and the manifest keep their bytes, nothing is deleted
// or overwritten, and the served page references only objects that exist.
func TestStageChangesNothingServed(t *testing.T) {
	e := newEnv(t)
	v1, _, p := stagedRelease(t, e)
	before := e.remote(t)
	manifestBefore := e.get(t, release.ManifestName)
	e.proxy.ResetCounters()
	res, err := release.Stage(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.CutOver || res.Uploaded.Count != 1 { // page.v00000002.js
		t.Fatalf("stage result %+v", res)
	}
	after := e.remote(t)
	for k, etag := range before {
		if after[k] != etag {
			t.Errorf("stage changed or deleted %s", k)
		}
	}
	for _, w := range writes(e.proxy) {
		if w.Method != "PUT" || strings.HasSuffix(w.Path, ".html") || strings.HasSuffix(w.Path, release.ManifestName) {
			t.Errorf("stage wrote %s %s", w.Method, w.Path)
		}
	}
	if !bytes.Equal(e.get(t, "index.html"), must(os.ReadFile(filepath.Join(v1, "index.html")))) {
		t.Error("index.html is not v1's after the stage")
	}
	if !bytes.Equal(e.get(t, release.ManifestName), manifestBefore) {
		t.Error("the release manifest changed during the stage")
	}
	if h, err := release.History(context.Background(), e.direct, e.bucket, ""); err != nil || h[len(h)-1].ID != "v1" {
		t.Errorf("history after the stage: %+v %v", h, err)
	}
	if ref, ok := e.consistent(context.Background()); !ok {
		t.Errorf("index.html references missing %s", ref)
	}
	if _, err := release.CutOver(context.Background(), &release.Plan{}); err == nil {
		t.Error("CutOver of a plan not made by PlanRelease succeeded")
	}
}

// CutOver refuses an unstaged plan, and after Stage switches the served release.
func TestCutOverSwitchesAfterStage(t *testing.T) {
	e := newEnv(t)
	_, v2, p := stagedRelease(t, e)
	if _, err := release.CutOver(context.Background(), p); err == nil || !strings.Contains(err.Error(), "before Stage") {
		t.Fatalf("cut-over before the stage: %v", err)
	}
	if p.Previous == nil || p.Previous.ID != "v1" {
		t.Fatalf("plan's previous release %+v, want v1", p.Previous)
	}
	if _, err := release.Stage(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	res, err := release.CutOver(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !res.CutOver || !res.ManifestWritten || res.Uploaded.Count != 2 { // page v2 + index.html
		t.Fatalf("cut-over result %+v", res)
	}
	if !bytes.Equal(e.get(t, "index.html"), must(os.ReadFile(filepath.Join(v2, "index.html")))) {
		t.Error("index.html is not v2's after the cut-over")
	}
	h, err := release.History(context.Background(), e.direct, e.bucket, "")
	if err != nil || len(h) != 2 || h[1].ID != "v2" {
		t.Errorf("history %+v %v", h, err)
	}
	if _, ok := e.remote(t)[release.KeptKey(p.Digest, "index.html")]; !ok {
		t.Error("no kept copy of v2's index.html")
	}
}

// Restoring the previous release puts back its index.html bytes (and headers) from the kept
// copy, without the v1 bundle, and records it as the newest release.
func TestRestorePreviousPutsBackItsIndex(t *testing.T) {
	e := newEnv(t)
	v1, _, p := stagedRelease(t, e)
	v1Index := must(os.ReadFile(filepath.Join(v1, "index.html")))
	if err := os.RemoveAll(v1); err != nil { // the old bundle is gone
		t.Fatal(err)
	}
	if _, err := release.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	rp, err := release.PlanRestore(context.Background(), release.RestoreInput{Client: e.client, Bucket: e.bucket, Seq: p.Previous.Seq})
	if err != nil {
		t.Fatal(err)
	}
	if len(rp.Changes) != 1 || rp.Changes[0].Path != "index.html" || strings.Join(rp.ChangedPaths, ",") != "index.html" {
		t.Fatalf("restore plan:\n%s", rp.Text())
	}
	res, err := release.Restore(context.Background(), rp)
	if err != nil {
		t.Fatal(err)
	}
	if res.Restored.Count != 1 || !res.ManifestWritten {
		t.Errorf("restore result %+v", res)
	}
	if !bytes.Equal(e.get(t, "index.html"), v1Index) {
		t.Fatal("index.html is not v1's after the restore")
	}
	head := must(e.direct.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("index.html")}))
	if aws.ToString(head.CacheControl) != release.CacheNoCache || !strings.HasPrefix(aws.ToString(head.ContentType), "text/html") {
		t.Errorf("restored index.html headers %q %q", aws.ToString(head.ContentType), aws.ToString(head.CacheControl))
	}
	if ref, ok := e.consistent(context.Background()); !ok {
		t.Errorf("restored index.html references missing %s", ref)
	}
	h, err := release.History(context.Background(), e.direct, e.bucket, "")
	if err != nil || len(h) != 3 || h[2].ID != "v1" || h[2].RestoredFrom != p.Previous.Seq {
		t.Errorf("history after the restore %+v %v", h, err)
	}
	// The next release plans from the restored state: v2 again uploads index.html only.
	in := e.input(versionBundle(t, 2))
	in.ReleaseID = "v2-again"
	p2, err := release.PlanRelease(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Upload.Count != 1 || p2.Previous == nil || p2.Previous.ID != "v1" {
		t.Errorf("release after the restore:\n%s", p2.Text())
	}
}

// A release made before kept copies existed gets them at the next stage, while still served.
func TestStageKeepsTheServedReleasesEntryFiles(t *testing.T) {
	e := newEnv(t)
	_, _, p := stagedRelease(t, e)
	// Forget v1's kept copies, as if it had been released by an older engine.
	for k := range e.remote(t) {
		if strings.HasPrefix(k, release.KeptPrefix) {
			if _, err := e.direct.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(k)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	in := e.input(versionBundle(t, 2))
	in.ReleaseID = "v2"
	p, err := release.PlanRelease(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := release.Stage(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.remote(t)[release.KeptKey(p.Previous.Digest, "index.html")]; !ok {
		t.Fatal("the stage kept no copy of the served release's index.html")
	}
	if _, err := release.CutOver(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	rp, err := release.PlanRestore(context.Background(), release.RestoreInput{Client: e.client, Bucket: e.bucket, Seq: p.Previous.Seq})
	if err != nil {
		t.Fatalf("restore of a release kept at the stage: %v", err)
	}
	if len(rp.Changes) != 1 {
		t.Errorf("restore plan:\n%s", rp.Text())
	}
}

// A build can change a file's bytes without changing its hashed name (CRA's .map after a
// comment-only change): the plan uploads it, adds it to the paths to invalidate (its immutable
// caching would keep the old bytes at the edges) and warns; an unchanged hashed file is not listed.
func TestHashedNameWithNewBytesIsInvalidatedAndWarned(t *testing.T) {
	e := newEnv(t)
	b := bundle(t, 20, 5)
	deploy(t, e.input(b.Dir))
	dir := freshCopy(t, b.Dir)
	var victim string
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		rel, _ := filepath.Rel(dir, p)
		if err == nil && !fi.IsDir() && victim == "" && release.IsHashed(filepath.ToSlash(rel)) {
			victim = filepath.ToSlash(rel)
		}
		return nil
	})
	if victim == "" {
		t.Fatal("the bundle has no hashed file")
	}
	f, err := os.OpenFile(filepath.Join(dir, victim), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("\n//# a comment-only change\n")
	_ = f.Close()
	p, r := deploy(t, e.input(dir))
	if !slices.Contains(p.ChangedPaths, victim) || !slices.Contains(r.ChangedPaths, victim) {
		t.Fatalf("changed paths %v / %v lack %s", p.ChangedPaths, r.ChangedPaths, victim)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], victim) || !strings.Contains(p.Text(), "warning: "+victim) {
		t.Fatalf("warnings %v\n%s", p.Warnings, p.Text())
	}
	if got := string(e.get(t, victim)); !strings.HasSuffix(got, "comment-only change\n") {
		t.Errorf("the bucket still serves the old bytes of %s", victim)
	}
	if n := len(p.ChangedPaths); n != 1 {
		t.Errorf("changed paths %v: only %s changed", p.ChangedPaths, victim)
	}
}
