// Package deployflow is the shape of a deploy: which stage runs after which. core/pipeline runs the
// DAG; the caller (core/deploy, driven by the Dagger module in ci/) implements the stages. Keeping the shape here means the ordering and
// the failure semantics — a failed stage stops everything that depends on it, later stages do not
// start, the lock is always released — are tested without an engine or an AWS account.
//
//	lock → tofu-base → image ─────────────┐
//	     │           └→ env-file ─────────┤ (needs frontend's domain names too)
//	     │           └→ tofu-backend ─────┴→ migrate-and-roll ──┐  (db-bootstrap → migration → roll)
//	     └→ tofu-frontend → build-client → stage-spa ───────────┴→ cutover-spa → invalidate → smoke
//	                                                               smoke → prune (optional)
//	finally: roll-back (only after a failure, once the release changed what is served), unlock
//
// prune (when given) deletes what the release made obsolete (old releases' env files): it runs only
// after every other step succeeded, under the lock; it must not fail the deploy (it reports
// problems in its detail), since a failed prune would roll back a good release.
//
// stage-spa uploads only new, content-hashed names (nothing served changes), so it runs beside
// the backend; cutover-spa (other files, HTML, the release manifest, pruning) waits for the
// services to run the new release. A deploy that fails once migrate-and-roll succeeded or the
// cut-over started returns the release as a whole: the roll-back step (a finally step, before
// unlock, with a context that is not cancelled) puts the SPA and the services back on the previous
// release. Migrations are never reversed. A deploy cancelled during migrate-and-roll is rolled back
// too: the roll it interrupted may have moved services.
//
// The deploy record is not a step: the caller writes it after the DAG and the finally steps.
package deployflow

import (
	"context"
	"fmt"
	"sync"

	"bookme-deploy/core/pipeline"
)

// Stage is one stage's work: it returns a one-line detail for the report.
type Stage = func(ctx context.Context) (detail string, err error)

// Step names of a deploy.
const (
	Lock           = "lock"
	TofuBase       = "tofu-base"
	TofuFrontend   = "tofu-frontend"
	Image          = "image"
	EnvFile        = "env-file"
	TofuBackend    = "tofu-backend"
	MigrateAndRoll = "migrate-and-roll"
	BuildClient    = "build-client"
	StageSPA       = "stage-spa"
	CutoverSPA     = "cutover-spa"
	Invalidate     = "invalidate"
	Smoke          = "smoke"
	Prune          = "prune"
	RollBack       = "roll-back"
	Unlock         = "unlock"
)

// Stages are a deploy's stages. Every field is required.
type Stages struct {
	Lock, TofuBase, TofuFrontend, Image, EnvFile, TofuBackend, MigrateAndRoll,
	BuildClient, StageSPA, CutoverSPA, Invalidate, Smoke, Unlock Stage
	// RollBack returns the release to the previous one (services and SPA). It runs, as the first
	// finally step, only when the deploy failed after migrate-and-roll succeeded or after
	// cutover-spa started; otherwise the step is reported skipped.
	RollBack Stage
	// Prune, optional (nil: no prune step), runs after smoke: only when the whole deploy succeeded.
	Prune Stage
	// Read-only stand-ins, run instead of a stage a selection leaves out when a selected stage needs
	// what it would provide: a stack's current outputs, the commit's image already in the registry.
	BaseOutputs, FrontendOutputs, BackendOutputs, ExistingImage Stage
}

// Release selects the SPA release as a whole: build-client, stage-spa, cutover-spa and invalidate.
const Release = "release"

// Selectable are the names a selection may use.
var Selectable = []string{TofuBase, TofuFrontend, Image, EnvFile, TofuBackend, MigrateAndRoll, Release, Smoke}

// orderOnly are edges that order two steps without the later one needing the earlier one's
// results: a selection does not pull in the earlier one's inputs (`--stages release` cuts over
// without reading the backend).
var orderOnly = map[[2]string]bool{{CutoverSPA, MigrateAndRoll}: true}

// Deploy returns the deploy DAG and its finally steps (roll-back, then unlock).
//
// only selects stages (Selectable; none = all). A stage left out runs its read-only stand-in when
// a selected stage depends on it (a stack's outputs are read, the commit's image must already
// exist), and otherwise does nothing; the lock is always taken and released.
func Deploy(s Stages, only ...string) (steps []pipeline.Step, finally []pipeline.Step, err error) {
	steps = []pipeline.Step{
		{Name: Lock, Run: s.Lock},
		{Name: TofuBase, After: []string{Lock}, Run: s.TofuBase},
		{Name: TofuFrontend, After: []string{Lock}, Run: s.TofuFrontend},
		// The image's repository comes from the base stack.
		{Name: Image, After: []string{TofuBase}, Run: s.Image},
		// The env file names the database (base) and the domains (frontend).
		{Name: EnvFile, After: []string{TofuBase, TofuFrontend}, Run: s.EnvFile},
		// The backend stack's task definitions name the commit's image tag: it must exist first.
		{Name: TofuBackend, After: []string{TofuBase, Image}, Run: s.TofuBackend},
		// One-off tasks and services need the backend's families, the env file and the image.
		{Name: MigrateAndRoll, After: []string{TofuBackend, EnvFile, Image}, Run: s.MigrateAndRoll},
		// The bundle bakes in the API's domain (frontend stack).
		{Name: BuildClient, After: []string{TofuFrontend}, Run: s.BuildClient},
		// Stage: new hashed names only, beside the backend (nothing served changes).
		{Name: StageSPA, After: []string{BuildClient}, Run: s.StageSPA},
		// Cut over once the services run the new release: the new SPA never calls an old API.
		{Name: CutoverSPA, After: []string{StageSPA, MigrateAndRoll}, Run: s.CutoverSPA},
		{Name: Invalidate, After: []string{CutoverSPA}, Run: s.Invalidate},
		{Name: Smoke, After: []string{Invalidate}, Run: s.Smoke},
	}
	if s.Prune != nil {
		// After smoke, which follows every other step: only a deploy that succeeded prunes.
		steps = append(steps, pipeline.Step{Name: Prune, After: []string{Smoke}, Run: s.Prune})
	}
	finally = []pipeline.Step{{Name: RollBack, Run: s.RollBack}, {Name: Unlock, Run: s.Unlock}}
	for _, st := range append(append([]pipeline.Step{}, steps...), finally...) {
		if st.Run == nil {
			return nil, nil, fmt.Errorf("deployflow: stage %s has no implementation", st.Name)
		}
	}
	var selected map[string]bool // nil: every step is the real one
	if len(only) > 0 {
		if selected, err = selectSteps(steps, s, only); err != nil {
			return nil, nil, err
		}
	}
	w := &watch{ok: map[string]bool{}, started: map[string]bool{}, cancelled: map[string]bool{}}
	for i := range steps {
		steps[i].Run = w.wrap(steps[i].Name, selected == nil || selected[steps[i].Name], steps[i].Run)
	}
	finally[0].Run = w.rollBack(len(steps), s.RollBack)
	return steps, finally, nil
}

// watch notes which steps really ran (not a selection's stand-in) and which succeeded, for the
// roll-back's decision.
type watch struct {
	mu      sync.Mutex
	ok      map[string]bool
	started map[string]bool
	// cancelled are the steps interrupted by the cancellation of the deploy's ctx.
	cancelled map[string]bool
	failure   string
}

func (w *watch) wrap(name string, real bool, run Stage) Stage {
	return func(ctx context.Context) (string, error) {
		if real {
			w.mu.Lock()
			w.started[name] = true
			w.mu.Unlock()
		}
		detail, err := run(ctx)
		w.mu.Lock()
		w.ok[name] = err == nil
		if err != nil && ctx.Err() != nil {
			w.cancelled[name] = true
			if w.failure == "" {
				w.failure = "cancelled during " + name + ": " + err.Error()
			}
		}
		if err != nil && w.failure == "" {
			w.failure = name + ": " + err.Error()
		}
		w.mu.Unlock()
		return detail, err
	}
}

// rollBack runs run when the deploy failed (a step failed or never ran) after the release changed
// what is served: migrate-and-roll succeeded, or cutover-spa started — or when the deploy was
// cancelled during migrate-and-roll: the services being rolled (no longer watched by the rollout,
// which stops at the cancellation) go back too.
func (w *watch) rollBack(steps int, run Stage) Stage {
	return func(ctx context.Context) (string, error) {
		w.mu.Lock()
		succeeded := 0
		for _, ok := range w.ok {
			if ok {
				succeeded++
			}
		}
		rolled := w.started[MigrateAndRoll] && (w.ok[MigrateAndRoll] || w.cancelled[MigrateAndRoll])
		cut := w.started[CutoverSPA]
		failure := w.failure
		w.mu.Unlock()
		if failure == "" {
			failure = "the deploy stopped before every step ran (cancelled)"
		}
		switch {
		case succeeded == steps:
			return "", pipeline.Skip("the deploy succeeded")
		case !rolled && !cut:
			return "", pipeline.Skip("the deploy failed before the release changed what is served")
		}
		return run(context.WithValue(ctx, failureKey{}, failure))
	}
}

type failureKey struct{}

// Failure is, inside the roll-back stage, the failure it answers: "step: error".
func Failure(ctx context.Context) string {
	f, _ := ctx.Value(failureKey{}).(string)
	return f
}

// selectSteps replaces the Run of every step the selection leaves out and returns the selected.
func selectSteps(steps []pipeline.Step, s Stages, only []string) (map[string]bool, error) {
	selected, err := selection(only)
	if err != nil {
		return nil, err
	}
	needed := ancestors(steps, selected)
	standIn := map[string]Stage{TofuBase: s.BaseOutputs, TofuFrontend: s.FrontendOutputs, TofuBackend: s.BackendOutputs, Image: s.ExistingImage}
	for i, st := range steps {
		switch {
		case st.Name == Lock || selected[st.Name]:
		case needed[st.Name] && standIn[st.Name] != nil:
			steps[i].Run = standIn[st.Name]
		case needed[st.Name] && (st.Name == TofuBase || st.Name == TofuFrontend || st.Name == TofuBackend || st.Name == Image):
			return nil, fmt.Errorf("deployflow: %s is needed by the selection but has no read-only stand-in", st.Name)
		default:
			steps[i].Run = notSelected
		}
	}
	return selected, nil
}

func notSelected(context.Context) (string, error) { return "not selected", nil }

// selection validates only and expands release into its four steps.
func selection(only []string) (map[string]bool, error) {
	valid := map[string]bool{}
	for _, n := range Selectable {
		valid[n] = true
	}
	sel := map[string]bool{}
	for _, n := range only {
		if !valid[n] {
			return nil, fmt.Errorf("deployflow: unknown stage %q; choose from %v", n, Selectable)
		}
		if n == Release {
			sel[BuildClient], sel[StageSPA], sel[CutoverSPA], sel[Invalidate] = true, true, true, true
			continue
		}
		sel[n] = true
	}
	return sel, nil
}

// ancestors are the steps the selected ones depend on, transitively (not the selected themselves).
func ancestors(steps []pipeline.Step, selected map[string]bool) map[string]bool {
	after := map[string][]string{}
	for _, st := range steps {
		for _, a := range st.After {
			if !orderOnly[[2]string{st.Name, a}] {
				after[st.Name] = append(after[st.Name], a)
			}
		}
	}
	need := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		for _, a := range after[n] {
			if !need[a] {
				need[a] = true
				visit(a)
			}
		}
	}
	for n := range selected {
		visit(n)
	}
	for n := range selected {
		delete(need, n)
	}
	return need
}

// Plan step names.
const (
	PlanBase     = "plan-base"
	PlanFrontend = "plan-frontend"
	PlanImage    = "plan-image"
	PlanEnvFile  = "plan-env-file"
	PlanBackend  = "plan-backend"
	PlanRollout  = "plan-rollout"
	PlanRelease  = "plan-release"
)

// PlanStages are the read-only twins of the deploy's stages (`plan`). Every field is required.
type PlanStages struct {
	Base, Frontend, Image, EnvFile, Backend, Rollout, BuildClient, Release Stage
}

// Plan returns the plan DAG: the three tofu plans (backend against the base stack's current
// outputs), the image decision, the env file's key diff, the task-definition diffs, the bundle and
// its release plan (what stage-spa uploads beside the backend, what cutover-spa writes and deletes
// once the services rolled) with the invalidation. Nothing in it changes anything.
func Plan(s PlanStages) ([]pipeline.Step, error) {
	steps := []pipeline.Step{
		{Name: PlanBase, Run: s.Base},
		{Name: PlanFrontend, Run: s.Frontend},
		{Name: PlanImage, After: []string{PlanBase}, Run: s.Image},
		{Name: PlanEnvFile, After: []string{PlanBase, PlanFrontend}, Run: s.EnvFile},
		{Name: PlanBackend, After: []string{PlanBase}, Run: s.Backend},
		{Name: PlanRollout, After: []string{PlanBackend, PlanImage, PlanEnvFile}, Run: s.Rollout},
		{Name: BuildClient, After: []string{PlanFrontend}, Run: s.BuildClient},
		{Name: PlanRelease, After: []string{BuildClient}, Run: s.Release},
	}
	for _, st := range steps {
		if st.Run == nil {
			return nil, fmt.Errorf("deployflow: plan stage %s has no implementation", st.Name)
		}
	}
	return steps, nil
}
