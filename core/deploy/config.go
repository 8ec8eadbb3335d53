package deploy

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/planfile"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
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
}

// DefaultLayout is the reference app's layout.
var DefaultLayout = Layout{APIDir: "examples/bookme/api", ServiceConfigDir: "service-config/api"}

// Timeouts of a deployment's waits.
type Timeouts struct {
	// Lock is how long to wait for another deploy's lock (default 10 min); LockPoll how often to look.
	Lock, LockPoll time.Duration
	// Invalidation is how long to wait for CloudFront (default 20 min); InvalidationPoll how often.
	Invalidation, InvalidationPoll time.Duration
	// Rollout are the ECS waits (one-off tasks, the roll; core/rollout's defaults).
	Rollout rollout.Settings
}

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
	return t
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
