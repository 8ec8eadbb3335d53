//go:build integration

package reliability

// The bad-input matrix: every entry point of the core packages a deploy calls gets malformed,
// incomplete or wrong input against a seeded moto account (a released SPA, a CloudFront
// distribution, an ECR repository with an image, an ECS cluster with two services, a config bucket
// with the env file and a deploy lock held by another deploy). Each case must fail with a clear
// error whose first line names the problem, and must change nothing: the account is snapshotted
// (every S3 object with ETag and headers, ECS services/deployments/task-definition revisions, ECR
// images, CloudFront invalidations) before and after and the two must be identical.
//
// "Wrong credentials" cannot be played by moto (it accepts any key), so those cases go through a
// FaultProxy that answers every request the way AWS answers an unknown access key, per protocol.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/cdn"
	"bookme-deploy/core/emulator"
	"bookme-deploy/core/envfile"
	"bookme-deploy/core/lock"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/stack"
	"bookme-deploy/internal/testenv"
)

// A recognisable fake secret put into bad env files: no error may echo it.
const fakeSecret = "FAKE-bad-input-secret-7c1d2e3f"

type badCase struct {
	group, name string
	// want is a substring the error must contain (it names the problem).
	want string
	run  func(ctx context.Context) error
}

// knownIssues are defects found by this matrix and reported to the owning package, by
// "group/case". Remove an entry once the package is fixed (the test then says so).
var knownIssues = map[string]string{}

func TestBadInputMatrix(t *testing.T) {
	m := testenv.StartMoto(t, testenv.WithEnv("MOTO_ECS_SERVICE_RUNNING", "1"))
	cfg := m.Config(t)
	ctx := context.Background()
	s3c := testenv.S3(cfg)

	// Seed the account a deploy would find.
	testenv.CreateBucket(t, cfg, clientBucket)
	testenv.CreateBucket(t, cfg, configBucket)
	bundle := smallBundle(t, 12, 1)
	deployBundle(t, cfg, clientBucket, bundle)
	dist := testenv.CreateDistribution(t, cfg, clientBucket)
	seedECR(t, cfg)
	testenv.SeedECS(t, cfg, cluster,
		testenv.ECSService{Name: "api", Family: "bookme-api", Container: "web", Image: oldImage, Desired: 1},
		testenv.ECSService{Name: "worker", Family: "bookme-worker", Container: "web", Image: oldImage, Desired: 1, StopTimeout: 120})
	r := rendered(t)
	pp, err := envfile.PlanPush(ctx, s3c, envfile.PushInput{Bucket: configBucket, Environment: "production", Rendered: r})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envfile.ApplyPush(ctx, s3c, pp, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Acquire(ctx, s3c, lock.Options{Bucket: configBucket, TTL: time.Hour, Heartbeat: -1}, lock.Info{Holder: "other-deploy (ci run 41)", GitSHA: "ffffffffffff"}); err != nil {
		t.Fatal(err)
	}

	// A proxy answering every request as AWS answers an unknown access key.
	denied := testenv.StartFaultProxy(t, m.Endpoint, 1, rejectedCredentials()...)
	badCfg := testenv.ConfigFor(t, denied.URL)

	schema, err := envfile.LoadSchema(repoFile(t, "service-config/api/schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := repoFile(t, "service-config/api/env.tmpl")
	validEnv := func(mutate func(string) string) []byte {
		b := &bytes.Buffer{}
		for _, e := range r.File.Entries {
			fmt.Fprintf(b, "%s=%s\n", e.Key, e.Value)
		}
		return []byte(mutate(b.String()))
	}
	parseValidate := func(data []byte) error {
		f, err := envfile.Parse(data)
		if err != nil {
			return err
		}
		return envfile.Validate(f, schema)
	}
	noIndex := filepath.Join(t.TempDir(), "no-index")
	os.MkdirAll(noIndex, 0o755)
	os.WriteFile(filepath.Join(noIndex, "main.js"), []byte("x"), 0o644)
	rel := func(in release.Input) error {
		in.Concurrency = 4
		if in.Client == nil {
			in.Client = s3c
		}
		p, err := release.PlanRelease(ctx, in)
		if err != nil {
			return err
		}
		_, err = release.Apply(ctx, p)
		return err
	}
	cdnRun := func(c *cloudfront.Client, id string) error {
		p, err := cdn.PlanInvalidation(ctx, cdn.Input{Client: c, DistributionID: id, ChangedPaths: []string{"index.html"}})
		if err != nil {
			return err
		}
		_, err = cdn.Apply(ctx, p)
		return err
	}
	rollRun := func(c aws.Config, mod func(*rollout.Input)) error {
		in := rollout.Input{Cluster: cluster, API: "api", Workers: []string{"worker"}, Container: "web", Image: newImage, GitSHA: gitSHA,
			Settings: rollout.Settings{PollInterval: 20 * time.Millisecond, Timeout: 5 * time.Second}}
		mod(&in)
		e := rollout.New(c, nil, emulator.RolloutOptions()...)
		p, err := e.Plan(ctx, in)
		if err != nil {
			return err
		}
		_, err = e.Apply(ctx, p)
		return err
	}
	push := func(c aws.Config, bucket, env string) error {
		p, err := envfile.PlanPush(ctx, testenv.S3(c), envfile.PushInput{Bucket: bucket, Environment: env, Rendered: r})
		if err != nil {
			return err
		}
		_, err = envfile.ApplyPush(ctx, testenv.S3(c), p, nil)
		return err
	}
	publish := func(c aws.Config, in registry.PublishInput) error {
		_, err := registry.PlanPublish(ctx, ecr.NewFromConfig(c), in)
		return err
	}
	infraDir := filepath.Join("..", "..", "infra")

	cases := []badCase{
		// Env files.
		{"env file", "line without '='", "expected KEY=VALUE", func(context.Context) error {
			return parseValidate(validEnv(func(s string) string { return s + "JUST_A_WORD " + fakeSecret + "\n" }))
		}},
		{"env file", "invalid key name", "invalid key name", func(context.Context) error {
			return parseValidate(validEnv(func(s string) string { return s + "9BAD-KEY=" + fakeSecret + "\n" }))
		}},
		{"env file", "duplicate key", "duplicate key POSTGRES_DB", func(context.Context) error {
			return parseValidate(validEnv(func(s string) string { return s + "POSTGRES_DB=" + fakeSecret + "\n" }))
		}},
		{"env file", "unterminated quote", "POSTGRES_DB", func(context.Context) error {
			return parseValidate(validEnv(func(s string) string {
				return strings.Replace(s, "POSTGRES_DB=bookme", `POSTGRES_DB="`+fakeSecret, 1)
			}))
		}},
		{"env file", "required key missing", "POSTGRES_HOST", func(context.Context) error {
			return parseValidate(validEnv(func(s string) string {
				return strings.Replace(s, "POSTGRES_HOST=bookme-prod.abc.eu-central-1.rds.amazonaws.com\n", "", 1)
			}))
		}},
		{"env file", "wrong type (port not a number)", "POSTGRES_PORT", func(context.Context) error {
			return parseValidate(validEnv(func(s string) string { return strings.Replace(s, "POSTGRES_PORT=5432", "POSTGRES_PORT=five", 1) }))
		}},
		{"env file", "plain-text secret", "DJANGO_SECRET_KEY", func(context.Context) error {
			return parseValidate(validEnv(func(s string) string {
				i := strings.Index(s, "DJANGO_SECRET_KEY=")
				j := i + strings.Index(s[i:], "\n")
				return s[:i] + "DJANGO_SECRET_KEY=" + fakeSecret + s[j:]
			}))
		}},
		{"env file", "unknown key", "NOT_IN_SCHEMA", func(context.Context) error {
			return parseValidate(validEnv(func(s string) string { return s + "NOT_IN_SCHEMA=" + fakeSecret + "\n" }))
		}},
		{"env file", "template output missing", "db_host", func(context.Context) error {
			o := outputs()
			delete(o, "db_host")
			_, err := envfile.Render(tmpl, schema, o, nil)
			return err
		}},
		{"env file", "push: unknown config bucket", "NoSuchBucket", func(context.Context) error { return push(cfg, "no-such-config-bucket", "production") }},
		{"env file", "push: bad environment name", "must be lower-case", func(context.Context) error { return push(cfg, configBucket, "Prod!") }},
		// OpenTofu outputs / var files.
		{"tfvars/outputs", "output with wrong type (db_port string)", "db_port", func(context.Context) error {
			_, err := stack.ParseBase([]byte(baseOutputs(`"five"`)))
			return err
		}},
		{"tfvars/outputs", "output with wrong type (subnets a string)", "private_subnet_ids", func(context.Context) error {
			_, err := stack.ParseBase([]byte(strings.Replace(baseOutputs("5432"), `"private_subnet_ids":{"value":["subnet-1"]}`, `"private_subnet_ids":{"value":"subnet-1"}`, 1)))
			return err
		}},
		{"tfvars/outputs", "outputs missing", "missing output", func(context.Context) error {
			_, err := stack.ParseFrontend([]byte(`{"client_bucket":{"value":"b"}}`))
			return err
		}},
		{"tfvars/outputs", "outputs not JSON", "not the JSON", func(context.Context) error {
			_, err := stack.ParseBackend([]byte(`cluster_name = "x"`))
			return err
		}},
		{"tfvars/outputs", "unknown environment", `environment "qa"`, func(context.Context) error {
			_, err := stack.VarFiles(infraDir, "qa", stack.StackBackend)
			return err
		}},
		// SPA release.
		{"release", "missing bundle directory", "bundle", func(context.Context) error {
			return rel(release.Input{Bucket: clientBucket, Dir: filepath.Join(t.TempDir(), "nope")})
		}},
		{"release", "bundle without index.html", "index.html", func(context.Context) error { return rel(release.Input{Bucket: clientBucket, Dir: noIndex}) }},
		{"release", "unknown bucket", "does not exist", func(context.Context) error { return rel(release.Input{Bucket: "no-such-client-bucket", Dir: bundle}) }},
		{"release", "no bucket", "no bucket", func(context.Context) error { return rel(release.Input{Dir: bundle}) }},
		{"release", "bad rules file", "rules file", func(context.Context) error {
			_, err := release.ParseRules([]byte(`{"rules":[{"match":"[","cacheControl":"x"}]}`))
			return err
		}},
		{"release", "wrong credentials", "credentials", func(context.Context) error {
			return rel(release.Input{Client: testenv.S3(badCfg), Bucket: clientBucket, Dir: bundle})
		}},
		// CDN.
		{"cdn", "unknown distribution", "E0000000000000", func(context.Context) error { return cdnRun(cloudfront.NewFromConfig(cfg), "E0000000000000") }},
		{"cdn", "no distribution id", "no distribution", func(context.Context) error { return cdnRun(cloudfront.NewFromConfig(cfg), "") }},
		{"cdn", "wrong credentials", "InvalidClientTokenId", func(context.Context) error { return cdnRun(cloudfront.NewFromConfig(badCfg), dist) }},
		// ECR / image references.
		{"image", "unknown repository", "does not exist", func(context.Context) error {
			return publish(cfg, registry.PublishInput{Repository: "no-such-repo", GitSHA: gitSHA})
		}},
		{"image", "git SHA not hex", "SHA", func(context.Context) error {
			return publish(cfg, registry.PublishInput{Repository: repoName, GitSHA: "not-a-sha!"})
		}},
		{"image", "Dockerfile without production stage", "production", func(context.Context) error {
			return publish(cfg, registry.PublishInput{Repository: repoName, GitSHA: gitSHA, Dockerfile: []byte("FROM debian:12 AS dev\n")})
		}},
		{"image", "wrong credentials (ECR auth)", "credentials were rejected", func(ctx context.Context) error {
			_, err := registry.Auth(ctx, ecr.NewFromConfig(badCfg))
			return err
		}},
		{"image", "image by tag, not digest", "digest", func(context.Context) error {
			return rollRun(cfg, func(in *rollout.Input) {
				in.Image = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/book-me-test-api:latest"
			})
		}},
		{"image", "malformed digest", "digest", func(context.Context) error {
			return rollRun(cfg, func(in *rollout.Input) { in.Image = "book-me-test-api@sha256:1234" })
		}},
		// ECS rollout.
		{"ecs", "unknown cluster", "no-such-cluster", func(context.Context) error {
			return rollRun(cfg, func(in *rollout.Input) { in.Cluster = "no-such-cluster" })
		}},
		{"ecs", "unknown service", "no-such-service", func(context.Context) error {
			return rollRun(cfg, func(in *rollout.Input) { in.Workers = []string{"no-such-service"} })
		}},
		{"ecs", "wrong container name", "nginx", func(context.Context) error {
			return rollRun(cfg, func(in *rollout.Input) { in.Container = "nginx" })
		}},
		{"ecs", "wrong credentials", "UnrecognizedClient", func(context.Context) error { return rollRun(badCfg, func(*rollout.Input) {}) }},
		// Credentials and lock.
		{"credentials", "secret key missing", "together", func(ctx context.Context) error {
			_, err := awsconf.Load(ctx, awsconf.Options{Region: testenv.Region, AccessKeyID: "AKIAFAKE", Endpoint: m.Endpoint})
			return err
		}},
		{"credentials", "no region", "region", func(ctx context.Context) error {
			_, err := awsconf.Load(ctx, awsconf.Options{AccessKeyID: "a", SecretAccessKey: "b", Endpoint: m.Endpoint})
			return err
		}},
		{"lock", "held by another deploy", "other-deploy", func(ctx context.Context) error {
			l, err := lock.Acquire(ctx, s3c, lock.Options{Bucket: configBucket, Timeout: 300 * time.Millisecond, Poll: 100 * time.Millisecond},
				lock.Info{Holder: "this-deploy", GitSHA: gitSHA})
			if err == nil {
				l.Release(ctx)
				return errors.New("")
			}
			return err
		}},
		{"lock", "unknown config bucket", "NoSuchBucket", func(ctx context.Context) error {
			_, err := lock.Acquire(ctx, s3c, lock.Options{Bucket: "no-such-config-bucket"}, lock.Info{Holder: "this-deploy"})
			return err
		}},
	}

	before, err := Snapshot(ctx, cfg, SnapshotOptions{ECS: true, ECR: true, CloudFront: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Lines) < 20 {
		t.Fatalf("seeded account looks empty (%d lines):\n%s", len(before.Lines), strings.Join(before.Lines, "\n"))
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-15s %-42s %-6s %-9s %-6s %s\n", "group", "case", "error", "unchanged", "clear", "first line of the error")
	passed, known := 0, 0
	for _, c := range cases {
		knownIssue := knownIssues[c.group+"/"+c.name]
		err := c.run(ctx)
		after, serr := Snapshot(ctx, cfg, SnapshotOptions{ECS: true, ECR: true, CloudFront: true})
		if serr != nil {
			t.Fatalf("%s/%s: snapshot: %v", c.group, c.name, serr)
		}
		diff := Diff(before, after)
		ok := true
		msg := ""
		if err == nil || err.Error() == "" {
			ok = false
			t.Errorf("%s / %s: no error", c.group, c.name)
		} else {
			msg = err.Error()
			first, _, _ := strings.Cut(msg, "\n")
			if why := unclear(msg, c.want); why != "" {
				ok = false
				if knownIssue != "" {
					known++
					t.Logf("KNOWN ISSUE %s / %s: unclear error (%s): %q — %s", c.group, c.name, why, msg, knownIssue)
				} else {
					t.Errorf("%s / %s: unclear error (%s): %q", c.group, c.name, why, msg)
				}
			} else if knownIssue != "" {
				t.Errorf("%s / %s passes now: remove its known-issue note", c.group, c.name)
			}
			msg = first
		}
		if len(diff) > 0 {
			ok = false
			t.Errorf("%s / %s changed the account:\n%s", c.group, c.name, strings.Join(diff, "\n"))
		}
		if ok {
			passed++
		}
		if len(msg) > 110 {
			msg = msg[:107] + "…"
		}
		verdict := "ok"
		if !ok {
			verdict = "FAIL"
			if knownIssue != "" && len(diff) == 0 && err != nil {
				verdict = "KNOWN"
			}
		}
		fmt.Fprintf(&table, "%-15s %-42s %-6v %-9v %-6s %s\n", c.group, c.name, err != nil, len(diff) == 0, verdict, msg)
	}
	fmt.Fprintf(&table, "bad-input cases tried: %d, passed (clear error, account unchanged): %d, known issues: %d\n", len(cases), passed, known)
	t.Logf("bad-input matrix (account snapshot of %d lines compared after every case):\n%s", len(before.Lines), table.String())
	writeTable(t, "badinput.txt", table.String())
}

// unclear says why an error message is not a clear one-problem message ("" when it is): it must
// contain want, have a first line of at most 400 characters, never echo the fake secret, and carry
// no formatting accidents.
func unclear(msg, want string) string {
	first, _, _ := strings.Cut(msg, "\n")
	switch {
	case !strings.Contains(msg, want):
		return fmt.Sprintf("does not mention %q", want)
	case len(first) > 400:
		return fmt.Sprintf("first line is %d characters", len(first))
	case strings.Contains(msg, fakeSecret):
		return "echoes a secret value"
	case strings.Contains(msg, "%!") || strings.Contains(msg, "<nil>") || strings.Contains(msg, "panic"):
		return "formatting accident"
	}
	return ""
}

// baseOutputs is `tofu output -json` of the base stack with db_port set to port (raw JSON).
func baseOutputs(port string) string {
	v := func(s string) string { return `{"value":"` + s + `"}` }
	return `{"region":` + v("eu-central-1") + `,"vpc_id":` + v("vpc-1") + `,"public_subnet_ids":{"value":["subnet-0"]},` +
		`"private_subnet_ids":{"value":["subnet-1"]},"app_security_group_id":` + v("sg-1") + `,"ecr_repository_url":` + v("r/x") +
		`,"ecr_repository_name":` + v("x") + `,"ecr_repository_arn":` + v("arn:x") + `,"config_bucket":` + v("c") + `,"static_bucket":` + v("s") +
		`,"static_bucket_domain_name":` + v("s.example") + `,"db_host":` + v("db") + `,"db_port":{"value":` + port + `},"db_name":` + v("bookme") +
		`,"db_master_username":` + v("postgres") + `,"db_secret_arn":` + v("arn:db") + `,"redis_host":` + v("redis") + `,"redis_port":{"value":6379},` +
		`"app_secret_arn":` + v("arn:app") + `,"redis_secret_arn":` + v("arn:redis") + `}`
}

// rejectedCredentials are FaultProxy rules answering every request the way AWS answers an unknown
// access key, in each protocol's error format.
func rejectedCredentials() []testenv.Rule {
	isJSON := func(r *http.Request) bool { return r.Header.Get("X-Amz-Target") != "" }
	isCloudFront := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/2020-05-31/") }
	return []testenv.Rule{
		{Name: "json", Match: isJSON, Fault: testenv.FaultRespond, Status: http.StatusBadRequest,
			Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amzn-Errortype": {"UnrecognizedClientException"}},
			Body:   `{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}`},
		{Name: "cloudfront", Match: isCloudFront, Fault: testenv.FaultRespond, Status: http.StatusForbidden,
			Header: http.Header{"Content-Type": {"text/xml"}},
			Body: `<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type>` +
				`<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>x</RequestId></ErrorResponse>`},
		{Name: "s3", Fault: testenv.FaultRespond, Status: http.StatusForbidden, Header: http.Header{"Content-Type": {"application/xml"}},
			Body: testenv.S3ErrorBody("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")},
	}
}

// writeTable writes a table under $RELIABILITY_OUT (when set) so scripts can collect it.
func writeTable(t *testing.T, name, text string) {
	dir := os.Getenv("RELIABILITY_OUT")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
