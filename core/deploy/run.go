package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/deployflow"
	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/planfile"
	"bookme-deploy/core/record"
)

// Deploy runs the deploy DAG (core/deployflow), then always writes the deploy record; the lock is
// always released. It returns the report of every step, the record's included.
//
// Cancelled (ctx done: Ctrl-C, SIGTERM, a cancelled CI job): no new stage starts, a running one-off
// task is stopped (core/rollout), the finally steps run on a context of their own bounded by
// Timeouts.Cleanup — the roll-back returns the services an interrupted roll moved and the SPA a
// cut-over changed, the lock is released — and the record says "cancelled" with what was
// interrupted. Credentials that would expire within Timeouts.Budget refuse the deploy before it
// starts (nothing changed, no record).
func (d *Deployment) Deploy(ctx context.Context) (*pipeline.Report, error) {
	if err := awsconf.CheckLifetime(ctx, d.ports.AWS.Credentials, d.timeouts.Budget(), time.Now()); err != nil {
		return &pipeline.Report{}, fmt.Errorf("deploy refused before it started: %w", err)
	}
	d.rec = record.New(d.cfg.Env, d.cfg.Who, d.cfg.GitSHA)
	d.rec.RunURL = d.cfg.RunURL
	d.rec.RunID = d.cfg.RunID
	d.rec.DryRun = d.cfg.Rehearsal
	d.rec.TaskDefinitions = map[string]string{}
	d.rec.PlanHashes = map[string]string{}
	steps, finally, err := deployflow.Deploy(deployflow.Stages{
		Lock: d.takeLock, TofuBase: d.tofuBase, TofuFrontend: d.tofuFrontend, Image: d.imageStage,
		EnvFile: d.envFileStage, TofuBackend: d.tofuBackend, MigrateAndRoll: d.migrateAndRoll,
		BuildClient: d.buildClient, StageSPA: d.stageSPA, CutoverSPA: d.cutoverSPA, Invalidate: d.invalidate,
		Smoke: d.smokeStage, Prune: d.pruneEnvFiles, RollBack: bounded(d.timeouts.cleanup(), d.rollBack),
		Unlock:      bounded(CleanupShort, d.releaseLock),
		BaseOutputs: d.readBase, FrontendOutputs: d.readFrontend, BackendOutputs: d.readBackend,
		ExistingImage: d.existingImage,
	}, d.cfg.Stages...)
	if err != nil {
		return &pipeline.Report{}, err
	}
	// A lost deploy lock (another run took it over, or it was forced open) cancels the deploy: its
	// steps stop, the finally steps (roll-back, unlock) run, the record says cancelled and why.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	d.mu.Lock()
	d.stop = stop
	d.mu.Unlock()
	rep := pipeline.Run(ctx, d.out, steps, finally...)
	// The record is written after the DAG, with every step's outcome, whatever happened.
	d.rec.SetSteps(rep)
	if rep.Cancelled() {
		d.rec.Cancellation = cancellation(ctx, rep)
		if len(d.rec.Cancellation.Interrupted) == 0 {
			// Cancelled between steps: a step of its own says so (stored as failed + cancelled, so
			// readers that predate cancellation see no success either).
			d.rec.Add(record.Step{Name: "cancelled", Status: record.Cancelled, Started: time.Now().UTC(),
				Detail: "cancelled before every step ran (" + d.rec.Cancellation.Reason + "); no step was interrupted"})
		}
	}
	t0 := time.Now()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupShort)
	defer cancel()
	where, err := d.saveRecord(rctx)
	o := pipeline.Outcome{Name: "record", Status: pipeline.Succeeded, Detail: where, Started: t0, Duration: time.Since(t0)}
	if err != nil {
		o.Status, o.Error = pipeline.Failed, err.Error()
		fmt.Fprintf(d.out, "✘ record: %v\n", err)
	} else {
		fmt.Fprintf(d.out, "✔ record %s\n", where)
	}
	rep.Steps = append(rep.Steps, o)
	return rep, rep.Err()
}

// bounded runs a finally stage with a deadline of its own: its ctx is not cancelled with the
// deploy's (core/pipeline), so a cancelled deploy still cleans up, within limit.
func bounded(limit time.Duration, stage deployflow.Stage) deployflow.Stage {
	return func(ctx context.Context) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		return stage(ctx)
	}
}

// cancellation is the record's account of a cancelled run: the cause and each interrupted step
// with what it said it left behind.
func cancellation(ctx context.Context, rep *pipeline.Report) *record.Cancellation {
	c := &record.Cancellation{Reason: "cancelled"}
	if err := context.Cause(ctx); err != nil {
		c.Reason = err.Error()
	}
	for _, o := range rep.Steps {
		if o.Status == pipeline.Cancelled {
			c.Interrupted = append(c.Interrupted, o.Name+": "+o.Error)
		}
	}
	return c
}

// Plan runs the read-only twin of the deploy: the three `tofu plan`s (backend and frontend against
// the base stack's current outputs), the image that would be built or reused, the env file's key
// diff, the S3 upload and delete lists, the invalidation paths and the task-definition diffs.
func (d *Deployment) Plan(ctx context.Context) *pipeline.Report {
	d.planOnly = true
	return pipeline.Run(ctx, d.out, d.planSteps())
}

func (d *Deployment) planSteps() []pipeline.Step {
	steps, err := deployflow.Plan(deployflow.PlanStages{
		Base: d.tofuBase, Frontend: d.tofuFrontend, Image: d.imageStage, EnvFile: d.envFileStage,
		Backend: d.tofuBackend, Rollout: d.rolloutStage, BuildClient: d.buildClient, Release: d.stageSPA,
	})
	if err != nil {
		panic(err) // every stage is wired above
	}
	return steps
}

// PlanText renders every collected plan in DAG order (Markdown sections).
func (d *Deployment) PlanText() string {
	var b strings.Builder
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.planSteps() {
		if t, ok := d.plans[s.Name]; ok {
			fmt.Fprintf(&b, "### %s\n\n```\n%s\n```\n\n", s.Name, trimNL(t))
		}
	}
	return b.String()
}

// Preflight plans everything again, read-only, with a fresh deployment of the same configuration,
// and refuses when any part differs from the reviewed plan: then nothing has been changed (not even
// the lock taken).
func Preflight(ctx context.Context, check *Deployment, planned *planfile.File) error {
	if err := planned.CheckTarget(check.cfg.Env, check.cfg.GitSHA); err != nil {
		return err
	}
	rep := check.Plan(ctx)
	if err := rep.Err(); err != nil {
		return fmt.Errorf("--plan-file: planning again to compare failed (nothing was changed): %w\n%s", err, rep.Text())
	}
	if err := planned.Compare(check.prints).Err(); err != nil {
		return fmt.Errorf("--plan-file: %w. Nothing was changed", err)
	}
	fmt.Fprintf(check.out, "plan file: every part matches the reviewed plan (%s)\n", strings.Join(planfile.Parts, ", "))
	return nil
}

// saveRecord writes the record to the config bucket (the state bucket when the base stack's outputs
// were never read).
func (d *Deployment) saveRecord(ctx context.Context) (string, error) {
	d.rec.Finish()
	bucket := d.cfg.StateBucket
	if base, _, _ := d.Outputs(); base != nil {
		bucket = base.ConfigBucket
	}
	key, err := record.Save(ctx, d.ports.S3, bucket, d.rec)
	if err != nil {
		return "", err
	}
	return "s3://" + bucket + "/" + key, nil
}

// Summary is the deploy's Markdown summary: the record and the step report.
func (d *Deployment) Summary(rep *pipeline.Report) string {
	return d.rec.Markdown() + "\n```\n" + rep.Text() + "```\n"
}
