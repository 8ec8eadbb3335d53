package deploy

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/planfile"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/smoke"
	"bookme-deploy/core/stack"
)

// Config is what one deployment deploys, and where.
type Config struct {
	// Env names the environment (infra/environments/<env>.tfvars).
	Env string
	// GitSHA is the full commit id being deployed.
	GitSHA string
	// Who deploys and RunURL links the CI run: recorded in the lock and the deploy record.
	Who, RunURL string
	// RunID names this run (caller references, release ids); NewRunID makes one.
	RunID string
	// StateBucket holds the OpenTofu state and the deploy lock (deploy/<env>/lock.json).
	StateBucket string
	// FullSHATag tags the image with the full commit id instead of its first 12 digits.
	FullSHATag bool
	// Stages selects stages (deploy --stages; core/deployflow.Selectable); empty: all.
	Stages []string
	// Planned, when set (deploy --plan-file), is the reviewed plan: a part whose fingerprint differs
	// is refused before it is applied.
	Planned *planfile.File
	// Rehearsal marks the record of a rehearsal against an emulated account (dry-run).
	Rehearsal bool
	// Layout says where the app's parts are in the repository.
	Layout Layout
	// Timeouts of the waits; zero values take the defaults.
	Timeouts Timeouts
	// KeepReleases is how many previous successful releases keep their env file beside the current
	// one (and any a service references); 0 takes the SPA's default (core/release.DefaultKeepReleases).
	KeepReleases int
	// App is how the app is built, migrated, checked and released (core/appconfig fills it from the
	// repository's bookme-deploy.yaml); zero values: the reference app's.
	App App
}

func (c Config) keepReleases() int {
	if c.KeepReleases > 0 {
		return c.KeepReleases
	}
	return release.DefaultKeepReleases
}

// Layout is where the deployed app lives in the repository.
type Layout struct {
	// APIDir holds the API's Dockerfile (with a `production` stage).
	APIDir string
	// ServiceConfigDir holds env.tmpl, schema.json and <env>.inputs.json.
	ServiceConfigDir string
	// Dockerfile is the API's Dockerfile relative to APIDir ("": Dockerfile) and Target the stage
	// built ("": core/registry.ProductionStage).
	Dockerfile, Target string
	// ClientDir holds the SPA's sources and ClientOutput, relative to it, the bundle its build
	// writes ("": the reference app's examples/bookme/frontend and dist).
	ClientDir, ClientOutput string
}

// DefaultLayout is the reference app's layout.
var DefaultLayout = Layout{APIDir: "examples/bookme/api", ServiceConfigDir: "service-config/api",
	Dockerfile: "Dockerfile", Target: registry.ProductionStage, ClientDir: "examples/bookme/frontend", ClientOutput: "dist"}

// WithDefaults fills each empty field from DefaultLayout.
func (l Layout) WithDefaults() Layout {
	d := DefaultLayout
	for _, f := range []struct{ v, def *string }{{&l.APIDir, &d.APIDir}, {&l.ServiceConfigDir, &d.ServiceConfigDir},
		{&l.Dockerfile, &d.Dockerfile}, {&l.Target, &d.Target}, {&l.ClientDir, &d.ClientDir}, {&l.ClientOutput, &d.ClientOutput}} {
		if *f.v == "" {
			*f.v = *f.def
		}
	}
	return l
}

// APIBuild is how the API image is built: the build context, the Dockerfile's path in it, the
// stage, and the build args sorted by name (a stable order keeps the build cached).
type APIBuild struct {
	Dir, Dockerfile, Target string
	Args                    []BuildArg
}

// BuildArg is one --build-arg.
type BuildArg struct{ Name, Value string }

// APIBuild is the API image's build of this configuration (Layout's defaults filled in).
func (c Config) APIBuild() APIBuild {
	l := c.Layout.WithDefaults()
	b := APIBuild{Dir: l.APIDir, Dockerfile: l.Dockerfile, Target: l.Target}
	for _, k := range slices.Sorted(maps.Keys(c.App.APIBuildArgs)) {
		b.Args = append(b.Args, BuildArg{Name: k, Value: c.App.APIBuildArgs[k]})
	}
	return b
}

// App is what bookme-deploy.yaml says beyond the Layout (core/appconfig.Config.Deploy). Zero
// values keep today's behaviour.
type App struct {
	// APIBuildArgs are extra build args of the API image.
	APIBuildArgs map[string]string
	// ClientImage, ClientInstall and ClientBuild build the SPA (nil ClientInstall: no install step).
	ClientImage                string
	ClientInstall, ClientBuild []string
	// ClientEnv gives the client's build-time variables from the frontend stack's outputs
	// (core/appconfig.Config.ClientEnv); nil: the reference app's VITE_API_BASE_URL and VITE_WS_BASE_URL.
	ClientEnv func(f *stack.Frontend) (map[string]string, error)
	// Headers override the SPA's default headers (first match wins).
	Headers []release.Rule
	// BootstrapCommand replaces the built-in DB bootstrap's command; SkipBootstrap runs none.
	BootstrapCommand []string
	SkipBootstrap    bool
	// MigrationCommand replaces rollout.DefaultMigrationCommand; SkipMigration runs none.
	MigrationCommand []string
	SkipMigration    bool
	// APIContainer and WorkerContainer, when set, must equal the backend stack's container names.
	APIContainer, WorkerContainer string
	// Smoke says what the smoke checks fetch and expect.
	Smoke SmokeChecks
}

// SmokeChecks are the smoke checks' paths and expectations ("" and 0: core/smoke's defaults).
type SmokeChecks struct {
	// APIPath is fetched from the API's URL (default core/smoke.PingPath), APIStatus expected
	// (default 200) and APIBodyContains, when set, must be in the body.
	APIPath         string
	APIStatus       int
	APIBodyContains string
	// AnyRelease: the API does not name the release that answers (bookme-deploy.yaml's
	// smoke.api.release: false), so the check does not demand core/smoke.ReleaseHeader.
	AnyRelease bool
	// SPAPath is fetched from the client's URL (default "/"); SPAEntry says how its HTML names the
	// entry script: "module" (<script type="module">, the default) or "script" (any <script src>).
	SPAPath, SPAEntry string
}

// Timeouts of a deployment's waits.
type Timeouts struct {
	// Lock is how long to wait for another deploy's lock (default 10 min); LockPoll how often to look.
	Lock, LockPoll time.Duration
	// LockTTL is how long the held lock lasts without a renewal (lock.DefaultTTL when zero); its
	// heartbeat renews it every third of that.
	LockTTL time.Duration
	// Invalidation is how long to wait for CloudFront (default 20 min); InvalidationPoll how often.
	Invalidation, InvalidationPoll time.Duration
	// Rollout are the ECS waits (one-off tasks, the roll; core/rollout's defaults).
	Rollout rollout.Settings
	// Smoke bounds each smoke check, retries included, SmokePoll is the pause between attempts and
	// SmokeRequest bounds one attempt (core/smoke's defaults).
	Smoke, SmokePoll, SmokeRequest time.Duration
	// Cleanup bounds each finally step (roll-back, unlock) and the record's write, which run on a
	// context of their own when the deploy is cancelled (default: Rollout.Timeout + Invalidation +
	// 2 min for the roll-back; unlock and record get CleanupShort).
	Cleanup time.Duration
}

// CleanupShort bounds the unlock and the record's write.
const CleanupShort = 2 * time.Minute

// Budget is the longest a deploy may wait in all: the lock, the one-off tasks, the migration and
// the roll (Rollout.Timeout each), the invalidation, the smoke checks and a roll-back with its
// clean-up. Builds and OpenTofu are not bounded by Timeouts and not counted. Credentials that end
// sooner refuse the deploy before it starts (awsconf.CheckLifetime).
func (t Timeouts) Budget() time.Duration {
	t = t.withDefaults()
	rt := t.Rollout.Timeout
	if rt <= 0 {
		rt = rollout.DefaultTimeout
	}
	return t.Lock + 3*rt + t.Invalidation + t.Smoke + t.cleanup() + 2*CleanupShort
}

// DefaultTimeouts are the timeouts a zero Timeouts takes.
func DefaultTimeouts() Timeouts { return Timeouts{}.withDefaults() }

func (t Timeouts) withDefaults() Timeouts {
	if t.Lock <= 0 {
		t.Lock = 10 * time.Minute
	}
	if t.LockPoll <= 0 {
		t.LockPoll = 5 * time.Second
	}
	if t.Invalidation <= 0 {
		t.Invalidation = 20 * time.Minute
	}
	if t.InvalidationPoll <= 0 {
		t.InvalidationPoll = 10 * time.Second
	}
	if t.Smoke <= 0 {
		t.Smoke = smoke.DefaultRetryFor
	}
	if t.SmokePoll <= 0 {
		t.SmokePoll = smoke.DefaultInterval
	}
	if t.SmokeRequest <= 0 {
		t.SmokeRequest = smoke.DefaultRequestTimeout
	}
	return t
}

// cleanup is Cleanup or its default (computed, so that DefaultTimeouts stays what configs compare).
func (t Timeouts) cleanup() time.Duration {
	if t.Cleanup > 0 {
		return t.Cleanup
	}
	t = t.withDefaults()
	rt := t.Rollout.Timeout
	if rt <= 0 {
		rt = rollout.DefaultTimeout
	}
	return rt + t.Invalidation + 2*time.Minute
}

// Ports are what a deployment talks to. AWS, S3 and Tofu are required; a nil Images, Client or
// Source fails the stage that needs it; a nil Smoke checks over HTTP.
type Ports struct {
	AWS aws.Config
	// S3 is the S3 client (path-style against an emulator: the adapter decides).
	S3     *s3.Client
	Tofu   Tofu
	Images Images
	Client ClientBuilder
	Source Source
	Smoke  Smoke
	// RolloutOptions adapt the ECS engine (an emulator's gaps; nothing for AWS).
	RolloutOptions []rollout.Option
	// Out receives progress lines; nil discards.
	Out io.Writer
}

// Validate refuses a configuration before anything is read or changed.
func (c Config) Validate() error {
	var problems []string
	if strings.TrimSpace(c.Env) == "" {
		problems = append(problems, "no environment: give --env")
	}
	if c.GitSHA == "" {
		problems = append(problems, "no commit to deploy")
	}
	if c.StateBucket == "" {
		problems = append(problems, "no OpenTofu state bucket")
	}
	if c.Planned != nil && len(c.Stages) > 0 {
		problems = append(problems, "--stages and --plan-file cannot be combined: a plan file covers the whole deploy")
	}
	if len(problems) > 0 {
		return fmt.Errorf("deploy: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (p Ports) validate() error {
	switch {
	case p.S3 == nil:
		return fmt.Errorf("deploy: no S3 client")
	case p.Tofu == nil:
		return fmt.Errorf("deploy: no OpenTofu runner")
	}
	return nil
}
