package deploy

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"bookme-deploy/core/lock"
	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/planfile"
	"bookme-deploy/core/record"
	"bookme-deploy/core/release"
	"bookme-deploy/core/stack"
)

// Deployment is one run of the release DAG (Deploy) or of its read-only twin (Plan). Its stages
// fill in what later stages read.
type Deployment struct {
	cfg      Config
	ports    Ports
	timeouts Timeouts
	out      io.Writer
	// planOnly: every stage only reads and reports what it would do.
	planOnly bool

	mu       sync.Mutex
	base     *stack.Base
	backend  *stack.Backend
	frontend *stack.Frontend
	image    string
	// dbAppUser is the application's database role (the env file's POSTGRES_USER).
	dbAppUser string
	// envFileKey is the release's env file (content-addressed key in the config bucket).
	envFileKey string
	// bundle is the local directory of the built client bundle.
	bundle string
	// pendingPaths are the release's changed paths, for the invalidation.
	pendingPaths []string
	// spaPlan is the staged SPA release (stage-spa), cut over by cutover-spa.
	spaPlan *release.Plan
	// spaCut is set when the cut-over started: what a roll-back restores.
	spaCut *spaCut
	// rolledFrom maps each service migrate-and-roll moved to the revision it ran before.
	rolledFrom map[string]string
	// firstRelease maps each service this deploy moved off OpenTofu's template (its first release):
	// a roll-back leaves it where it is.
	firstRelease map[string]string
	// stop cancels the running deploy (with the cause): the lock's OnLost calls it.
	stop context.CancelCauseFunc
	// rollingFrom is set while migrate-and-roll runs (and stays when it was cancelled): the revision
	// each service ran before it, for the roll-back of a roll the cancellation interrupted.
	rollingFrom map[string]string
	held        *lock.Lock
	rec         *record.Record
	stats       Stats
	// plans collects each stage's plan text (plan mode).
	plans map[string]string
	// prints collects every part's fingerprint (plan and deploy alike).
	prints *planfile.File
}

// New makes a deployment. Nothing is read or changed until Deploy or Plan.
func New(cfg Config, ports Ports) (*Deployment, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ports.validate(); err != nil {
		return nil, err
	}
	if cfg.RunID == "" {
		cfg.RunID = NewRunID()
	}
	cfg.Layout = cfg.Layout.WithDefaults()
	cfg.Who = Who(cfg.Who)
	out := ports.Out
	if out == nil {
		out = io.Discard
	}
	d := &Deployment{cfg: cfg, ports: ports, timeouts: cfg.Timeouts.withDefaults(), out: &lineWriter{w: out}}
	d.prints = planfile.New(cfg.Env, cfg.GitSHA, time.Now())
	return d, nil
}

// Stats counts what a deploy changed: a repeated deploy of the same commit must count zeros.
type Stats struct {
	ImagePushed        bool  `json:"imagePushed"`
	EnvFileUploaded    bool  `json:"envFileUploaded"`
	Registered         int   `json:"taskDefinitionsRegistered"`
	ObjectsUploaded    int   `json:"objectsUploaded"`
	BytesUploaded      int64 `json:"bytesUploaded"`
	ObjectsDeleted     int   `json:"objectsDeleted"`
	EnvFilesDeleted    int   `json:"envFilesDeleted"`
	Invalidations      int   `json:"invalidations"`
	TofuResourceChange int   `json:"tofuResourceChanges"`
}

// NoOp says whether the deploy changed nothing the pipeline owns (OpenTofu's changes are counted
// apart: TofuResourceChange).
func (s Stats) NoOp() bool {
	return !s.ImagePushed && !s.EnvFileUploaded && s.Registered == 0 && s.ObjectsUploaded == 0 &&
		s.ObjectsDeleted == 0 && s.EnvFilesDeleted == 0 && s.Invalidations == 0
}

// Text is one line for people.
func (s Stats) Text() string {
	return fmt.Sprintf("image pushed: %v · env file uploaded: %v · task definitions registered: %d · objects uploaded: %d (%d bytes) · deleted: %d · env files deleted: %d · invalidations: %d · tofu resource changes: %d",
		s.ImagePushed, s.EnvFileUploaded, s.Registered, s.ObjectsUploaded, s.BytesUploaded, s.ObjectsDeleted, s.EnvFilesDeleted, s.Invalidations, s.TofuResourceChange)
}

// Stats is what this deployment changed so far.
func (d *Deployment) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Record is the deploy record (nil before Deploy).
func (d *Deployment) Record() *record.Record { return d.rec }

// Image is the deployed (or planned, when reused) image by digest.
func (d *Deployment) Image() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.image
}

// Outputs are the stacks' outputs this deployment read (nil before the stage ran).
func (d *Deployment) Outputs() (*stack.Base, *stack.Frontend, *stack.Backend) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.base, d.frontend, d.backend
}

// HoldsLock reports whether the deployment holds the deploy lock now.
func (d *Deployment) HoldsLock() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.held != nil
}

// Fingerprints are the parts' fingerprints (the plan file `plan --format json` saves).
func (d *Deployment) Fingerprints() *planfile.File { return d.prints }

// Config is the deployment's configuration (defaults filled in).
func (d *Deployment) Config() Config { return d.cfg }

// part records a part's fingerprint and, under a reviewed plan, refuses it when it drifted. Call it
// after planning the part and before applying it.
func (d *Deployment) part(name, fingerprint, summary string) error {
	d.prints.Set(name, fingerprint, summary)
	if d.cfg.Planned == nil || d.planOnly {
		return nil
	}
	if err := d.cfg.Planned.Verify(name, fingerprint, summary); err != nil {
		return fmt.Errorf("%w (%s not applied)", err, name)
	}
	return nil
}

func (d *Deployment) addPlan(name, text string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.plans == nil {
		d.plans = map[string]string{}
	}
	d.plans[name] = text
}

// progress is the running stage's writer: its lines go to the output and become events of the
// stage's span (core/pipeline).
func (d *Deployment) progress(ctx context.Context) io.Writer { return pipeline.Progress(ctx) }

func (d *Deployment) logf(ctx context.Context, format string, a ...any) {
	fmt.Fprintf(d.progress(ctx), format+"\n", a...)
}

func (d *Deployment) count(f func(s *Stats)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(&d.stats)
}

// lineWriter serialises writes from parallel stages.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func trimNL(s string) string { return strings.TrimRight(s, "\n") }

// BundleDir is the local directory of the built client bundle ("" before the build).
func (d *Deployment) BundleDir() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bundle
}
