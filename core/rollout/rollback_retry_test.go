//go:build integration

package rollout_test

// The roll-back under failing UpdateService calls, against internal/ecsfake (moto's deployments never
// progress, see fake_test.go). The SDK's back-off is shortened to 20 ms so that its 3 attempts take
// little wall time; the roll-back's own retries run on the fake's simulated clock.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/ecsfake"
	"bookme-deploy/internal/testenv"
)

// crashingAPI makes the new image's api tasks exit 3, so every deploy of newImage rolls back.
var crashingAPI = ecsfake.Scenario{Script: func(service, image string) (ecsfake.TaskScript, bool) {
	if service == "api" && image == newImage {
		return ecsfake.TaskScript{StartAfter: 3 * time.Second, ExitAfter: 4 * time.Second, ExitCode: 3}, true
	}
	return ecsfake.TaskScript{}, false
}}

// fastSDK rebuilds e's engine with the SDK's standard 3 attempts and a 20 ms back-off cap.
func fastSDK(t *testing.T, e *env) {
	t.Helper()
	cfg := testenv.ConfigFor(t, e.fake.URL)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 20 * time.Millisecond })
	}
	clock := e.engine.Clock
	e.engine = rollout.New(cfg, e.out)
	e.engine.Clock = clock
}

// failWorkerRollback answers the worker's UpdateService back to revision 1 with fault (at most times
// times; 0 = always).
func failWorkerRollback(f *ecsfake.Fake, fault ecsfake.APIError, times int) {
	n := 0
	f.Inject(func(op string, b map[string]any) *ecsfake.APIError {
		if op != "UpdateService" || b["service"] != "worker" || !strings.HasSuffix(b["taskDefinition"].(string), ":1") {
			return nil
		}
		if times > 0 && n >= times {
			return nil
		}
		n++
		e := fault
		return &e
	})
}

var unavailable = ecsfake.APIError{Status: 503, Type: "ServiceUnavailableException", Message: "injected"}

// The worker's roll-back UpdateService fails 5 times in a row (the SDK gives up after 3): the roll-back
// retries and both services end on their previous revision.
func TestRollbackRetriesTransientUpdateFailures(t *testing.T) {
	e := setup(t, crashingAPI, 100)
	fastSDK(t, e)
	failWorkerRollback(e.fake, unavailable, 5)
	res, err := e.engine.Apply(context.Background(), mustPlan(t, e, input()))
	if err == nil || !strings.Contains(err.Error(), "back on its previous revision") {
		t.Fatalf("err = %v\n%s", err, e.out)
	}
	if res.Roll.Outcome != rollout.OutcomeRolledBack {
		t.Fatalf("outcome = %s\n%s", res.Roll.Outcome, e.out)
	}
	for _, name := range []string{"api", "worker"} {
		if got := e.serviceTD(t, name); !strings.HasSuffix(got, ":1") {
			t.Errorf("%s runs %s after the roll-back", name, got)
		}
	}
	if got := updates(e.fake, "worker"); len(got) != 7 {
		t.Errorf("worker updates = %d (%v), want 1 forward + 5 failed + 1 successful roll-back", len(got), got)
	}
	for _, s := range res.Roll.Services {
		if !s.RolledBack || s.RollbackState != "COMPLETED" {
			t.Errorf("%s: rolled back %v, state %s", s.Name, s.RolledBack, s.RollbackState)
		}
	}
}

// A definite refusal (access denied) is not retried: one roll-back call, and the error says so.
func TestRollbackDoesNotRetryDefiniteFailures(t *testing.T) {
	e := setup(t, crashingAPI, 100)
	fastSDK(t, e)
	failWorkerRollback(e.fake, ecsfake.APIError{Status: 400, Type: "AccessDeniedException", Message: "not allowed"}, 0)
	res, err := e.engine.Apply(context.Background(), mustPlan(t, e, input()))
	if err == nil || !strings.Contains(err.Error(), "roll-back failed too") || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("err = %v", err)
	}
	if res.Roll.Outcome != rollout.OutcomeRollbackFailed {
		t.Fatalf("outcome = %s", res.Roll.Outcome)
	}
	if got := updates(e.fake, "worker"); len(got) != 2 {
		t.Errorf("worker updates = %v, want 1 forward + 1 refused roll-back", got)
	}
	if got := e.serviceTD(t, "api"); !strings.HasSuffix(got, ":1") {
		t.Errorf("api runs %s: its roll-back must not wait for the worker's", got)
	}
}

// UpdateService never comes back: the roll-back's retries stop at Settings.Timeout (simulated time)
// and the error tells the user to fix the services by hand.
func TestRollbackRetriesStopAtTimeout(t *testing.T) {
	e := setup(t, crashingAPI, 100)
	fastSDK(t, e)
	failWorkerRollback(e.fake, unavailable, 0)
	in := input()
	in.Settings.Timeout = 3 * time.Minute
	res, err := e.engine.Apply(context.Background(), mustPlan(t, e, in))
	if err == nil || !strings.Contains(err.Error(), "roll-back failed too") || !strings.Contains(err.Error(), "by hand") {
		t.Fatalf("err = %v", err)
	}
	if res.Roll.Outcome != rollout.OutcomeRollbackFailed {
		t.Fatalf("outcome = %s", res.Roll.Outcome)
	}
	var back []time.Time
	for _, c := range e.fake.Calls("UpdateService") {
		if c.Body["service"] == "worker" && strings.HasSuffix(c.Body["taskDefinition"].(string), ":1") {
			back = append(back, c.At)
		}
	}
	if len(back) <= 3 {
		t.Fatalf("%d roll-back UpdateService calls: no retry past the SDK's 3 attempts", len(back))
	}
	// Retried up to the deadline, not past it (the last back-off may end a little after it).
	if span := back[len(back)-1].Sub(back[0]); span < in.Settings.Timeout-30*time.Second || span > in.Settings.Timeout+30*time.Second {
		t.Errorf("roll-back calls spanned %s (simulated) for a %s timeout", span, in.Settings.Timeout)
	}
}
