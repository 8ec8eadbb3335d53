package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/planfile"
)

// The dry-run's rehearsals beyond deploying twice: a concurrent deploy refused by the lock, a saved
// plan (timed against the no-op deploy), and `deploy --plan-file` of that plan.

// heldLock reports whether the deployment holds the deploy lock now.
func (d *deployment) heldLock() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.held != nil
}

// rehearseConcurrent waits until holder holds the deploy lock, then starts a second deploy of the
// same commit with a short lock wait: it must be refused by the lock, naming the holder, and leave
// the holder's lock in place. It returns a report line, or an error when the lock did not refuse.
func rehearseConcurrent(ctx context.Context, holder *deployment, mk func() *deployment) (string, error) {
	deadline := time.Now().Add(5 * time.Minute)
	for !holder.heldLock() {
		if time.Now().After(deadline) {
			return "", fmt.Errorf("concurrent deploy: the first deploy never took the lock")
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	rival := mk()
	rival.who = "dry-run-rival"
	rival.lockWait = 3 * time.Second
	t0 := time.Now()
	rep, err := rival.run(ctx)
	took := time.Since(t0).Round(time.Second)
	if err == nil {
		return "", fmt.Errorf("concurrent deploy: a second deploy ran while the first held the lock:\n%s", rep.Text())
	}
	lockStep := outcome(rep, "lock")
	if lockStep.Status != pipeline.Failed || !strings.Contains(lockStep.Error, "is held by "+holder.who) {
		return "", fmt.Errorf("concurrent deploy: failed, but not by the lock: %v", err)
	}
	for _, s := range rep.Steps {
		if s.Name != "lock" && s.Name != "unlock" && s.Name != "record" && s.Status != pipeline.Skipped {
			return "", fmt.Errorf("concurrent deploy: step %s ran (%s) after the lock refused", s.Name, s.Status)
		}
	}
	if !holder.heldLock() {
		return "", fmt.Errorf("concurrent deploy: the first deploy lost its lock")
	}
	return fmt.Sprintf("Concurrent deploy (%s, lock wait %s): refused by the lock in %s, no step ran: %s\n\n",
		rival.who, rival.lockWait, took, firstLine(lockStep.Error)), nil
}

func outcome(rep *pipeline.Report, name string) pipeline.Outcome {
	for _, s := range rep.Steps {
		if s.Name == name {
			return s
		}
	}
	return pipeline.Outcome{}
}

// tofuPlansTime is the wall time the three `tofu plan`s of a plan run take on their own: base and
// frontend in parallel, backend after base.
func tofuPlansTime(rep *pipeline.Report) time.Duration {
	base, front, back := outcome(rep, "plan-base"), outcome(rep, "plan-frontend"), outcome(rep, "plan-backend")
	return max(base.Duration+back.Duration, front.Duration)
}

// rehearsePlanFile saves a plan of the emulated account, round-trips it through its JSON form and
// deploys it with --plan-file semantics (pre-flight comparison, then per-part checks). It returns
// the report section and the plan run's times.
func rehearsePlanFile(ctx context.Context, mk func() *deployment, noOp time.Duration) (string, *deployment, error) {
	var b strings.Builder
	planner := mk()
	planner.planOnly = true
	t0 := time.Now()
	prep := runPlan(ctx, planner)
	planWall := time.Since(t0)
	fmt.Fprintf(&b, "## Plan (`plan --format json`)\n\n```\n%s```\n", prep.Text())
	if err := prep.Err(); err != nil {
		return b.String(), nil, fmt.Errorf("dry-run: plan: %w", err)
	}
	tofuOnly := tofuPlansTime(prep)
	fmt.Fprintf(&b, "Plan: %s in all; the three `tofu plan`s alone %s. No-op deploy %s = %.2f× the three plans (target ≤ 1.5×).\n\n",
		planWall.Round(time.Second), tofuOnly.Round(time.Second), noOp.Round(time.Second), noOp.Seconds()/tofuOnly.Seconds())
	data, err := planner.prints.JSON()
	if err != nil {
		return b.String(), nil, err
	}
	planned, err := planfile.Parse(data)
	if err != nil {
		return b.String(), nil, fmt.Errorf("dry-run: the saved plan does not parse: %w", err)
	}
	check := mk()
	if err := preflight(ctx, check, planned); err != nil {
		return b.String(), nil, fmt.Errorf("dry-run: deploy --plan-file: %w", err)
	}
	d := mk()
	d.planned = planned
	rep, err := d.run(ctx)
	fmt.Fprintf(&b, "## Deploy of the saved plan (`deploy --plan-file`)\n\n```\n%s```\n%s\n\n", rep.Text(), d.stats.text())
	if err != nil {
		return b.String(), d, fmt.Errorf("dry-run: deploy --plan-file: %w", err)
	}
	if !d.stats.noOp() {
		return b.String(), d, fmt.Errorf("dry-run: deploying the plan of an unchanged account changed something: %s", d.stats.text())
	}
	fmt.Fprintf(&b, "Saved plan: every part matched (%s); deployed as planned, nothing changed.\n\n", strings.Join(planfile.Parts, ", "))
	return b.String(), d, nil
}
