package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/cdn"
	"bookme-deploy/core/deployflow"
	"bookme-deploy/core/envfile"
	"bookme-deploy/core/lock"
	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/planfile"
	"bookme-deploy/core/record"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/smoke"
	"bookme-deploy/core/stack"

	"dagger/bookme/internal/dagger"
)

// deployment is one run of the release DAG. Its stages fill in what later stages read.
type deployment struct {
	env      string
	gitSHA   string
	who      string
	runURL   string
	runID    string
	access   awsAccess
	cfg      aws.Config
	s3       *s3.Client
	tofu     tofu
	repo     *dagger.Directory
	api      *dagger.Directory
	client   *dagger.Directory
	publish  publisher
	out      io.Writer
	lockWait time.Duration
	// emulated: the account is moto (dry-run); smoke checks read S3 instead of HTTP.
	emulated bool
	// planOnly: every step only reads and reports what it would do (`plan`).
	planOnly bool
	// plans collects each step's plan text in plan-only mode.
	plans map[string]string
	// prints collects the fingerprint of every part's plan (plan and deploy alike).
	prints *planfile.File
	// planned, when set (deploy --plan-file), is the reviewed plan: a part whose fingerprint differs
	// is refused before it is applied.
	planned *planfile.File

	mu       sync.Mutex
	base     *stack.Base
	backend  *stack.Backend
	frontend *stack.Frontend
	image    string
	// only selects stages (deploy --stages); empty: all.
	only []string
	// fullSHATag tags the image with the full commit id instead of its first 12 digits.
	fullSHATag bool
	// dbAppUser is the application's database role (the env file's POSTGRES_USER).
	dbAppUser string
	bundle    string // local path of the exported bundle
	held      *lock.Lock
	rec       *record.Record
	stats     deployStats
	// pendingPaths are the release's changed paths, for the invalidation.
	pendingPaths []string
}

// deployStats counts what a deploy changed: a repeated deploy of the same commit must count zeros.
type deployStats struct {
	ImagePushed        bool  `json:"imagePushed"`
	EnvFileUploaded    bool  `json:"envFileUploaded"`
	Registered         int   `json:"taskDefinitionsRegistered"`
	ObjectsUploaded    int   `json:"objectsUploaded"`
	BytesUploaded      int64 `json:"bytesUploaded"`
	ObjectsDeleted     int   `json:"objectsDeleted"`
	Invalidations      int   `json:"invalidations"`
	TofuResourceChange int   `json:"tofuResourceChanges"`
}

func (s deployStats) noOp() bool {
	return !s.ImagePushed && !s.EnvFileUploaded && s.Registered == 0 && s.ObjectsUploaded == 0 &&
		s.ObjectsDeleted == 0 && s.Invalidations == 0
}

func (s deployStats) text() string {
	return fmt.Sprintf("image pushed: %v · env file uploaded: %v · task definitions registered: %d · objects uploaded: %d (%d bytes) · deleted: %d · invalidations: %d · tofu resource changes: %d",
		s.ImagePushed, s.EnvFileUploaded, s.Registered, s.ObjectsUploaded, s.BytesUploaded, s.ObjectsDeleted, s.Invalidations, s.TofuResourceChange)
}

func newRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// part records a part's fingerprint and, under --plan-file, refuses it when it drifted from the
// reviewed plan. Call it after planning the part and before applying it.
func (d *deployment) part(name, fingerprint, summary string) error {
	if d.prints == nil {
		d.mu.Lock()
		if d.prints == nil {
			d.prints = planfile.New(d.env, d.gitSHA, time.Now())
		}
		d.mu.Unlock()
	}
	d.prints.Set(name, fingerprint, summary)
	if d.planned == nil {
		return nil
	}
	if err := d.planned.Verify(name, fingerprint, summary); err != nil {
		return fmt.Errorf("%w (%s not applied)", err, name)
	}
	return nil
}

func (d *deployment) logf(format string, a ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.out, format+"\n", a...)
}

// lockOptions: the lock lives in the OpenTofu state bucket, which exists before the first deploy
// (the config bucket is created by the base stack, after the lock must already be held).
func (d *deployment) lockOptions() lock.Options {
	return lock.Options{Bucket: d.tofu.stateBucket, Key: "deploy/" + d.env + "/lock.json",
		Poll: 5 * time.Second, Timeout: d.lockWait, Progress: d.out}
}

// stages wires this deployment's steps into the deploy DAG (core/deployflow owns its shape).
func (d *deployment) stages() deployflow.Stages {
	return deployflow.Stages{
		Lock: d.stepLock, TofuBase: d.stepTofuBase, TofuFrontend: d.stepTofuFrontend, Image: d.stepImage,
		EnvFile: d.stepEnvFile, TofuBackend: d.stepTofuBackend, MigrateAndRoll: d.stepRollout,
		BuildClient: d.stepBuildClient, ReleaseSPA: d.stepRelease, Invalidate: d.stepInvalidate,
		Smoke: d.stepSmoke, Unlock: d.stepUnlock,
		BaseOutputs: d.readBase, FrontendOutputs: d.readFrontend, BackendOutputs: d.readBackend,
		ExistingImage: d.existingImage,
	}
}

// The read-only stand-ins a stage selection (deploy --stages) runs instead of the stages it leaves out.

func (d *deployment) readBase(ctx context.Context) (string, error) {
	out, err := d.tofu.outputs(ctx, stack.StackBase)
	if err != nil {
		return "", err
	}
	if d.base, err = stack.ParseBase(out); err != nil {
		return "", err
	}
	return "not selected: outputs read", nil
}

func (d *deployment) readFrontend(ctx context.Context) (string, error) {
	out, err := d.tofu.outputs(ctx, stack.StackFrontend)
	if err != nil {
		return "", err
	}
	if d.frontend, err = stack.ParseFrontend(out); err != nil {
		return "", err
	}
	return "not selected: outputs read", nil
}

func (d *deployment) readBackend(ctx context.Context) (string, error) {
	out, err := d.tofu.outputs(ctx, stack.StackBackend)
	if err != nil {
		return "", err
	}
	if d.backend, err = stack.ParseBackend(out); err != nil {
		return "", err
	}
	return "not selected: outputs read", nil
}

// existingImage finds the commit's image in ECR without building: a selection without the image
// stage deploys only an image an earlier deploy pushed.
func (d *deployment) existingImage(ctx context.Context) (string, error) {
	plan, err := registry.PlanPublish(ctx, newECR(d.cfg), registry.PublishInput{
		Repository: d.base.ECRRepositoryName, GitSHA: d.gitSHA, LongTag: d.fullSHATag})
	if err != nil {
		return "", err
	}
	if !plan.Reuse {
		return "", fmt.Errorf("image: %s is not in ECR; select the image stage too (--stages image,…)", plan.TagRef)
	}
	d.image = plan.Ref
	d.rec.ImageRef = plan.Ref
	return "not selected: reuse " + plan.Ref, nil
}

// run executes the DAG, then always writes the record and releases the lock.
func (d *deployment) run(ctx context.Context) (*pipeline.Report, error) {
	d.rec = record.New(d.env, d.who, d.gitSHA)
	d.rec.RunURL = d.runURL
	d.rec.DryRun = d.emulated
	d.rec.TaskDefinitions = map[string]string{}
	d.rec.PlanHashes = map[string]string{}
	steps, unlock, err := deployflow.Deploy(d.stages(), d.only...)
	if err != nil {
		return &pipeline.Report{}, err
	}
	rep := pipeline.Run(ctx, d.out, steps, unlock)
	// The record is written last, with every step's outcome, whatever happened.
	d.fillRecord(rep)
	t0 := time.Now()
	where, err := d.stepRecord(context.WithoutCancel(ctx))
	o := pipeline.Outcome{Name: "record", Status: pipeline.Succeeded, Detail: where, Started: t0, Duration: time.Since(t0)}
	if err != nil {
		o.Status, o.Error = pipeline.Failed, err.Error()
		d.logf("✘ record: %v", err)
	} else {
		d.logf("✔ record %s", where)
	}
	rep.Steps = append(rep.Steps, o)
	return rep, rep.Err()
}

func (d *deployment) stepLock(ctx context.Context) (string, error) {
	l, err := lock.Acquire(ctx, d.s3, d.lockOptions(), lock.Info{Holder: d.who, GitSHA: d.gitSHA, RunURL: d.runURL})
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.held = l
	d.mu.Unlock()
	return "s3://" + d.tofu.stateBucket + "/" + d.lockOptions().Key, nil
}

func (d *deployment) stepUnlock(ctx context.Context) (string, error) {
	if d.held == nil {
		return "not held", nil
	}
	if err := d.held.Release(ctx); err != nil {
		return "", err
	}
	return "released", nil
}

func (d *deployment) stepTofuBase(ctx context.Context) (string, error) {
	out, detail, err := d.tofuApply(ctx, stack.StackBase, nil)
	if err != nil {
		return "", err
	}
	b, err := stack.ParseBase(out)
	if err != nil {
		return "", err
	}
	d.base = b
	return detail, nil
}

func (d *deployment) stepTofuFrontend(ctx context.Context) (string, error) {
	out, detail, err := d.tofuApply(ctx, stack.StackFrontend, nil)
	if err != nil {
		return "", err
	}
	f, err := stack.ParseFrontend(out)
	if err != nil {
		return "", err
	}
	d.frontend = f
	return detail, nil
}

func (d *deployment) stepTofuBackend(ctx context.Context) (string, error) {
	vars, err := d.backendVars()
	if err != nil {
		return "", err
	}
	out, detail, err := d.tofuApply(ctx, stack.StackBackend, vars)
	if err != nil {
		return "", err
	}
	b, err := stack.ParseBackend(out)
	if err != nil {
		return "", err
	}
	d.backend = b
	return detail, nil
}

// backendVars are the backend stack's inputs: the base stack's outputs, the commit's image tag and
// the env file's key.
// The first revision of each family OpenTofu registers uses that tag; later revisions are the
// pipeline's (by digest). Services ignore task_definition changes made by OpenTofu.
func (d *deployment) backendVars() (map[string]any, error) {
	vars := d.base.BackendVars()
	tag, err := registry.Tag(d.gitSHA, d.fullSHATag)
	if err != nil {
		return nil, err
	}
	vars["image_tag"] = tag
	// The task definitions load the env file the pipeline pushes, whatever the stack's default.
	vars["env_file_key"] = envfile.ObjectKey(d.env)
	return vars, nil
}

// tofuApply plans, applies exactly that plan, and returns the stack's outputs.
func (d *deployment) tofuApply(ctx context.Context, name string, vars map[string]any) ([]byte, string, error) {
	run, err := d.tofu.plan(ctx, name, vars)
	if err != nil {
		return nil, "", err
	}
	d.mu.Lock()
	d.rec.PlanHashes[name] = run.Summary.Hash
	d.stats.TofuResourceChange += len(run.Summary.Changes)
	d.mu.Unlock()
	d.logf("%s plan: %s", name, firstLine(run.Summary.Text()))
	if err := d.part("tofu-"+name, run.Summary.Hash, firstLine(run.Summary.Text())); err != nil {
		return nil, "", err
	}
	out, err := d.tofu.apply(ctx, run)
	if err != nil {
		return nil, "", err
	}
	return out, firstLine(run.Summary.Text()), nil
}

func (d *deployment) stepImage(ctx context.Context) (string, error) {
	ref, pushed, detail, err := d.publish.publish(ctx, d, d.base.ECRRepositoryName)
	if err != nil {
		return "", err
	}
	d.image = ref
	d.rec.ImageRef = ref
	d.stats.ImagePushed = pushed
	return detail, nil
}

func (d *deployment) stepEnvFile(ctx context.Context) (string, error) {
	rendered, err := d.renderEnvFile(ctx)
	if err != nil {
		return "", err
	}
	plan, err := envfile.PlanPush(ctx, d.s3, envfile.PushInput{Bucket: d.base.ConfigBucket, Environment: d.env, Rendered: rendered})
	if err != nil {
		return "", err
	}
	if err := d.part(planfile.PartEnvFile, rendered.SHA256, envFileSummary(rendered)); err != nil {
		return "", err
	}
	res, err := envfile.ApplyPush(ctx, d.s3, plan, d.out)
	if err != nil {
		return "", err
	}
	d.stats.EnvFileUploaded = plan.Upload
	return firstLine(res.Text()), nil
}

// renderEnvFile fills service-config/api/env.tmpl from the stacks' outputs and the environment's
// deploy inputs (service-config/api/<env>.inputs.json), validated against the schema.
func (d *deployment) renderEnvFile(ctx context.Context) (*envfile.Rendered, error) {
	tmpl, err := d.repo.File("service-config/api/env.tmpl").Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("env file: read template: %w", err)
	}
	schemaJSON, err := d.repo.File("service-config/api/schema.json").Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("env file: read schema: %w", err)
	}
	schema, err := envfile.LoadSchema([]byte(schemaJSON))
	if err != nil {
		return nil, err
	}
	inputsJSON, err := d.repo.File("service-config/api/" + d.env + ".inputs.json").Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("env file: environment %q has no service-config/api/%s.inputs.json", d.env, d.env)
	}
	outputs := map[string]string{}
	if err := json.Unmarshal([]byte(inputsJSON), &outputs); err != nil {
		return nil, fmt.Errorf("env file: service-config/api/%s.inputs.json: %w", d.env, err)
	}
	b, f := d.base, d.frontend
	d.mu.Lock()
	d.dbAppUser = outputs["db_app_user"]
	d.mu.Unlock()
	for k, v := range map[string]string{
		"region": b.Region, "db_host": b.DBHost, "db_port": fmt.Sprint(b.DBPort), "db_name": b.DBName,
		"static_bucket": b.StaticBucket, "static_bucket_domain_name": b.StaticBucketDomainName,
		"app_secret_arn": b.AppSecretARN, "api_domain_name": f.APIDomainName, "client_domain_name": f.ClientDomainName,
	} {
		outputs[k] = v
	}
	return envfile.Render([]byte(tmpl), schema, outputs, nil)
}

func (d *deployment) stepRollout(ctx context.Context) (string, error) {
	b := d.backend
	if b.WorkerContainerName != b.APIContainerName {
		return "", fmt.Errorf("rollout: the API and worker task definitions name their container differently (%s, %s): the pipeline replaces one container name", b.APIContainerName, b.WorkerContainerName)
	}
	var opts []rollout.Option
	if d.emulated {
		opts = append(opts, rollout.WithMotoCompat())
	}
	eng := rollout.New(d.cfg, d.out, opts...)
	settings := rollout.Settings{}
	if d.emulated {
		settings.PollInterval = time.Second
	}
	if d.dbAppUser == "" {
		// The env-file stage was not selected: render (read-only) for the database role.
		if _, err := d.renderEnvFile(ctx); err != nil {
			return "", err
		}
	}
	bootstrap, err := d.dbBootstrapTask()
	if err != nil {
		return "", err
	}
	plan, err := eng.Plan(ctx, rollout.Input{
		Cluster: b.ClusterName, API: b.APIServiceName, Workers: []string{b.WorkerServiceName},
		Container: b.APIContainerName, Image: d.image, GitSHA: d.gitSHA,
		Before:    []rollout.OneOff{bootstrap},
		Migration: rollout.Migration{Family: b.MigrateTaskFamily}, Settings: settings,
	})
	if err != nil {
		return "", err
	}
	d.logf("%s", strings.TrimRight(plan.Text(), "\n"))
	res, err := eng.Apply(ctx, plan)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	for k, v := range res.Revisions {
		d.rec.TaskDefinitions[k] = v
	}
	d.stats.Registered = len(res.Revisions)
	d.mu.Unlock()
	if res.NoOp {
		return "no-op: services already run " + d.image, nil
	}
	var ran []string
	for _, o := range res.Before {
		ran = append(ran, o.Name)
	}
	if res.Migration != nil {
		ran = append(ran, "migration")
	}
	return fmt.Sprintf("ran %s; %d revisions registered, services rolled to %s", strings.Join(ran, ", "), len(res.Revisions), d.image), nil
}

func (d *deployment) stepBuildClient(ctx context.Context) (string, error) {
	api := "https://" + d.frontend.APIDomainName
	ws := "wss://" + d.frontend.APIDomainName
	dist := (&Bookme{}).BuildClient(d.client, api, ws)
	dir, err := scratchDir("bundle-")
	if err != nil {
		return "", err
	}
	if _, err := dist.Export(ctx, dir); err != nil {
		return "", fmt.Errorf("build client: %w", err)
	}
	d.bundle = dir
	return "bundle for " + api, nil
}

func (d *deployment) stepRelease(ctx context.Context) (string, error) {
	var rules []release.Rule
	plan, err := release.PlanRelease(ctx, release.Input{
		Client: d.s3, Bucket: d.frontend.ClientBucket, Dir: d.bundle, ReleaseID: d.gitSHA + "-" + d.runID,
		Rules: rules, Progress: d.out,
	})
	if err != nil {
		return "", err
	}
	if err := d.part(planfile.PartRelease, plan.Digest, bundleSummary(plan)); err != nil {
		return "", err
	}
	res, err := release.Apply(ctx, plan)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.stats.ObjectsUploaded = res.Uploaded.Count + res.HeaderUpdated.Count
	d.stats.BytesUploaded = res.Uploaded.Bytes
	d.stats.ObjectsDeleted = res.Deleted.Count
	d.rec.Bundle = &record.Bundle{Files: res.Uploaded.Count + res.Unchanged.Count + res.HeaderUpdated.Count,
		Uploaded: res.Uploaded.Count, Deleted: res.Deleted.Count, ManifestSHA256: res.Digest}
	d.pendingPaths = res.ChangedPaths
	d.mu.Unlock()
	return firstLine(res.Text()), nil
}

func (d *deployment) stepInvalidate(ctx context.Context) (string, error) {
	cf := cloudfront.NewFromConfig(d.cfg)
	plan, err := cdn.PlanInvalidation(ctx, cdn.Input{Client: cf, DistributionID: d.frontend.DistributionID,
		ChangedPaths: d.pendingPaths, CallerReference: d.gitSHA + "-" + d.runID, Progress: d.out})
	if err != nil {
		return "", err
	}
	res, err := cdn.Apply(ctx, plan)
	if err != nil {
		return "", err
	}
	if res.InvalidationID == "" {
		return "nothing changed: no invalidation", nil
	}
	d.stats.Invalidations = 1
	status, err := cdn.Wait(ctx, cdn.WaitInput{Client: cf, DistributionID: d.frontend.DistributionID,
		InvalidationID: res.InvalidationID, Timeout: 20 * time.Minute, Interval: 10 * time.Second, Progress: d.out})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("invalidation %s %s (%s)", res.InvalidationID, status, strings.Join(plan.Paths, " ")), nil
}

// stepSmoke checks the API through the ALB and the SPA through CloudFront. In the emulated account
// nothing serves HTTP, so it checks what CloudFront would serve: the bucket's index.html.
func (d *deployment) stepSmoke(ctx context.Context) (string, error) {
	local, err := d.releasedIndex(ctx)
	if err != nil {
		return "", err
	}
	entry, err := smoke.EntryFile(local)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	if d.rec.Bundle != nil {
		d.rec.Bundle.Entry = entry
	}
	d.mu.Unlock()
	if d.emulated {
		obj, err := d.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(d.frontend.ClientBucket), Key: aws.String("index.html")})
		if err != nil {
			return "", fmt.Errorf("smoke: read index.html from the client bucket: %w", err)
		}
		defer obj.Body.Close()
		served, err := io.ReadAll(obj.Body)
		if err != nil {
			return "", err
		}
		got, err := smoke.EntryFile(served)
		if err != nil {
			return "", err
		}
		if got != entry {
			return "", fmt.Errorf("smoke: the bucket's index.html references %s, the new bundle %s", got, entry)
		}
		return "index.html in the bucket references " + entry + " (API check needs a real ALB: not in the emulated account)", nil
	}
	api, err := smoke.API(ctx, d.backend.APIURL)
	if err != nil {
		return "", err
	}
	spa, err := smoke.SPA(ctx, d.frontend.ClientURL, entry)
	if err != nil {
		return "", err
	}
	return firstLine(api.Text()) + "; " + firstLine(spa.Text()), nil
}

// releasedIndex is the index.html the release step uploaded, or — when the release was not selected
// (deploy --stages smoke) — the one in the client bucket.
func (d *deployment) releasedIndex(ctx context.Context) ([]byte, error) {
	if d.bundle != "" {
		return os.ReadFile(d.bundle + "/index.html")
	}
	obj, err := d.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(d.frontend.ClientBucket), Key: aws.String("index.html")})
	if err != nil {
		return nil, fmt.Errorf("smoke: read index.html from the client bucket: %w", err)
	}
	defer obj.Body.Close()
	return io.ReadAll(obj.Body)
}

func (d *deployment) stepRecord(ctx context.Context) (string, error) {
	d.rec.Finish()
	bucket := d.tofu.stateBucket
	if d.base != nil {
		bucket = d.base.ConfigBucket
	}
	key, err := record.Save(ctx, d.s3, bucket, d.rec)
	if err != nil {
		return "", err
	}
	if _, err := record.AppendStepSummary(d.rec); err != nil {
		d.logf("warning: could not append to $GITHUB_STEP_SUMMARY: %v", err)
	}
	return "s3://" + bucket + "/" + key, nil
}

// fillRecord copies the pipeline's outcomes into the record (the record step itself is last).
func (d *deployment) fillRecord(rep *pipeline.Report) {
	d.rec.Steps = d.rec.Steps[:0]
	for _, s := range rep.Steps {
		st := record.Step{Name: s.Name, Started: s.Started, Duration: s.Duration, Detail: s.Detail}
		switch s.Status {
		case pipeline.Succeeded:
			st.Status = record.Ran
		case pipeline.Failed:
			st.Status, st.Detail = record.Failed, s.Error
		default:
			st.Status = record.Skipped
		}
		d.rec.Add(st)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func newS3(cfg aws.Config, emulated bool) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = emulated })
}

func newECR(cfg aws.Config) *ecr.Client { return ecr.NewFromConfig(cfg) }
