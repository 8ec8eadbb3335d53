//go:build integration

package deploy_test

// The fake ports of the integration tests and the emulated account they point at: the account's
// resources are created in moto by the test (what the OpenTofu stacks would have created), and the
// fake Tofu reports them as `tofu output -json`.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator"
	"bookme-deploy/core/emulator/rehearsal"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/stack"
	"bookme-deploy/internal/testenv"
)

const (
	env        = "staging"
	commit     = "c0ffee0123456789abcdef0123456789abcdef01"
	stateB     = "bookme-it-tofu-state"
	configB    = "bookme-it-staging-config"
	clientB    = "bookme-it-staging-client"
	staticB    = "bookme-it-staging-static"
	repoName   = "bookme-it-api"
	cluster    = "bookme-it-staging"
	apiSvc     = "bookme-it-api"
	workerSvc  = "bookme-it-worker"
	container  = "api"
	oldImage   = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/bookme-it-api@sha256:0000000000000000000000000000000000000000000000000000000000000000"
	appSecret  = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:bookme-it-staging-app-AbCdEf"
	dbSecret   = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!db-0123-AbCdEf"
	apiDomain  = "api.staging.book-me.example.com"
	siteDomain = "staging.book-me.example.com"
)

var families = map[string]string{"api": "bookme-it-api", "worker": "bookme-it-worker", "migrate": "bookme-it-migrate", "shell": "bookme-it-shell"}

// account is an emulated account seeded with what the three stacks would have created.
type account struct {
	moto    *testenv.Moto
	cfg     aws.Config
	s3      *s3.Client
	outputs map[string][]byte // stack → `tofu output -json`
	distID  string
}

// newAccount starts moto (every ECS service reports its one task running, as in the dry-run) and
// creates the buckets, the ECR repository, the ECS cluster, services and task-definition families
// and the CloudFront distribution.
func newAccount(t *testing.T) *account {
	t.Helper()
	var opts []testenv.MotoOption
	for k, v := range emulator.MotoEnv {
		opts = append(opts, testenv.WithEnv(k, v))
	}
	m := testenv.StartMoto(t, opts...)
	cfg := m.Config(t)
	a := &account{moto: m, cfg: cfg, s3: testenv.S3(cfg)}
	ctx := context.Background()
	for _, b := range []string{stateB, configB, clientB, staticB} {
		testenv.CreateBucket(t, cfg, b)
	}
	repo, err := ecr.NewFromConfig(cfg).CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repoName),
		ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable})
	if err != nil {
		t.Fatalf("create ECR repository: %v", err)
	}
	seeded := testenv.SeedECS(t, cfg, cluster,
		testenv.ECSService{Name: apiSvc, Family: families["api"], Container: container, Image: oldImage, Desired: 1},
		testenv.ECSService{Name: workerSvc, Family: families["worker"], Container: container, Image: oldImage, Desired: 1, StopTimeout: 120})
	// One container per task definition, as infra/stacks/backend/tasks.tf has (SeedECS's first
	// revisions carry a sidecar): the services move to such a revision, the one-off families get one.
	c := ecs.NewFromConfig(cfg)
	templates := map[string]string{} // these revisions play OpenTofu's templates (output task_definition_templates)
	for _, f := range []string{families["api"], families["worker"], families["migrate"], families["shell"]} {
		td, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String(f), NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
			RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
			ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/" + f + "-exec"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String(container), Image: aws.String(oldImage),
				Essential: aws.Bool(true), MemoryReservation: aws.Int32(256),
				LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
					"awslogs-group": "/ecs/" + f, "awslogs-region": cfg.Region, "awslogs-stream-prefix": "ecs"}}}},
		})
		if err != nil {
			t.Fatalf("register %s: %v", f, err)
		}
		for role, fam := range families {
			if fam == f {
				templates[role] = aws.ToString(td.TaskDefinition.TaskDefinitionArn)
			}
		}
		svc := map[string]string{families["api"]: apiSvc, families["worker"]: workerSvc}[f]
		if svc == "" {
			continue
		}
		if _, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(svc),
			TaskDefinition: td.TaskDefinition.TaskDefinitionArn}); err != nil {
			t.Fatalf("update service %s: %v", svc, err)
		}
	}
	a.distID = testenv.CreateDistribution(t, cfg, clientB)

	base := map[string]any{
		"region": testenv.Region, "vpc_id": "vpc-it", "public_subnet_ids": seeded.Subnets, "private_subnet_ids": seeded.Subnets,
		"app_security_group_id": seeded.SecurityGroups[0], "ecr_repository_url": aws.ToString(repo.Repository.RepositoryUri),
		"ecr_repository_name": repoName, "ecr_repository_arn": aws.ToString(repo.Repository.RepositoryArn),
		"config_bucket": configB, "static_bucket": staticB, "static_bucket_domain_name": staticB + ".s3.eu-central-1.amazonaws.com",
		"db_host": "bookme-it.cluster.eu-central-1.rds.amazonaws.com", "db_port": 5432, "db_name": "bookme",
		"db_master_username": "bookme_master", "db_secret_arn": dbSecret,
		"redis_host": "bookme-it.cache.amazonaws.com", "redis_port": 6379, "app_secret_arn": appSecret,
		"redis_secret_arn": appSecret + "-redis",
	}
	frontend := map[string]any{
		"client_bucket": clientB, "distribution_id": a.distID, "distribution_domain_name": a.distID + ".cloudfront.net",
		"client_domain_name": siteDomain, "client_url": "https://" + siteDomain, "api_domain_name": apiDomain,
	}
	backend := map[string]any{
		"cluster_name": cluster, "api_service_name": apiSvc, "worker_service_name": workerSvc,
		"api_task_family": families["api"], "worker_task_family": families["worker"],
		"migrate_task_family": families["migrate"], "shell_task_family": families["shell"],
		"api_container_name": container, "worker_container_name": container, "migrate_container_name": container, "shell_container_name": container,
		"task_subnet_ids": seeded.Subnets, "task_security_group_ids": seeded.SecurityGroups,
		"api_log_group": "/ecs/" + families["api"], "worker_log_group": "/ecs/" + families["worker"],
		"migrate_log_group": "/ecs/" + families["migrate"], "shell_log_group": "/ecs/" + families["shell"],
		"api_domain_name": apiDomain, "api_url": "https://" + apiDomain, "alb_dns_name": "bookme-it-alb.eu-central-1.elb.amazonaws.com",
		"config_bucket": configB, "env_file_key": "service-config/api/" + env + ".env", "task_definition_templates": templates,
		"target_group_arn": "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/bookme-it/0123456789abcdef",
	}
	a.outputs = map[string][]byte{stack.StackBase: outputsJSON(t, base), stack.StackFrontend: outputsJSON(t, frontend), stack.StackBackend: outputsJSON(t, backend)}
	return a
}

// outputsJSON is values in the shape of `tofu output -json`.
func outputsJSON(t *testing.T, values map[string]any) []byte {
	t.Helper()
	doc := map[string]any{}
	for k, v := range values {
		typ := "string"
		switch v.(type) {
		case int:
			typ = "number"
		case []string:
			typ = `["list","string"]`
		}
		doc[k] = map[string]any{"sensitive": false, "type": json.RawMessage(quoteType(typ)), "value": v}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func quoteType(typ string) string {
	if strings.HasPrefix(typ, "[") {
		return typ
	}
	return `"` + typ + `"`
}

// fakeTofu plans from a `tofu show -json`-shaped document per stack (no change unless the test
// gives one: drift) and "applies" by returning the seeded account's outputs. It counts its calls.
type fakeTofu struct {
	outputs map[string][]byte

	mu      sync.Mutex
	changes map[string][]map[string]any // stack → resource_changes of its next plans
	calls   map[string]int              // "plan base", "apply frontend", "outputs backend", …
	vars    map[string]map[string]any   // stack → the variables of its last plan
}

func newFakeTofu(outputs map[string][]byte) *fakeTofu {
	return &fakeTofu{outputs: outputs, changes: map[string][]map[string]any{}, calls: map[string]int{}, vars: map[string]map[string]any{}}
}

// drift makes the stack's next plans update one resource (the state changed since a review).
func (f *fakeTofu) drift(stackName, address string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changes[stackName] = append(f.changes[stackName], map[string]any{
		"address": address, "mode": "managed",
		"change": map[string]any{"actions": []string{"update"}, "before": map[string]any{"comment": "reviewed"}, "after": map[string]any{"comment": "drifted"}},
	})
}

func (f *fakeTofu) count(verb, stackName string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if stackName == "" {
		n := 0
		for k, v := range f.calls {
			if strings.HasPrefix(k, verb+" ") {
				n += v
			}
		}
		return n
	}
	return f.calls[verb+" "+stackName]
}

func (f *fakeTofu) Plan(_ context.Context, stackName string, vars map[string]any) (*deploy.TofuPlan, error) {
	f.mu.Lock()
	f.calls["plan "+stackName]++
	f.vars[stackName] = vars
	changes := append([]map[string]any{{
		"address": "aws_s3_bucket.kept", "mode": "managed",
		"change": map[string]any{"actions": []string{"no-op"}, "before": map[string]any{"bucket": stackName}, "after": map[string]any{"bucket": stackName}},
	}}, f.changes[stackName]...)
	f.mu.Unlock()
	doc, err := json.Marshal(map[string]any{"format_version": "1.2", "terraform_version": "1.10.10", "resource_changes": changes})
	if err != nil {
		return nil, err
	}
	summary, err := stack.SummarizePlan(doc)
	if err != nil {
		return nil, err
	}
	return &deploy.TofuPlan{Stack: stackName, Summary: summary, Handle: stackName}, nil
}

func (f *fakeTofu) Apply(_ context.Context, p *deploy.TofuPlan) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["apply "+p.Stack]++
	return f.outputs[p.Stack], nil
}

func (f *fakeTofu) Outputs(_ context.Context, stackName string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["outputs "+stackName]++
	return f.outputs[stackName], nil
}

// fakeImages pushes a small random image to an in-process registry and records the push in moto's
// ECR (rehearsal.RecordPush, as the dry-run does), so the next plan of the commit reuses it.
type fakeImages struct {
	registry *testenv.Registry
	ecr      *ecr.Client

	mu      sync.Mutex
	pushes  int
	digests []string
}

func (f *fakeImages) Push(ctx context.Context, plan *registry.PublishPlan, creds *registry.Credentials) (string, error) {
	img, err := random.Image(512, 1)
	if err != nil {
		return "", err
	}
	ref, err := name.ParseReference(f.registry.Host+"/"+plan.Repository+":"+plan.Tag, name.Insecure)
	if err != nil {
		return "", err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: creds.Username, Password: creds.Password})
	if err := remote.Write(ref, img, remote.WithContext(ctx), remote.WithAuth(auth)); err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	if err := rehearsal.RecordPush(ctx, f.ecr, f.registry.Host, plan, d.String(), creds, ""); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pushes++
	f.digests = append(f.digests, d.String())
	return d.String(), nil
}

func (f *fakeImages) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pushes
}

// fakeClient builds the same bundle every time (testenv.GenerateBundle with a fixed seed) plus the
// Vite entry script smoke.EntryFile looks for; err makes every build fail.
type fakeClient struct {
	root string
	err  error
	// seed picks the generated bundle (0: 42); another seed is another release of the SPA.
	seed int64

	// classic writes CRA's entry (<script defer src>) instead of Vite's module script.
	classic bool

	mu     sync.Mutex
	builds int
	apiURL string
	env    map[string]string
}

func (f *fakeClient) Build(_ context.Context, env map[string]string) (string, error) {
	f.mu.Lock()
	f.builds++
	n := f.builds
	f.apiURL = env["VITE_API_BASE_URL"]
	f.env = env
	f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	dir := filepath.Join(f.root, fmt.Sprintf("build-%d", n))
	seed := f.seed
	if seed == 0 {
		seed = 42
	}
	if _, err := testenv.GenerateBundle(dir, 24, seed); err != nil {
		return "", err
	}
	index := filepath.Join(dir, "index.html")
	html, err := os.ReadFile(index)
	if err != nil {
		return "", err
	}
	entry := ""
	for _, r := range testenv.IndexRefs(html) {
		if strings.HasSuffix(r, ".chunk.js") {
			entry = r
			break
		}
	}
	if entry == "" {
		return "", errors.New("fake client: the generated bundle has no JS chunk")
	}
	tag := `<script type="module" crossorigin src="/` + entry + `"></script>`
	if f.classic {
		// CRA's shape: a classic deferred entry, asset-manifest.json, and a static file whose name
		// carries no hash (the app's static/*/* rule, not the defaults, makes it immutable)
		tag = `<script defer="defer" src="/` + entry + `"></script>`
		for rel, body := range map[string]string{"asset-manifest.json": `{"files": {"main.js": "/` + entry + `"}}` + "\n",
			"static/media/logo.svg": `<svg xmlns="http://www.w3.org/2000/svg"/>` + "\n"} {
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), []byte(body), 0o644); err != nil {
				return "", err
			}
		}
	}
	html = []byte(strings.Replace(string(html), "</head>", tag+"</head>", 1))
	return dir, os.WriteFile(index, html, 0o644)
}

func (f *fakeClient) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.builds
}

// repoSource reads the repository's own files (service-config/api, the API's Dockerfile); files,
// when set, replaces some of them (another release's deploy inputs).
type repoSource struct {
	root  string
	files map[string][]byte
}

func (s repoSource) ReadFile(_ context.Context, p string) ([]byte, error) {
	if b, ok := s.files[p]; ok {
		return b, nil
	}
	return os.ReadFile(filepath.Join(s.root, filepath.FromSlash(p)))
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module bookme-deploy\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("the repository root (go.mod of bookme-deploy) is not above the test's directory")
		}
		dir = parent
	}
}

// rig is one emulated account with its fake ports; deployment makes deployments of the commit
// against it, as a CI run would (a fresh run id each).
type rig struct {
	*account
	tofu   *fakeTofu
	images *fakeImages
	client *fakeClient
	source repoSource
	// smoke, when set, replaces the rehearsal's bucket smoke check.
	smoke deploy.Smoke
	// rolloutOptions are added to the emulator's (a recorder of the ECS calls).
	rolloutOptions []rollout.Option
	// deployS3, when set, is the S3 client of the deployments (e.g. one whose calls can be made to hang).
	deployS3 *s3.Client
}

func newRig(t *testing.T) *rig {
	t.Helper()
	a := newAccount(t)
	return &rig{account: a, tofu: newFakeTofu(a.outputs),
		images: &fakeImages{registry: testenv.StartRegistry(t), ecr: ecr.NewFromConfig(a.cfg)},
		client: &fakeClient{root: t.TempDir()}, source: repoSource{root: repoRoot(t)}}
}

func (r *rig) deployment(t *testing.T, change func(*deploy.Config)) *deploy.Deployment {
	t.Helper()
	cfg := deploy.Config{Env: env, GitSHA: commit, Who: "it-test", StateBucket: stateB}
	ports := deploy.Ports{AWS: r.cfg, S3: r.s3, Tofu: r.tofu, Images: r.images, Client: r.client, Source: r.source, Out: testWriter{t}}
	if r.deployS3 != nil {
		ports.S3 = r.deployS3
	}
	rehearsal.Adapt(&cfg, &ports)
	ports.RolloutOptions = append(ports.RolloutOptions, r.rolloutOptions...)
	if r.smoke != nil {
		ports.Smoke = r.smoke
	}
	cfg.Timeouts.Rollout.PollInterval = 100 * time.Millisecond
	cfg.Timeouts.InvalidationPoll = 100 * time.Millisecond
	if change != nil {
		change(&cfg)
	}
	d, err := deploy.New(cfg, ports)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testWriter sends progress to the test log (shown with -v or on failure).
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
