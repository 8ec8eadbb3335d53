//go:build integration

package envfile

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/internal/testenv"
)

// Push against real moto S3: first upload, idempotent re-run, key-only diff, drift refusal,
// re-encryption of a seed-style unencrypted object, and aws:kms.
func TestPushAgainstMoto(t *testing.T) {
	m := testenv.StartMoto(t)
	cfg := m.Config(t)
	ctx := context.Background()
	testenv.CreateBucket(t, cfg, "book-me-prod-config")
	s3c := testenv.S3(cfg)
	tmpl, schema := repoFiles(t)
	r1, err := Render(tmpl, schema, sampleOutputs(), sampleRefs())
	if err != nil {
		t.Fatal(err)
	}
	in := PushInput{Bucket: "book-me-prod-config", Environment: "production", Rendered: r1}

	// 1. New object.
	p, err := PlanPush(ctx, s3c, in)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Upload || p.Reason != "new object" || len(p.Diff.Added) != len(r1.Keys) {
		t.Fatalf("first plan = %+v", p)
	}
	var progress bytes.Buffer
	res, err := ApplyPush(ctx, s3c, p, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Uploaded || strings.Count(progress.String(), "\n") != 1 {
		t.Fatalf("result %+v, progress %q", res, progress.String())
	}
	if p.Key != ReleaseKey("production", r1.SHA256) || !strings.HasPrefix(p.Key, "service-config/api/production/") {
		t.Fatalf("key %s is not content-addressed", p.Key)
	}
	head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(p.Key)})
	if err != nil {
		t.Fatal(err)
	}
	if head.ServerSideEncryption != "AES256" || aws.ToString(head.ContentType) != "text/plain" || head.Metadata["sha256"] != r1.SHA256 {
		t.Fatalf("object headers: sse=%q type=%q meta=%v", head.ServerSideEncryption, aws.ToString(head.ContentType), head.Metadata)
	}
	if got := getBody(t, s3c, in.Bucket, p.Key); got != string(r1.EnvFile) {
		t.Fatalf("stored body differs:\n%s", got)
	}
	etag1 := aws.ToString(head.ETag)

	// 2. Same content again, against the running release's file: nothing to do.
	in.Previous = p.Key
	p2, err := PlanPush(ctx, s3c, in)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Upload || p2.Key != p.Key || !p2.Diff.Empty() || !strings.Contains(p2.Text(), "already stored") {
		t.Fatalf("second plan should skip: %+v", p2)
	}
	res2, err := ApplyPush(ctx, s3c, p2, nil)
	if err != nil || res2.Uploaded {
		t.Fatalf("second apply: %+v %v", res2, err)
	}

	// 3. A changed value: a new key; the diff (against the running file) names the key, the plan
	// text never shows values; the running file is untouched.
	outs := sampleOutputs()
	outs["db_host"] = "other-db.internal.example"
	r3, err := Render(tmpl, schema, outs, sampleRefs())
	if err != nil {
		t.Fatal(err)
	}
	in.Rendered = r3
	p3, err := PlanPush(ctx, s3c, in)
	if err != nil {
		t.Fatal(err)
	}
	if !p3.Upload || p3.Key == p.Key || strings.Join(p3.Diff.Changed, ",") != "POSTGRES_HOST" || len(p3.Diff.Added)+len(p3.Diff.Removed) != 0 {
		t.Fatalf("third plan = %+v", p3)
	}
	if txt := p3.Text(); strings.Contains(txt, "other-db") || strings.Contains(txt, "rds.amazonaws.com") || !strings.Contains(txt, p.Key) {
		t.Fatalf("plan text leaks values or does not name the running file:\n%s", txt)
	}

	// 4. The same content lands between plan and apply (another run): already there, not rewritten.
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(p3.Key), Body: bytes.NewReader(r3.EnvFile)}); err != nil {
		t.Fatal(err)
	}
	h3, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(p3.Key)})
	if err != nil {
		t.Fatal(err)
	}
	res3, err := ApplyPush(ctx, s3c, p3, nil)
	if err != nil || res3.Uploaded {
		t.Fatalf("apply over an object with the same content: %+v %v", res3, err)
	}
	if h, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(p3.Key)}); err != nil || aws.ToString(h.ETag) != aws.ToString(h3.ETag) || !aws.ToTime(h.LastModified).Equal(aws.ToTime(h3.LastModified)) {
		t.Fatalf("the object was written again: %v", err)
	}

	// 5. Other content under the key (never written by a push): refused, object untouched.
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(p3.Key), Body: strings.NewReader("OTHER=1\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ApplyPush(ctx, s3c, p3, nil); err == nil || !strings.Contains(err.Error(), "other content") {
		t.Fatalf("other content not refused: %v", err)
	}
	if _, err := PlanPush(ctx, s3c, in); err == nil || !strings.Contains(err.Error(), "other content") {
		t.Fatalf("plan over other content not refused: %v", err)
	}
	if got := getBody(t, s3c, in.Bucket, p3.Key); got != "OTHER=1\n" {
		t.Fatalf("object overwritten: %q", got)
	}

	// 6. aws:kms, new content.
	outs["db_host"] = "kms-db.internal.example"
	r6, err := Render(tmpl, schema, outs, sampleRefs())
	if err != nil {
		t.Fatal(err)
	}
	in.Rendered, in.SSE = r6, SSEKMS
	p6, err := PlanPush(ctx, s3c, in)
	if err != nil {
		t.Fatal(err)
	}
	if !p6.Upload {
		t.Fatalf("kms plan = %+v", p6)
	}
	if _, err := ApplyPush(ctx, s3c, p6, nil); err != nil {
		t.Fatal(err)
	}
	head, err = s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(p6.Key)})
	if err != nil || head.ServerSideEncryption != "aws:kms" {
		t.Fatalf("kms head: %v %v", head.ServerSideEncryption, err)
	}
	if p7, err := PlanPush(ctx, s3c, in); err != nil || p7.Upload {
		t.Fatalf("kms re-plan should skip: %+v %v", p7, err)
	}
	// The first release's object was never rewritten.
	if h, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(in.Bucket), Key: aws.String(p.Key)}); err != nil || aws.ToString(h.ETag) != etag1 {
		t.Fatalf("the first env file changed: %v", err)
	}
}

func TestPushRefusesBadInputBeforeWriting(t *testing.T) {
	m := testenv.StartMoto(t)
	cfg := m.Config(t)
	s3c := testenv.S3(cfg)
	tmpl, schema := repoFiles(t)
	r, err := Render(tmpl, schema, sampleOutputs(), sampleRefs())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		in   PushInput
		want string
	}{
		{PushInput{Bucket: "b", Environment: "Prod/../x", Rendered: r}, "environment"},
		{PushInput{Bucket: "b", Environment: "production", Rendered: r, SSE: "none"}, "not supported"},
		{PushInput{Bucket: "no-such-bucket", Environment: "production", Rendered: r}, "NoSuchBucket"},
	} {
		if _, err := PlanPush(ctx, s3c, c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("PlanPush(%+v) error = %v, want %q", c.in.Environment, err, c.want)
		}
	}
}

func getBody(t *testing.T, s3c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := s3c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

// The CI plan role may not read application config (s3:GetObject on service-config/* is denied, see
// infra/modules/ci-access): a plan still says whether the release's env file is stored (from a
// listing) and that the key diff is unavailable, instead of failing the PR plan. moto grants every
// read, so the proxy answers the denial as S3 does (403 AccessDenied).
func TestPlanPushWithoutReadAccess(t *testing.T) {
	m := testenv.StartMoto(t)
	ctx := context.Background()
	testenv.CreateBucket(t, m.Config(t), "book-me-prod-config")
	owner := testenv.S3(m.Config(t))
	tmpl, schema := repoFiles(t)
	r1, err := Render(tmpl, schema, sampleOutputs(), sampleRefs())
	if err != nil {
		t.Fatal(err)
	}
	in := PushInput{Bucket: "book-me-prod-config", Environment: "production", Rendered: r1}
	proxy := testenv.StartFaultProxy(t, m.Endpoint, 1, testenv.Rule{Name: "denied", Method: http.MethodGet, PathContains: "/service-config/",
		Fault: testenv.FaultRespond, Status: http.StatusForbidden, Body: testenv.S3ErrorBody("AccessDenied", "Access Denied")})
	planner := testenv.S3(testenv.ConfigFor(t, proxy.URL))

	p, err := PlanPush(ctx, planner, in)
	if err != nil {
		t.Fatalf("plan without read access: %v", err)
	}
	if !p.Upload || p.Reason != "new object" || !strings.Contains(p.Text(), "cannot be read with these credentials (AccessDenied") || len(p.Diff.Added) != 0 {
		t.Fatalf("plan = %+v\n%s", p, p.Text())
	}
	// Once stored (by the deploy role), the listing finds it.
	stored, err := PlanPush(ctx, owner, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ApplyPush(ctx, owner, stored, io.Discard); err != nil {
		t.Fatal(err)
	}
	if p, err = PlanPush(ctx, planner, in); err != nil || p.Upload || !strings.HasPrefix(p.Reason, "already stored (content not verified") {
		t.Fatalf("plan of a stored env file without read access: %+v, %v", p, err)
	}
	if proxy.Count(http.MethodGet, "/service-config/") == 0 {
		t.Fatal("the plan never tried to read the env files: the denial was not exercised")
	}
}
