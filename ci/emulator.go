package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator"
	"bookme-deploy/core/emulator/rehearsal"
	"bookme-deploy/core/registry"

	"dagger/bookme/internal/dagger"
)

// The emulated account of the dry-run, the only part of the module that knows of it: moto and a
// registry standing in for ECR's storage as Dagger services, core/emulator's adapter on a deployment.

const sourceURL = "https://example.com/book_me.git" // the image label (the rehearsal reads no remote)

// DryRun rehearses a release with no AWS account and no credentials: the whole deploy runs for real
// against moto (and a registry for ECR's storage): release A, then (with the default three releases)
// B, C failing after its cut-over and a rollback to A, each read back from the emulated account.
// +cache="never"
func (m *Bookme) DryRun(
	ctx context.Context,
	// Commit to label the release with; default: a content hash of the source.
	// +optional
	gitSha string,
	// Deploy release A a second time and check that it changes nothing (its plan finds nothing to
	// change, the image and env file are reused, no revision is registered, the SPA is not uploaded).
	// +optional
	repeat bool,
	// Releases to rehearse: 1 (A) or 3 (then B with source, OpenTofu, env and SPA changes; C failing
	// after its cut-over; rollback to A).
	// +default=3
	releases int,
	// A prefix moto puts on every password it generates (the Redis user's), for a leak scan; a secret,
	// so that the call's own log does not show it.
	// +optional
	passwordMark *dagger.Secret,
	// A directory of the repository laid over its root for the rehearsal (its own bookme-deploy.yaml,
	// API, client, service-config), e.g. examples/cra-app; only with --releases=1.
	// +optional
	app string,
) (string, error) {
	r, err := m.rehearse(ctx, gitSha, repeat, releases, passwordMark, false, app)
	if err != nil {
		return "", err
	}
	return r.report, nil
}

// DryRunArtifacts runs the same rehearsal and returns what it produced: report.md, progress.log,
// record.json, the state and config buckets (buckets/), the bundle and the pushed image (image/).
// +cache="never"
func (m *Bookme) DryRunArtifacts(
	ctx context.Context,
	// Commit to label the release with; default: a content hash of the source.
	// +optional
	gitSha string,
	// Deploy release A a second time and check that it changes nothing (its plan finds nothing to
	// change, the image and env file are reused, no revision is registered, the SPA is not uploaded).
	// +optional
	repeat bool,
	// Releases to rehearse: 1 (A) or 3 (then B with source, OpenTofu, env and SPA changes; C failing
	// after its cut-over; rollback to A).
	// +default=3
	releases int,
	// A prefix moto puts on every password it generates (the Redis user's), for a leak scan; a secret,
	// so that the call's own log does not show it.
	// +optional
	passwordMark *dagger.Secret,
	// A directory of the repository laid over its root for the rehearsal (its own bookme-deploy.yaml,
	// API, client, service-config), e.g. examples/cra-app; only with --releases=1.
	// +optional
	app string,
) (*dagger.Directory, error) {
	r, err := m.rehearse(ctx, gitSha, repeat, releases, passwordMark, true, app)
	if err != nil {
		return nil, err
	}
	return r.dir, nil
}

type dryRunResult struct {
	report   string
	progress *strings.Builder
	first    *deploy.Deployment
	s3       *s3.Client
	image    string // OCI layout of the pushed image
	dir      *dagger.Directory
}

// rehearse runs the rehearsal; with collect, the artifacts are gathered while the account still runs.
// The app's config is read (and a bad one refused) before the emulated account starts.
func (m *Bookme) rehearse(ctx context.Context, gitSha string, repeat bool, releases int, passwordMark *dagger.Secret, collect bool, app string) (*dryRunResult, error) {
	m, err := m.laid(app, releases)
	if err != nil {
		return nil, err
	}
	e, err := m.standIn(ctx, &gitSha)
	if err != nil {
		return nil, err
	}
	base, err := e.deployConfig(ctx, deploy.Config{Env: e.Env, Who: "dry-run", StateBucket: e.StateBucket})
	if err != nil {
		return nil, err
	}
	moto, a, err := e.startEmulator(ctx, passwordMark)
	if err != nil {
		return nil, err
	}
	defer moto.Stop(context.WithoutCancel(ctx))
	if err := emulator.Prepare(ctx, a.cfg, a.s3, emulator.Account{StateBucket: e.StateBucket, HostedZone: "book-me.example.com"}); err != nil {
		return nil, err
	}
	images, err := e.emulatedECR(ctx, a, engineImages{m: e, gitSHA: gitSha, sourceURL: sourceURL})
	if err != nil {
		return nil, err
	}
	defer images.svc.Stop(context.WithoutCancel(ctx))
	if images.layout, err = os.MkdirTemp(".", "image-"); err != nil {
		return nil, err
	}
	progress := &strings.Builder{} // core/deploy serialises its writes
	mk := func(step rehearsal.Step) (*deploy.Deployment, error) {
		f, err := e.edited(ctx, step)
		if err != nil {
			return nil, err
		}
		cfg := base
		cfg.GitSHA, cfg.RunID = step.GitSHA, deploy.NewRunID()
		t := f.tofu(a, cfg)
		im := *images
		im.m, im.gitSHA, im.cfg = f, step.GitSHA, cfg
		ports := deploy.Ports{AWS: a.cfg, S3: a.s3, Tofu: t, Images: &im, Client: clientBuilder{m: f, cfg: cfg},
			Source: sourceFiles{dir: f.Source}, Out: io.MultiWriter(os.Stderr, progress)}
		step.Adapt(&cfg, &ports)
		return deploy.New(cfg, ports)
	}
	steps := rehearsal.Steps(e.Env, gitSha, rehearsal.Paths{APIDir: base.Layout.APIDir, ClientDir: base.Layout.ClientDir,
		ServiceConfigDir: base.Layout.ServiceConfigDir})
	report, first, err := rehearsal.Rehearsal{New: mk, Steps: steps[:releases], AWS: a.cfg, S3: a.s3, Repeat: repeat,
		Out: io.MultiWriter(os.Stderr, progress)}.Run(ctx)
	head := fmt.Sprintf("# bookme dry-run (%s, commit %s, emulated account)\n\n", e.Env, deploy.Short(gitSha))
	if err != nil {
		return nil, fmt.Errorf("dry-run: %w\n%s%s", err, head, report)
	}
	report = head + report + "\nDry-run passed. Deploy record:\n\n" + first.Record().Markdown() + "\n"
	r := &dryRunResult{report: report, progress: progress, first: first, s3: a.s3, image: images.layout}
	if collect {
		r.dir, err = r.artifacts(ctx)
	}
	return r, err
}

// laid is the module with app (a directory of the repository: its own bookme-deploy.yaml, API,
// client, service-config) laid over the source's root. Releases B and C edit the reference app's
// files, so another app rehearses release A alone.
func (m *Bookme) laid(app string, releases int) (*Bookme, error) {
	switch {
	case releases != 1 && releases != 3:
		return nil, fmt.Errorf("dry-run: --releases %d: rehearse 1 release (A) or 3 (A, B, C)", releases)
	case app == "":
		return m, nil
	case releases != 1:
		return nil, fmt.Errorf("dry-run: --app %s rehearses one release: give --releases=1 (releases B and C edit the reference app's files)", app)
	}
	f := *m
	f.Source = m.Source.WithDirectory(".", m.Source.Directory(app))
	return &f, nil
}

// edited is the module with a rehearsal step's changes made to its source.
func (m *Bookme) edited(ctx context.Context, step rehearsal.Step) (*Bookme, error) {
	files, err := step.Files(func(p string) (string, error) { return m.Source.File(p).Contents(ctx) })
	if err != nil {
		return nil, err
	}
	f := *m
	for p, content := range files {
		f.Source = f.Source.WithNewFile(p, content)
	}
	return &f, nil
}

// standIn is the module as the rehearsal uses it: the stand-in account's region, bucket, keys (a
// secret key given to the module is kept: the leak scan plants its own) and state encryption.
func (m *Bookme) standIn(ctx context.Context, gitSha *string) (*Bookme, error) {
	if *gitSha == "" {
		id, err := m.Source.Digest(ctx)
		if err != nil {
			return nil, err
		}
		*gitSha = strings.TrimPrefix(id, "sha256:")[:40]
	}
	e := *m
	if e.Env == "" {
		e.Env = "staging"
	}
	if e.AwsSecretAccessKey == nil {
		e.AwsSecretAccessKey = dag.SetSecret("dry-run-secret-key", "testing")
	}
	e.Region, e.StateBucket = "eu-central-1", "bookme-dryrun-tofu-state"
	e.AwsAccessKeyID, e.AwsSessionToken = dag.SetSecret("dry-run-key-id", "testing"), nil
	e.AwsCredentialsFile, e.AwsWebIdentityToken, e.AwsRoleArn = nil, nil, ""
	e.StateEncryption = dag.SetSecret("dry-run-state-encryption", emulator.StateEncryption(fakeToken()))
	return &e, nil
}

// startEmulator starts moto (marking the passwords it generates, when told) and connects to it with
// the module's credentials.
func (m *Bookme) startEmulator(ctx context.Context, passwordMark *dagger.Secret) (*dagger.Service, *access, error) {
	certs, err := emulator.NewTLS(emulator.Host)
	if err != nil {
		return nil, nil, err
	}
	spec := emulator.Moto(certs)
	if passwordMark != nil {
		mark, err := passwordMark.Plaintext(ctx)
		if err != nil {
			return nil, nil, err
		}
		spec.SecretEnv = map[string]string{emulator.PasswordMarkEnv: mark}
	}
	svc, err := start(ctx, spec)
	if err != nil {
		return nil, nil, fmt.Errorf("start moto: %w", err)
	}
	a, err := m.reach(ctx, svc, certs.CAPEM, awsconf.Options{})
	return svc, a, err
}

// standInAccount is how every verb reaches --emulated-account (moto on the caller's host, prepared as a
// real account is: state bucket, hosted zone), with the workflow lines' own arguments: ok=false when
// it is not given (or o already names an endpoint). Deployments get the rehearsal's adapter
// (rehearsal.Adapt) and images go to a registry service recorded in its ECR.
func (m *Bookme) standInAccount(ctx context.Context, o awsconf.Options) (a *access, ok bool, err error) {
	if m.EmulatedAccount == nil || o.Endpoint != "" {
		return nil, false, nil
	}
	if m.EmulatedAccountCa == nil {
		return nil, true, fmt.Errorf("--emulated-account needs --emulated-account-ca (the CA of its certificate)")
	}
	ca, err := m.EmulatedAccountCa.Contents(ctx)
	if err != nil {
		return nil, true, fmt.Errorf("--emulated-account-ca: %w", err)
	}
	// Started, the tunnel is reachable from the module's own container too, not only from those that bind it.
	svc, err := m.EmulatedAccount.Start(ctx)
	if err != nil {
		return nil, true, fmt.Errorf("--emulated-account: %w", err)
	}
	onStop(ctx, func(ctx context.Context) { _, _ = svc.Stop(ctx) })
	if a, err = m.reach(ctx, svc, []byte(ca), o); err != nil {
		return nil, true, err
	}
	a.adapt = rehearsal.Adapt
	a.images = func(ctx context.Context, e engineImages) (deploy.Images, error) {
		im, err := m.emulatedECR(ctx, a, e)
		if err == nil {
			onStop(ctx, func(ctx context.Context) { _, _ = im.svc.Stop(ctx) })
		}
		return im, err
	}
	return a, true, nil
}

// reach connects to moto served by svc over HTTPS (a certificate for emulator.Host signed by ca) with
// the module's credentials; tool containers get it bound as emulator.Host with the CA, and OpenTofu
// the files that point it there.
func (m *Bookme) reach(ctx context.Context, svc *dagger.Service, ca []byte, o awsconf.Options) (*access, error) {
	endpoint, err := svc.Endpoint(ctx, dagger.ServiceEndpointOpts{Scheme: "https"})
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	o.Endpoint, o.CABundlePEM, o.TLSServerName = endpoint, ca, emulator.Host
	a, err := m.connect(ctx, o)
	if err != nil {
		return nil, err
	}
	inside := "https://" + emulator.Host + ":" + u.Port()
	if a.tofu, err = emulator.Tofu(inside, emulator.CAPath); err != nil {
		return nil, err
	}
	a.bind = func(c *dagger.Container) *dagger.Container {
		return c.WithServiceBinding(emulator.Host, svc).WithEnvVariable("AWS_ENDPOINT_URL", inside).
			WithNewFile(emulator.CAPath, string(ca)).WithEnvVariable("AWS_CA_BUNDLE", emulator.CAPath)
	}
	return a, nil
}

// emulatedImages push with the engine to the registry service, then record the push in moto's ECR.
type emulatedImages struct {
	engineImages
	svc      *dagger.Service
	endpoint string
	ecr      *ecr.Client
	// layout, when set, keeps the pushed image (an OCI layout) for the artifacts.
	layout string
}

// emulatedECR starts the registry with moto's ECR credentials (emulator.Htpasswd); e says what to build.
func (m *Bookme) emulatedECR(ctx context.Context, a *access, e engineImages) (*emulatedImages, error) {
	ecrc := ecr.NewFromConfig(a.cfg)
	creds, err := registry.Auth(ctx, ecrc)
	if err != nil {
		return nil, err
	}
	spec, err := rehearsal.Registry(creds)
	if err != nil {
		return nil, err
	}
	svc, err := start(ctx, spec)
	if err != nil {
		return nil, err
	}
	endpoint, err := svc.Endpoint(ctx)
	if err != nil {
		return nil, err
	}
	e.registry, e.pushHost = svc, emulator.RegistryPushHost
	return &emulatedImages{engineImages: e, svc: svc, endpoint: endpoint, ecr: ecrc}, nil
}

func (e *emulatedImages) Push(ctx context.Context, plan *registry.PublishPlan, creds *registry.Credentials) (string, error) {
	digest, err := e.engineImages.Push(ctx, plan, creds)
	if err != nil {
		return "", err
	}
	return digest, rehearsal.RecordPush(ctx, e.ecr, e.endpoint, plan, digest, creds, e.layout)
}

// start runs a stand-in service (a fresh one per run: BOOKME_RUN busts the cache).
func start(ctx context.Context, s emulator.Service) (*dagger.Service, error) {
	run := deploy.NewRunID()
	ctr := dag.Container().From(s.Image).WithExposedPort(s.Port).WithEnvVariable("BOOKME_RUN", run)
	for p, c := range s.Files {
		ctr = ctr.WithNewFile(p, c)
	}
	for p, c := range s.SecretFiles {
		ctr = ctr.WithMountedSecret(p, dag.SetSecret("stand-in-"+run+p, c))
	}
	for k, v := range s.Env {
		ctr = ctr.WithEnvVariable(k, v)
	}
	for k, v := range s.SecretEnv {
		ctr = ctr.WithSecretVariable(k, dag.SetSecret("stand-in-"+run+k, v))
	}
	svc, err := ctr.AsService(dagger.ContainerAsServiceOpts{UseEntrypoint: true, Args: s.Args}).Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", s.Image, err)
	}
	return svc, nil
}

// artifacts gathers what the rehearsal produced into one directory.
func (r *dryRunResult) artifacts(ctx context.Context) (*dagger.Directory, error) {
	dir, err := os.MkdirTemp(".", "artifacts-")
	if err != nil {
		return nil, err
	}
	base, _, _ := r.first.Outputs()
	if err := rehearsal.Artifacts(ctx, r.s3, dir, r.report, r.progress.String(), r.first, r.first.Config().StateBucket, base.ConfigBucket); err != nil {
		return nil, err
	}
	out := dag.Directory().WithDirectory("/", hostDir(dir)).WithDirectory("bundle", hostDir(r.first.BundleDir()))
	if r.image != "" {
		out = out.WithDirectory("image", hostDir(r.image))
	}
	return out, nil
}

func fakeToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "dryrun" + hex.EncodeToString(b)
}
