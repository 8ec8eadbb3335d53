package deployflow

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"bookme-deploy/core/pipeline"
)

// recorder fakes every stage at the package boundary: it notes when each started and ended and
// fails the stages it is told to.
type recorder struct {
	mu     sync.Mutex
	start  map[string]time.Time
	end    map[string]time.Time
	fail   map[string]bool
	active int
	peak   int
	delay  map[string]time.Duration
}

func newRecorder(fail ...string) *recorder {
	r := &recorder{start: map[string]time.Time{}, end: map[string]time.Time{}, fail: map[string]bool{}, delay: map[string]time.Duration{}}
	for _, f := range fail {
		r.fail[f] = true
	}
	return r
}

func (r *recorder) stage(name string) Stage {
	return func(ctx context.Context) (string, error) {
		r.mu.Lock()
		r.start[name] = time.Now()
		r.active++
		r.peak = max(r.peak, r.active)
		d := r.delay[name]
		r.mu.Unlock()
		time.Sleep(5*time.Millisecond + d)
		r.mu.Lock()
		r.end[name] = time.Now()
		r.active--
		r.mu.Unlock()
		if r.fail[name] {
			return "", errors.New(name + " broke")
		}
		return name + " done", nil
	}
}

func (r *recorder) ran(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.start[name]
	return ok
}

func (r *recorder) stages() Stages {
	return Stages{Lock: r.stage(Lock), TofuBase: r.stage(TofuBase), TofuFrontend: r.stage(TofuFrontend),
		Image: r.stage(Image), EnvFile: r.stage(EnvFile), TofuBackend: r.stage(TofuBackend),
		MigrateAndRoll: r.stage(MigrateAndRoll), BuildClient: r.stage(BuildClient), StageSPA: r.stage(StageSPA),
		CutoverSPA: r.stage(CutoverSPA), Invalidate: r.stage(Invalidate), Smoke: r.stage(Smoke),
		RollBack: r.stage(RollBack), Unlock: r.stage(Unlock)}
}

func run(t *testing.T, r *recorder) *pipeline.Report {
	t.Helper()
	steps, finally, err := Deploy(r.stages())
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.Run(context.Background(), nil, steps, finally...)
}

func status(rep *pipeline.Report, name string) pipeline.Status {
	for _, s := range rep.Steps {
		if s.Name == name {
			return s.Status
		}
	}
	return ""
}

// The orders a deploy depends on, each for a reason (see Deploy).
var mustPrecede = [][2]string{
	{Lock, TofuBase}, {Lock, TofuFrontend},
	{TofuBase, Image}, {TofuBase, EnvFile}, {TofuFrontend, EnvFile},
	{Image, TofuBackend}, {TofuBase, TofuBackend},
	{TofuBackend, MigrateAndRoll}, {EnvFile, MigrateAndRoll}, {Image, MigrateAndRoll},
	{TofuFrontend, BuildClient}, {BuildClient, StageSPA}, {StageSPA, CutoverSPA},
	{MigrateAndRoll, CutoverSPA}, {CutoverSPA, Invalidate}, {Invalidate, Smoke},
}

func TestDeployRunsEveryStageInDependencyOrder(t *testing.T) {
	r := newRecorder()
	rep := run(t, r)
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	for _, e := range mustPrecede {
		if !r.end[e[0]].Before(r.start[e[1]]) {
			t.Errorf("%s started before %s ended", e[1], e[0])
		}
	}
	for name, s := range r.start {
		if name != Lock && s.Before(r.end[Lock]) {
			t.Errorf("%s started before the lock was held", name)
		}
		if name != Unlock && r.end[name].After(r.start[Unlock]) {
			t.Errorf("unlock started while %s ran", name)
		}
	}
	if len(r.start) != 13 {
		t.Errorf("%d stages ran, want 13 (every stage but the roll-back)", len(r.start))
	}
	if r.ran(RollBack) || status(rep, RollBack) != pipeline.Skipped {
		t.Errorf("roll-back after a successful deploy: ran %v, status %s", r.ran(RollBack), status(rep, RollBack))
	}
	if r.peak < 2 {
		t.Errorf("independent branches never ran in parallel (peak %d)", r.peak)
	}
}

func TestLockRefusedRunsNothingButUnlock(t *testing.T) {
	r := newRecorder(Lock)
	rep := run(t, r)
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "lock") {
		t.Fatalf("error %v", err)
	}
	for _, name := range []string{TofuBase, TofuFrontend, Image, EnvFile, TofuBackend, MigrateAndRoll, BuildClient, StageSPA, CutoverSPA, Invalidate, Smoke, RollBack} {
		if r.ran(name) || status(rep, name) != pipeline.Skipped {
			t.Errorf("%s: ran=%v status %s after the lock was refused", name, r.ran(name), status(rep, name))
		}
	}
	if !r.ran(Unlock) {
		t.Error("unlock did not run")
	}
}

func TestBaseStackFailureStopsWhatDependsOnIt(t *testing.T) {
	r := newRecorder(TofuBase)
	rep := run(t, r)
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "tofu-base broke") {
		t.Fatalf("error %v", err)
	}
	for _, name := range []string{Image, EnvFile, TofuBackend, MigrateAndRoll, Smoke} {
		if r.ran(name) {
			t.Errorf("%s ran after tofu-base failed", name)
		}
		if status(rep, name) != pipeline.Skipped {
			t.Errorf("%s: status %s, want skipped", name, status(rep, name))
		}
	}
	if !r.ran(Unlock) {
		t.Error("unlock did not run")
	}
}

func TestRolloutFailureReleasesNoSmokeAndUnlocks(t *testing.T) {
	r := newRecorder(MigrateAndRoll)
	rep := run(t, r)
	if status(rep, MigrateAndRoll) != pipeline.Failed || status(rep, Smoke) != pipeline.Skipped || r.ran(Smoke) {
		t.Errorf("migrate-and-roll %s, smoke %s (ran %v)", status(rep, MigrateAndRoll), status(rep, Smoke), r.ran(Smoke))
	}
	if !r.ran(Unlock) || status(rep, Unlock) != pipeline.Succeeded {
		t.Error("unlock did not run after a failed rollout")
	}
}

// The SPA's hashed assets are staged beside the backend; the cut-over waits for the services.
func TestStageBesideTheBackendCutOverAfterIt(t *testing.T) {
	r := newRecorder()
	r.delay[MigrateAndRoll] = 150 * time.Millisecond
	rep := run(t, r)
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	if !r.end[StageSPA].Before(r.end[MigrateAndRoll]) {
		t.Error("stage-spa waited for migrate-and-roll: it must run beside the backend")
	}
	if !r.end[MigrateAndRoll].Before(r.start[CutoverSPA]) || !r.end[StageSPA].Before(r.start[CutoverSPA]) {
		t.Error("cutover-spa started before migrate-and-roll and stage-spa ended")
	}
}

// A failed migrate-and-roll: the assets may be staged, but nothing is cut over, and there is
// nothing to roll back (the rollout rolls its own services back).
func TestFailedRolloutNeverCutsOver(t *testing.T) {
	r := newRecorder(MigrateAndRoll)
	r.delay[MigrateAndRoll] = 100 * time.Millisecond
	rep := run(t, r)
	if !r.ran(StageSPA) {
		t.Error("stage-spa did not run beside the failing rollout")
	}
	for _, name := range []string{CutoverSPA, Invalidate, Smoke, RollBack} {
		if r.ran(name) || status(rep, name) != pipeline.Skipped {
			t.Errorf("%s: ran=%v status %s after migrate-and-roll failed", name, r.ran(name), status(rep, name))
		}
	}
	if !r.ran(Unlock) {
		t.Error("unlock did not run")
	}
}

// A failure after the cut-over (smoke, invalidate) rolls the release back, before unlock.
func TestFailureAfterCutoverRollsBackBeforeUnlock(t *testing.T) {
	for _, failing := range []string{Smoke, Invalidate} {
		r := newRecorder(failing)
		rep := run(t, r)
		if err := rep.Err(); err == nil || !strings.Contains(err.Error(), failing) {
			t.Fatalf("%s failing: error %v", failing, err)
		}
		if !r.ran(RollBack) || status(rep, RollBack) != pipeline.Succeeded {
			t.Errorf("%s failing: roll-back ran=%v status %s", failing, r.ran(RollBack), status(rep, RollBack))
		}
		if !r.end[failing].Before(r.start[RollBack]) || !r.end[RollBack].Before(r.start[Unlock]) {
			t.Errorf("%s failing: roll-back must run after the failure and before unlock", failing)
		}
	}
}

// A release is one unit: the services rolled but the SPA could not be staged → roll back too.
func TestSPAFailureAfterTheRollRollsBack(t *testing.T) {
	r := newRecorder(StageSPA)
	r.delay[StageSPA] = 150 * time.Millisecond
	rep := run(t, r)
	if status(rep, MigrateAndRoll) != pipeline.Succeeded || r.ran(CutoverSPA) {
		t.Fatalf("migrate-and-roll %s, cutover ran %v", status(rep, MigrateAndRoll), r.ran(CutoverSPA))
	}
	if !r.ran(RollBack) {
		t.Error("the services run the new release, the SPA failed: no roll-back")
	}
}

// A failure before anything served changed needs no roll-back.
func TestEarlyFailureSkipsRollBack(t *testing.T) {
	r := newRecorder(TofuBase)
	rep := run(t, r)
	if r.ran(RollBack) || status(rep, RollBack) != pipeline.Skipped {
		t.Errorf("roll-back ran=%v status %s after tofu-base failed", r.ran(RollBack), status(rep, RollBack))
	}
}

func TestMissingStageIsRefused(t *testing.T) {
	s := newRecorder().stages()
	s.Smoke = nil
	if _, _, err := Deploy(s); err == nil || !strings.Contains(err.Error(), "smoke") {
		t.Errorf("Deploy with no smoke stage: %v", err)
	}
	if _, err := Plan(PlanStages{}); err == nil {
		t.Error("Plan with no stages accepted")
	}
}

func TestPlanOrder(t *testing.T) {
	r := newRecorder()
	steps, err := Plan(PlanStages{Base: r.stage(PlanBase), Frontend: r.stage(PlanFrontend), Image: r.stage(PlanImage),
		EnvFile: r.stage(PlanEnvFile), Backend: r.stage(PlanBackend), Rollout: r.stage(PlanRollout),
		BuildClient: r.stage(BuildClient), Release: r.stage(PlanRelease)})
	if err != nil {
		t.Fatal(err)
	}
	if err := pipeline.Run(context.Background(), nil, steps).Err(); err != nil {
		t.Fatal(err)
	}
	for _, e := range [][2]string{{PlanBase, PlanBackend}, {PlanBackend, PlanRollout}, {PlanImage, PlanRollout},
		{PlanEnvFile, PlanRollout}, {PlanFrontend, BuildClient}, {BuildClient, PlanRelease}} {
		if !r.end[e[0]].Before(r.start[e[1]]) {
			t.Errorf("%s started before %s ended", e[1], e[0])
		}
	}
}

func (r *recorder) withStandIns() Stages {
	s := r.stages()
	s.BaseOutputs, s.FrontendOutputs, s.BackendOutputs = r.stage("base-outputs"), r.stage("frontend-outputs"), r.stage("backend-outputs")
	s.ExistingImage = r.stage("existing-image")
	return s
}

func TestSelectionRunsOnlyWhatItNamesAndReadsWhatThoseNeed(t *testing.T) {
	r := newRecorder()
	steps, finally, err := Deploy(r.withStandIns(), Release)
	if err != nil {
		t.Fatal(err)
	}
	rep := pipeline.Run(context.Background(), nil, steps, finally...)
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{Lock, "frontend-outputs", BuildClient, StageSPA, CutoverSPA, Invalidate, Unlock} {
		if !r.ran(want) {
			t.Errorf("%s did not run", want)
		}
	}
	for _, not := range []string{TofuBase, TofuFrontend, Image, EnvFile, TofuBackend, MigrateAndRoll, Smoke, RollBack, "base-outputs", "backend-outputs", "existing-image"} {
		if r.ran(not) {
			t.Errorf("%s ran, but the selection is only the release", not)
		}
	}

	r = newRecorder()
	steps, finally, err = Deploy(r.withStandIns(), MigrateAndRoll)
	if err != nil {
		t.Fatal(err)
	}
	if err := pipeline.Run(context.Background(), nil, steps, finally...).Err(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"base-outputs", "frontend-outputs", "backend-outputs", "existing-image", MigrateAndRoll} {
		if !r.ran(want) {
			t.Errorf("rollout only: %s did not run", want)
		}
	}
	for _, not := range []string{TofuBase, TofuFrontend, TofuBackend, Image, EnvFile, BuildClient, Smoke} {
		if r.ran(not) {
			t.Errorf("rollout only: %s ran", not)
		}
	}

	// The release alone, failing after its cut-over: the SPA is rolled back.
	r = newRecorder(Invalidate)
	steps, finally, err = Deploy(r.withStandIns(), Release)
	if err != nil {
		t.Fatal(err)
	}
	if rep := pipeline.Run(context.Background(), nil, steps, finally...); rep.Err() == nil || !r.ran(RollBack) {
		t.Errorf("release only, invalidate failing: err %v, roll-back ran %v", rep.Err(), r.ran(RollBack))
	}
}

func TestSelectionNeedingAMissingStandInOrUnknownIsRefused(t *testing.T) {
	r := newRecorder()
	if _, _, err := Deploy(r.stages(), MigrateAndRoll); err == nil || !strings.Contains(err.Error(), "stand-in") {
		t.Errorf("no stand-ins: %v", err)
	}
	if _, _, err := Deploy(r.withStandIns(), "frontend"); err == nil || !strings.Contains(err.Error(), `unknown stage "frontend"`) {
		t.Errorf("unknown stage: %v", err)
	}
}

func TestFailedStandInStopsTheSelection(t *testing.T) {
	r := newRecorder("existing-image")
	steps, finally, err := Deploy(r.withStandIns(), MigrateAndRoll)
	if err != nil {
		t.Fatal(err)
	}
	rep := pipeline.Run(context.Background(), nil, steps, finally...)
	if rep.Err() == nil || r.ran(MigrateAndRoll) || !r.ran(Unlock) {
		t.Errorf("a missing image must stop the rollout: err %v, rolled %v, unlocked %v", rep.Err(), r.ran(MigrateAndRoll), r.ran(Unlock))
	}
}

// prune runs only after a deploy that succeeded: after smoke, before unlock; a failure anywhere
// (smoke included) leaves it unrun, and a selection never runs it.
func TestPruneOnlyAfterSuccess(t *testing.T) {
	runWith := func(r *recorder, only ...string) *pipeline.Report {
		t.Helper()
		s := r.stages()
		s.Prune = r.stage(Prune)
		s.BaseOutputs, s.FrontendOutputs, s.BackendOutputs, s.ExistingImage = r.stage("base-outputs"), r.stage("frontend-outputs"), r.stage("backend-outputs"), r.stage("existing-image")
		steps, finally, err := Deploy(s, only...)
		if err != nil {
			t.Fatal(err)
		}
		return pipeline.Run(context.Background(), nil, steps, finally...)
	}
	r := newRecorder()
	if err := runWith(r).Err(); err != nil {
		t.Fatal(err)
	}
	if !r.ran(Prune) || !r.end[Smoke].Before(r.start[Prune]) || !r.end[Prune].Before(r.start[Unlock]) {
		t.Errorf("prune ran=%v, not between smoke and unlock", r.ran(Prune))
	}
	for _, failing := range []string{Smoke, CutoverSPA, EnvFile, MigrateAndRoll} {
		r := newRecorder(failing)
		rep := runWith(r)
		if r.ran(Prune) || status(rep, Prune) != pipeline.Skipped {
			t.Errorf("%s failed: prune ran=%v status %s", failing, r.ran(Prune), status(rep, Prune))
		}
	}
	r = newRecorder()
	runWith(r, MigrateAndRoll)
	if r.ran(Prune) {
		t.Error("a selection pruned")
	}
}

// A deploy cancelled during migrate-and-roll rolls back (the interrupted roll may have moved
// services) before unlock; cancelled before it, no roll-back.
func TestCancelledDuringTheRollRollsBack(t *testing.T) {
	for _, at := range []string{MigrateAndRoll, TofuBase} {
		r := newRecorder()
		ctx, cancel := context.WithCancel(context.Background())
		s := r.stages()
		inner := s.MigrateAndRoll
		if at == TofuBase {
			inner = s.TofuBase
		}
		interrupted := func(c context.Context) (string, error) {
			cancel()
			inner(c)
			return "", c.Err()
		}
		if at == MigrateAndRoll {
			s.MigrateAndRoll = interrupted
		} else {
			s.TofuBase = interrupted
		}
		var reason string
		rb := s.RollBack
		s.RollBack = func(c context.Context) (string, error) { reason = Failure(c); return rb(c) }
		steps, finally, err := Deploy(s)
		if err != nil {
			t.Fatal(err)
		}
		rep := pipeline.Run(ctx, nil, steps, finally...)
		if status(rep, at) != pipeline.Cancelled || status(rep, Unlock) != pipeline.Succeeded {
			t.Fatalf("cancelled at %s: %s %s, unlock %s", at, at, status(rep, at), status(rep, Unlock))
		}
		switch at {
		case MigrateAndRoll:
			if status(rep, RollBack) != pipeline.Succeeded || !strings.HasPrefix(reason, "cancelled during migrate-and-roll") ||
				!r.end[RollBack].Before(r.start[Unlock]) {
				t.Errorf("roll-back %s, reason %q", status(rep, RollBack), reason)
			}
		default:
			if r.ran(RollBack) {
				t.Errorf("roll-back ran after a cancellation during %s", at)
			}
		}
	}
}
