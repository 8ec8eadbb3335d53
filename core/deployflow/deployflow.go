// Package deployflow is the shape of a deploy: which stage runs after which. core/pipeline runs the
// DAG; the caller (core/deploy, driven by the Dagger module in ci/) implements the stages. Keeping the shape here means the ordering and
// the failure semantics — a failed stage stops everything that depends on it, later stages do not
// start, the lock is always released — are tested without an engine or an AWS account.
//
//	lock → tofu-base → image ─────────────┐
//	     │           └→ env-file ─────────┤ (needs frontend's domain names too)
//	     │           └→ tofu-backend ─────┴→ migrate-and-roll ─┐  (db-bootstrap → migration → roll)
//	     └→ tofu-frontend → build-client → release-spa → invalidate ─┴→ smoke
//	finally: unlock
//
// The deploy record is not a step: the caller writes it after the DAG and unlock have run.
package deployflow

import (
	"context"
	"fmt"

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
	ReleaseSPA     = "release-spa"
	Invalidate     = "invalidate"
	Smoke          = "smoke"
	Unlock         = "unlock"
)

// Stages are a deploy's stages. Every field is required.
type Stages struct {
	Lock, TofuBase, TofuFrontend, Image, EnvFile, TofuBackend, MigrateAndRoll,
	BuildClient, ReleaseSPA, Invalidate, Smoke, Unlock Stage
	// Read-only stand-ins, run instead of a stage a selection leaves out when a selected stage needs
	// what it would provide: a stack's current outputs, the commit's image already in the registry.
	BaseOutputs, FrontendOutputs, BackendOutputs, ExistingImage Stage
}

// Release selects the SPA release as a whole: build-client, release-spa and invalidate.
const Release = "release"

// Selectable are the names a selection may use.
var Selectable = []string{TofuBase, TofuFrontend, Image, EnvFile, TofuBackend, MigrateAndRoll, Release, Smoke}

// Deploy returns the deploy DAG and its finally step (unlock).
//
// only selects stages (Selectable; none = all). A stage left out runs its read-only stand-in when
// a selected stage depends on it (a stack's outputs are read, the commit's image must already
// exist), and otherwise does nothing; the lock is always taken and released.
func Deploy(s Stages, only ...string) (steps []pipeline.Step, finally pipeline.Step, err error) {
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
		{Name: ReleaseSPA, After: []string{BuildClient}, Run: s.ReleaseSPA},
		{Name: Invalidate, After: []string{ReleaseSPA}, Run: s.Invalidate},
		{Name: Smoke, After: []string{MigrateAndRoll, Invalidate}, Run: s.Smoke},
	}
	finally = pipeline.Step{Name: Unlock, Run: s.Unlock}
	for _, st := range append(steps, finally) {
		if st.Run == nil {
			return nil, pipeline.Step{}, fmt.Errorf("deployflow: stage %s has no implementation", st.Name)
		}
	}
	if len(only) == 0 {
		return steps, finally, nil
	}
	selected, err := selection(only)
	if err != nil {
		return nil, pipeline.Step{}, err
	}
	needed := ancestors(steps, selected)
	standIn := map[string]Stage{TofuBase: s.BaseOutputs, TofuFrontend: s.FrontendOutputs, TofuBackend: s.BackendOutputs, Image: s.ExistingImage}
	for i, st := range steps {
		switch {
		case st.Name == Lock || selected[st.Name]:
		case needed[st.Name] && standIn[st.Name] != nil:
			steps[i].Run = standIn[st.Name]
		case needed[st.Name] && (st.Name == TofuBase || st.Name == TofuFrontend || st.Name == TofuBackend || st.Name == Image):
			return nil, pipeline.Step{}, fmt.Errorf("deployflow: %s is needed by the selection but has no read-only stand-in", st.Name)
		default:
			steps[i].Run = notSelected
		}
	}
	return steps, finally, nil
}

func notSelected(context.Context) (string, error) { return "not selected", nil }

// selection validates only and expands release into its three steps.
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
			sel[BuildClient], sel[ReleaseSPA], sel[Invalidate] = true, true, true
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
		after[st.Name] = st.After
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
// its upload/invalidation plan. Nothing in it changes anything.
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
