//go:build integration

package rollout_test

// A deploy cancelled while a one-off task runs stops the task (StopTask, reason
// rollout.CancelledReason) on a context of its own, and says so; when ECS refuses the stop, the
// error says the task may still be running and how to stop it. A roll cancelled half-way is left
// to the caller (no roll-back on a cancelled ctx) and the error names what was moving. Played
// against internal/ecsfake: its tasks run for (simulated) minutes, moto's stop after four polls.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/ecsfake"
)

var errJobCancelled = errors.New("the CI job was cancelled")

// cancelOnce cancels ctx on the first call of op for which pick says so.
func cancelOnce(f *ecsfake.Fake, cancel context.CancelCauseFunc, op string, pick func(body map[string]any) bool) {
	done := false
	f.Inject(func(o string, body map[string]any) *ecsfake.APIError {
		if o == op && !done && pick(body) {
			done = true
			cancel(errJobCancelled)
		}
		return nil
	})
}

func TestCancelledMigrationIsStopped(t *testing.T) {
	for _, stopFails := range []bool{false, true} {
		e := setup(t, ecsfake.Scenario{RunTask: map[string]ecsfake.TaskScript{newImage: {ExitAfter: 10 * time.Minute}}}, 100)
		ctx, cancel := context.WithCancelCause(context.Background())
		polls := 0
		e.fake.Inject(func(op string, body map[string]any) *ecsfake.APIError {
			switch {
			case op == "DescribeTasks":
				if polls++; polls == 3 { // the migration runs
					cancel(errJobCancelled)
				}
			case op == "StopTask" && stopFails:
				return &ecsfake.APIError{Status: 400, Type: "AccessDeniedException", Message: "not authorized to perform ecs:StopTask"}
			}
			return nil
		})
		res, err := e.engine.Apply(ctx, mustPlan(t, e, input()))
		if err == nil || !errors.Is(err, errJobCancelled) {
			t.Fatalf("stop fails %v: apply error %v", stopFails, err)
		}
		stops := e.fake.Calls("StopTask")
		if len(stops) != 1 || stops[0].Body["reason"] != rollout.CancelledReason || stops[0].Body["task"] != res.Migration.TaskARN {
			t.Fatalf("StopTask calls %v, want one for the migration task %s", stops, res.Migration.TaskARN)
		}
		if n := len(e.fake.Calls("UpdateService")); n != 0 {
			t.Errorf("%d services updated after a cancelled migration", n)
		}
		m := res.Migration
		if !stopFails {
			if !m.Cancelled || !m.Stopped || !strings.Contains(err.Error(), "stopped it (StopTask") || !strings.Contains(err.Error(), "no service was changed") {
				t.Errorf("result %+v, error %v", m, err)
			}
			continue
		}
		if !m.Cancelled || m.Stopped || !strings.Contains(m.StopError, "permission denied") ||
			!strings.Contains(err.Error(), "could NOT be stopped") || !strings.Contains(err.Error(), "aws ecs stop-task --cluster bookme --task "+m.TaskARN) {
			t.Errorf("result %+v, error %v", m, err)
		}
	}
}

func TestCancelledRollIsLeftToTheCaller(t *testing.T) {
	e := setup(t, ecsfake.Scenario{}, 100)
	ctx, cancel := context.WithCancelCause(context.Background())
	updates := 0
	cancelOnce(e.fake, cancel, "DescribeServices", func(map[string]any) bool { return updates == 2 })
	e.fake.Inject(func(op string, _ map[string]any) *ecsfake.APIError {
		if op == "UpdateService" {
			updates++
		}
		return nil
	})
	p := mustPlan(t, e, input())
	p.Migration = nil
	res, err := e.engine.Apply(ctx, p)
	if err == nil || !errors.Is(err, errJobCancelled) || !strings.Contains(err.Error(), "cancelled while rolling api") ||
		!strings.Contains(err.Error(), "worker") {
		t.Fatalf("apply error %v", err)
	}
	if res.Roll == nil || res.Roll.Outcome != rollout.OutcomeInterrupted {
		t.Errorf("roll %+v", res.Roll)
	}
	if n := len(e.fake.Calls("UpdateService")); n != 2 {
		t.Errorf("%d UpdateService calls, want the 2 of the roll and no roll-back on a cancelled ctx", n)
	}
}
