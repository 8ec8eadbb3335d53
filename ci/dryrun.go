package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/emulator"
	"bookme-deploy/core/registry"

	"dagger/bookme/internal/dagger"
)

// motoImage is the AWS emulator the dry-run deploys to.
const motoImage = "motoserver/moto:5"

// dryRunSourceURL is the image's org.opencontainers.image.source in the rehearsal (a placeholder:
// the rehearsal reads no git remote).
const dryRunSourceURL = "https://example.com/book_me.git"

// DryRun rehearses the whole deploy locally, touching no real AWS account and needing no
// credentials: moto runs as a Dagger service and stands in for AWS, a registry:2 service (with
// moto's ECR token as its password) stands in for ECR's storage, and OpenTofu, the image build and
// push, the env file, the DB bootstrap and migration tasks, the roll, the SPA release and the
// invalidation all run for real against them. Then it deploys the same commit a second time, which
// must change nothing, while a concurrent deploy must be refused by the lock; saves a plan and
// deploys it with --plan-file, then refuses it once the account drifted; runs the image's DB
// bootstrap against a stand-in PostgreSQL; deploys selected stages only; checks the emulated account
// and prints the summaries.
//
// +cache="never"
func (m *Bookme) DryRun(
	ctx context.Context,
	// The repository.
	// +defaultPath="/"
	// +ignore=["**/node_modules", "**/dist", ".git", "**/.terraform", "**/__pycache__", "**/*.tfstate*", "**/.terraform.lock.hcl"]
	source *dagger.Directory,
	// Environment to rehearse (a file infra/environments/<env>.tfvars).
	// +default="staging"
	env string,
	// OpenTofu provider mirror (filesystem_mirror layout) for machines without the provider registry.
	// +optional
	providerMirror *dagger.Directory,
	// Commit to label the release with; default: a content hash of the source.
	// +optional
	gitSha string,
	// Deploy a second time and check that it changes nothing (and that a concurrent deploy is
	// refused by the lock meanwhile).
	// +default=true
	repeat bool,
	// After the repeat, save a plan (`plan --format json`) and deploy it with --plan-file.
	// +default=true
	planFile bool,
	// Redis AUTH token to rehearse with; default: a random one.
	// +optional
	redisAuthToken *dagger.Secret,
	// Secret access key to present to the emulator; default: a dummy.
	// +optional
	awsSecretAccessKey *dagger.Secret,
) (string, error) {
	o, err := m.dryRun(ctx, source, env, providerMirror, gitSha, repeat, planFile, redisAuthToken, awsSecretAccessKey)
	if err != nil {
		return "", err
	}
	return o.report, nil
}

// DryRunArtifacts runs the same rehearsal as dry-run and returns everything it produced, for
// inspection and the secret-leak scan: report.md, progress.log, record.json, the OpenTofu state
// objects (state/), the released bundle (bundle/) and the pushed image (image.tar).
//
// +cache="never"
func (m *Bookme) DryRunArtifacts(
	ctx context.Context,
	// The repository.
	// +defaultPath="/"
	// +ignore=["**/node_modules", "**/dist", ".git", "**/.terraform", "**/__pycache__", "**/*.tfstate*", "**/.terraform.lock.hcl"]
	source *dagger.Directory,
	// Environment to rehearse.
	// +default="staging"
	env string,
	// OpenTofu provider mirror (filesystem_mirror layout).
	// +optional
	providerMirror *dagger.Directory,
	// Commit to label the release with; default: a content hash of the source.
	// +optional
	gitSha string,
	// Deploy a second time and check that it changes nothing (and that a concurrent deploy is
	// refused by the lock meanwhile).
	// +default=true
	repeat bool,
	// After the repeat, save a plan (`plan --format json`) and deploy it with --plan-file.
	// +default=true
	planFile bool,
	// Redis AUTH token to rehearse with; default: a random one.
	// +optional
	redisAuthToken *dagger.Secret,
	// Secret access key to present to the emulator; default: a dummy.
	// +optional
	awsSecretAccessKey *dagger.Secret,
) (*dagger.Directory, error) {
	o, err := m.dryRun(ctx, source, env, providerMirror, gitSha, repeat, planFile, redisAuthToken, awsSecretAccessKey)
	if err != nil {
		return nil, err
	}
	return o.artifacts, nil
}

type dryRunOutcome struct {
	report    string
	artifacts *dagger.Directory
}

func (m *Bookme) dryRun(ctx context.Context, source *dagger.Directory, env string, providerMirror *dagger.Directory,
	gitSha string, repeat, planFile bool, redisAuthToken, awsSecretAccessKey *dagger.Secret) (*dryRunOutcome, error) {
	start := time.Now()
	if gitSha == "" {
		id, err := source.Digest(ctx)
		if err != nil {
			return nil, err
		}
		gitSha = strings.TrimPrefix(id, "sha256:")[:40]
	}
	if redisAuthToken == nil {
		redisAuthToken = dag.SetSecret("dry-run-redis-token", fakeToken())
	}
	if awsSecretAccessKey == nil {
		awsSecretAccessKey = dag.SetSecret("dry-run-secret-key", "testing")
	}
	progress := &syncBuffer{}
	out := io.MultiWriter(os.Stderr, progress)
	runID := newRunID()
	// moto speaks HTTPS with a throw-away CA: every bucket's TLS-only policy then holds as in AWS.
	certs, err := emulator.NewTLS(emulatorHost)
	if err != nil {
		return nil, err
	}
	moto := dag.Container().From(motoImage).WithExposedPort(5000).
		WithNewFile("/certs/cert.pem", string(certs.CertPEM)).
		WithMountedSecret("/certs/key.pem", dag.SetSecret("emulator-tls-key-"+runID, string(certs.KeyPEM))).
		WithNewFile("/opt/bookme/moto-patch/sitecustomize.py", emulator.MotoPatch).
		WithEnvVariable("PYTHONPATH", "/opt/bookme/moto-patch")
	for k, v := range emulator.MotoEnv {
		moto = moto.WithEnvVariable(k, v)
	}
	svc, err := moto.WithEnvVariable("BOOKME_RUN", runID).
		AsService(dagger.ContainerAsServiceOpts{UseEntrypoint: true,
			Args: []string{"-c", "/certs/cert.pem", "-k", "/certs/key.pem"}}).Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	defer svc.Stop(context.WithoutCancel(ctx))
	endpoint, err := svc.Endpoint(ctx, dagger.ServiceEndpointOpts{Scheme: "https"})
	if err != nil {
		return nil, err
	}
	access := awsAccess{Region: "eu-central-1", Endpoint: endpoint, Emulator: svc, EmulatorCA: string(certs.CAPEM),
		AccessKeyID: dag.SetSecret("dry-run-key-id", "testing"), SecretAccessKey: awsSecretAccessKey}
	cfg, err := access.config(ctx)
	if err != nil {
		return nil, err
	}
	s3c := newS3(cfg, true)
	account := emulator.Account{StateBucket: "bookme-dryrun-tofu-state", HostedZone: "book-me.example.com"}
	if err := emulator.Prepare(ctx, cfg, s3c, account); err != nil {
		return nil, err
	}
	// ECR's API is moto's; its image storage is a registry service with the token moto issues.
	ecrCreds, err := registry.Auth(ctx, newECR(cfg))
	if err != nil {
		return nil, err
	}
	reg, err := startEmulatedECR(ctx, runID, ecrCreds)
	if err != nil {
		return nil, err
	}
	defer reg.svc.Stop(context.WithoutCancel(ctx))
	encryption := dag.SetSecret("dry-run-state-encryption", stateEncryption(fakeToken()))
	mk := func() *deployment {
		id := newRunID()
		return &deployment{
			env: env, gitSHA: gitSha, who: "dry-run", runID: id, access: access, cfg: cfg, s3: s3c,
			tofu: tofu{access: access, infra: source.Directory("infra"), mirror: providerMirror, env: env,
				stateBucket: account.StateBucket, overrides: emulatorOverrides(emulatorURL, emulatorCAPath),
				secretVars: map[string]*dagger.Secret{"redis_auth_token": redisAuthToken},
				encryption: encryption, runID: id},
			repo: source, api: source.Directory("examples/bookme/api"), client: source.Directory("examples/bookme/frontend"),
			publish: ecrPublisher{emulated: reg, sourceURL: dryRunSourceURL}, out: out, emulated: true, lockWait: time.Minute,
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# bookme dry-run (%s, commit %s, emulated account)\n\n", env, gitSha[:12])
	first := mk()
	rep, err := first.run(ctx)
	fmt.Fprintf(&b, "## First deploy\n\n```\n%s```\n%s\n\n", rep.Text(), first.stats.text())
	if err != nil {
		return nil, fmt.Errorf("dry-run: %w\n%s", err, b.String())
	}
	dbText, err := rehearseDBBootstrap(ctx, first, reg, ecrCreds)
	b.WriteString(dbText)
	if err != nil {
		return nil, fmt.Errorf("dry-run: %w\n%s", err, b.String())
	}
	archText, err := rehearseMultiArch(ctx, mk(), reg, ecrCreds)
	b.WriteString(archText)
	if err != nil {
		return nil, fmt.Errorf("dry-run: %w\n%s", err, b.String())
	}
	if repeat {
		second := mk()
		rival := make(chan error, 1)
		var rivalLine string
		go func() {
			var err error
			rivalLine, err = rehearseConcurrent(ctx, second, mk)
			rival <- err
		}()
		t0 := time.Now()
		rep2, err := second.run(ctx)
		noOp := time.Since(t0)
		rivalErr := <-rival
		fmt.Fprintf(&b, "## Second deploy of the same commit (must change nothing)\n\n```\n%s```\n%s\n\n", rep2.Text(), second.stats.text())
		if err != nil {
			return nil, fmt.Errorf("dry-run: second deploy: %w\n%s", err, b.String())
		}
		if !second.stats.noOp() {
			return nil, fmt.Errorf("dry-run: the second deploy of the same commit changed something: %s\n%s", second.stats.text(), b.String())
		}
		fmt.Fprintf(&b, "Second deploy: no-op in %s.\n\n", noOp.Round(time.Second))
		if rivalErr != nil {
			return nil, fmt.Errorf("dry-run: %w\n%s", rivalErr, b.String())
		}
		b.WriteString(rivalLine)
		if planFile {
			text, _, err := rehearsePlanFile(ctx, mk, noOp)
			b.WriteString(text)
			if err != nil {
				return nil, fmt.Errorf("%w\n%s", err, b.String())
			}
		}
		text, err := rehearseSelection(ctx, mk)
		b.WriteString(text)
		if err != nil {
			return nil, fmt.Errorf("%w\n%s", err, b.String())
		}
	}
	verify, err := verifyAccount(ctx, first)
	b.WriteString(verify)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, b.String())
	}
	fmt.Fprintf(&b, "\nDry-run passed in %s. Deploy record:\n\n%s\n", time.Since(start).Round(time.Second), first.rec.Markdown())
	arts, err := collectArtifacts(ctx, first, b.String(), progress.String(), reg)
	if err != nil {
		return nil, err
	}
	return &dryRunOutcome{report: b.String(), artifacts: arts}, nil
}

// emulatorOverrides are the files written into the temporary copy of infra/ that point OpenTofu at
// the emulator (provider endpoints, S3 backend) and carry moto's documented workarounds.
func emulatorOverrides(endpoint, caBundle string) map[string]string {
	// The same override set the infra tier's apply test uses (core/emulator owns it).
	o := map[string]string{}
	for dir, content := range emulator.ModuleOverrides {
		o["modules/"+dir+"/emulator_override.tf"] = content
	}
	for _, name := range []string{"base", "backend", "frontend"} {
		var aliases []string
		if name == "frontend" {
			aliases = []string{"us_east_1"}
		}
		o["stacks/"+name+"/emulator_override.tf"] = emulator.ProviderOverrideCA(endpoint, caBundle, aliases...)
		o["stacks/"+name+"/emulator.s3.tfbackend"] = emulator.S3BackendConfigCA(endpoint, caBundle, "", "", "")
		vars, _ := jsonVars(emulator.StackVars[name])
		o["stacks/"+name+"/emulator.tfvars.json"] = vars
	}
	return o
}

// verifyAccount checks the emulated account after the deploy, as a user would look at it.
func verifyAccount(ctx context.Context, d *deployment) (string, error) {
	var b strings.Builder
	b.WriteString("## Emulated account after the deploys\n\n")
	var problems []string
	check := func(ok bool, format string, a ...any) {
		line := fmt.Sprintf(format, a...)
		if ok {
			b.WriteString("- ✔ " + line + "\n")
		} else {
			b.WriteString("- ✘ " + line + "\n")
			problems = append(problems, line)
		}
	}
	head, err := d.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(d.frontend.ClientBucket), Key: aws.String("index.html")})
	check(err == nil && aws.ToString(head.CacheControl) == "no-cache", "client bucket serves index.html with Cache-Control no-cache")
	if d.rec.Bundle != nil && d.rec.Bundle.Entry != "" {
		head, err := d.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(d.frontend.ClientBucket), Key: aws.String(d.rec.Bundle.Entry)})
		check(err == nil && strings.Contains(aws.ToString(head.CacheControl), "immutable"), "entry %s is immutable-cached (%s)", d.rec.Bundle.Entry, ccOf(head))
	}
	_, err = d.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(d.base.ConfigBucket), Key: aws.String("service-config/api/" + d.env + ".env")})
	check(err == nil, "env file s3://%s/service-config/api/%s.env exists", d.base.ConfigBucket, d.env)
	_, err = d.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(d.tofu.stateBucket), Key: aws.String(d.lockOptions().Key)})
	check(err != nil, "deploy lock released")
	recs, err := d.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(d.base.ConfigBucket), Prefix: aws.String("deploy/records/")})
	check(err == nil && len(recs.Contents) >= 1, "deploy records in s3://%s/deploy/records/: %d", d.base.ConfigBucket, countOf(recs))
	svcText, err := servicesOn(ctx, d)
	check(err == nil, "services run the image by digest: %s", svcText)
	if len(problems) > 0 {
		return b.String(), fmt.Errorf("dry-run: the emulated account is not as the deploy left it: %s", strings.Join(problems, "; "))
	}
	return b.String(), nil
}

func ccOf(h *s3.HeadObjectOutput) string {
	if h == nil {
		return "missing"
	}
	return aws.ToString(h.CacheControl)
}

func countOf(o *s3.ListObjectsV2Output) int {
	if o == nil {
		return 0
	}
	return len(o.Contents)
}

func fakeToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "dryrun" + hex.EncodeToString(b)
}

// stateEncryption is OpenTofu's TF_ENCRYPTION for a passphrase (state and plans encrypted).
func stateEncryption(passphrase string) string {
	return fmt.Sprintf(`key_provider "pbkdf2" "main" {
  passphrase = %q
}
method "aes_gcm" "main" {
  keys = key_provider.pbkdf2.main
}
state {
  method   = method.aes_gcm.main
  enforced = true
}
plan {
  method   = method.aes_gcm.main
  enforced = true
}
`, passphrase)
}
