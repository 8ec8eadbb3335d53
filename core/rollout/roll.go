package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Outcomes of a roll.
const (
	OutcomeSucceeded      = "succeeded"
	OutcomeRolledBack     = "rolled back"
	OutcomeRollbackFailed = "roll-back failed"
	OutcomeNoOp           = "nothing to do"
	// OutcomeInterrupted: the roll's ctx was cancelled while services were being rolled.
	OutcomeInterrupted = "interrupted"
)

// Who rolled a service back.
const (
	RolledBackByECS    = "ECS deployment circuit breaker"
	RolledBackByDeploy = "bookme-deploy"
)

// ServiceResult is what happened to one service.
type ServiceResult struct {
	Name string `json:"name"`
	Role string `json:"role,omitempty"`
	// From is the revision before the deploy (the roll-back target), To the one we rolled to.
	From string `json:"from"`
	To   string `json:"to"`
	// DeploymentID is our deployment (from UpdateService's response).
	DeploymentID string `json:"deploymentId,omitempty"`
	// State is our deployment's last rolloutState (COMPLETED, FAILED, IN_PROGRESS) or "unchanged".
	State       string        `json:"state"`
	Reason      string        `json:"reason,omitempty"`
	FailedTasks int           `json:"failedTasks"`
	Duration    time.Duration `json:"duration"`
	// RolledBack tells whether the service went back to From, and who did it.
	RolledBack           bool          `json:"rolledBack"`
	RolledBackBy         string        `json:"rolledBackBy,omitempty"`
	RollbackDeploymentID string        `json:"rollbackDeploymentId,omitempty"`
	RollbackState        string        `json:"rollbackState,omitempty"`
	RollbackDuration     time.Duration `json:"rollbackDuration,omitempty"`
	// StoppedTasks, Events and LogLines are the diagnosis collected on failure.
	StoppedTasks []string `json:"stoppedTasks,omitempty"`
	Events       []string `json:"events,omitempty"`
	LogLines     []string `json:"logLines,omitempty"`
}

// RollResult is what a roll (or a roll-back) did.
type RollResult struct {
	Outcome  string           `json:"outcome"`
	Reason   string           `json:"reason,omitempty"`
	Services []*ServiceResult `json:"services"`
	// StartedAt is when the services were updated; FirstFailureAt when the first task of our revision
	// stopped with an error (zero if none); DecidedAt when we decided to roll back and issued it.
	StartedAt      time.Time     `json:"startedAt"`
	FirstFailureAt time.Time     `json:"firstFailureAt,omitzero"`
	DecidedAt      time.Time     `json:"decidedAt,omitzero"`
	Duration       time.Duration `json:"duration"`
}

// Text is the final summary, one line per service with durations, plus the diagnosis on failure.
func (r *RollResult) Text() string {
	if r == nil {
		return "roll: not run\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "roll %s in %s", r.Outcome, r.Duration.Round(time.Second))
	if r.Reason != "" {
		fmt.Fprintf(&b, ": %s", r.Reason)
	}
	b.WriteString("\n")
	for _, s := range r.Services {
		fmt.Fprintf(&b, "  %s: %s → %s, deployment %s %s in %s", s.Name, shortTD(s.From), shortTD(s.To), s.DeploymentID, s.State,
			s.Duration.Round(time.Second))
		if s.FailedTasks > 0 {
			fmt.Fprintf(&b, ", %d failed tasks", s.FailedTasks)
		}
		if s.RolledBack || s.RolledBackBy != "" {
			fmt.Fprintf(&b, "; rolled back to %s by %s (%s, %s)", shortTD(s.From), s.RolledBackBy, s.RollbackState,
				s.RollbackDuration.Round(time.Second))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Result is what Apply did.
type Result struct {
	NoOp      bool      `json:"noOp"`
	Revisions Revisions `json:"revisions,omitempty"`
	// Before are the one-off tasks that ran, in order (the last one is the failed one when a one-off
	// stopped the deploy).
	Before    []*TaskResult    `json:"before,omitempty"`
	Migration *MigrationResult `json:"migration,omitempty"`
	Roll      *RollResult      `json:"roll,omitempty"`
}

// Text is the summary for people.
func (r *Result) Text() string {
	if r.NoOp {
		return "nothing to do: every service already runs this image\n"
	}
	var b strings.Builder
	for _, o := range r.Before {
		b.WriteString(o.Text())
	}
	if n := len(r.Before); r.Migration == nil && n > 0 && !r.Before[n-1].succeeded() {
		fmt.Fprintf(&b, "migration: not run (%s failed)\n", r.Before[n-1].Name)
	} else {
		b.WriteString(r.Migration.Text())
	}
	b.WriteString(r.Roll.Text())
	return b.String()
}

// Apply registers the new revisions, runs the one-off tasks (Plan.Before) in order, then the migration,
// and rolls the services; a failed one-off or migration stops it before any service changes, and on a
// failed roll every service is back on its previous revision when it returns (with an error).
func (e *Engine) Apply(ctx context.Context, p *Plan) (*Result, error) {
	if p.NoOp {
		e.printf("nothing to do: every service already runs %s\n", p.Image)
		return &Result{NoOp: true}, nil
	}
	revs, err := e.Register(ctx, p)
	if err != nil {
		return nil, err
	}
	res := &Result{Revisions: revs}
	res.Before, err = e.runBefore(ctx, p, revs)
	if err != nil {
		return res, err
	}
	if p.Migration != nil {
		res.Migration, err = e.migrate(ctx, p, revs)
		if err != nil {
			return res, err
		}
	}
	res.Roll, err = e.roll(ctx, p, revs)
	return res, err
}

// Roll registers the new revisions (idempotently, see Register) and rolls the changed services in
// parallel; on failure it rolls every one of them back and returns an error.
func (e *Engine) Roll(ctx context.Context, p *Plan) (*RollResult, error) {
	if p.NoOp {
		e.printf("nothing to do: every service already runs %s\n", p.Image)
		return &RollResult{Outcome: OutcomeNoOp}, nil
	}
	revs, err := e.Register(ctx, p)
	if err != nil {
		return nil, err
	}
	return e.roll(ctx, p, revs)
}

func (e *Engine) roll(ctx context.Context, p *Plan, revs Revisions) (*RollResult, error) {
	var targets []*ServiceResult
	for _, s := range p.Services {
		if s.Changed {
			targets = append(targets, &ServiceResult{Name: s.Name, Role: s.Role, From: s.CurrentTaskDefinition, To: revs[s.Name]})
		}
	}
	return e.rollTo(ctx, p.Cluster, targets, p.Settings, true)
}

// rollTo updates every target to its To revision in parallel and watches our deployments. With
// rollBack, a failure rolls every target back to From.
func (e *Engine) rollTo(ctx context.Context, cluster string, targets []*ServiceResult, st Settings, rollBack bool) (*RollResult, error) {
	st = st.withDefaults()
	clk := e.clock()
	res := &RollResult{Services: targets, StartedAt: clk.Now()}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	before, err := e.describeServices(ctx, cluster, names)
	if err != nil {
		return nil, err
	}
	// Update all services at once; remember which updates went through (those need rolling back).
	ws := make([]*watched, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := e.update(ctx, cluster, t.Name, t.To, before[i])
			ws[i] = &watched{res: t, depID: id, to: t.To, from: t.From, since: clk.Now(), seen: map[string]bool{}}
			t.DeploymentID = id
			errs[i] = err
			if err == nil {
				e.printf("roll: %s → %s (deployment %s)\n", t.Name, shortTD(t.To), id)
			}
		}()
	}
	wg.Wait()
	var failure error
	if err := errors.Join(errs...); err != nil {
		failure = err
	} else {
		failure = e.watch(ctx, cluster, ws, st, true, res)
	}
	res.Duration = clk.Now().Sub(res.StartedAt)
	if failure == nil {
		res.Outcome = OutcomeSucceeded
		e.printf("%s", res.Text())
		return res, nil
	}
	res.Reason = failure.Error()
	if ctx.Err() != nil {
		// Cancelled: no roll-back here (its ctx is done); the caller returns the services to From
		// on a context of its own (core/deploy's roll-back step).
		res.Outcome = OutcomeInterrupted
		var moving []string
		for i, w := range ws {
			switch {
			case w.depID != "":
				moving = append(moving, fmt.Sprintf("%s → %s (deployment %s)", w.res.Name, shortTD(w.to), w.depID))
			case errs[i] != nil:
				// The update may have gone through with its answer lost to the cancellation.
				moving = append(moving, fmt.Sprintf("%s → %s (update sent, its answer lost)", w.res.Name, shortTD(w.to)))
			}
		}
		e.printf("%s", res.Text())
		if len(moving) == 0 {
			return res, fmt.Errorf("rollout: cancelled before any service was updated: %w", context.Cause(ctx))
		}
		return res, fmt.Errorf("rollout: cancelled while rolling %s: not watched to the end, not rolled back here: %w",
			strings.Join(moving, ", "), context.Cause(ctx))
	}
	if !rollBack {
		res.Outcome = "failed"
		e.printf("%s", res.Text())
		return res, fmt.Errorf("rollout: %w", failure)
	}
	e.diagnose(ctx, cluster, ws, st)
	rbErr := e.rollBack(ctx, cluster, ws, st, res)
	res.Duration = clk.Now().Sub(res.StartedAt)
	if rbErr != nil {
		res.Outcome = OutcomeRollbackFailed
		e.printf("%s", res.Text())
		return res, fmt.Errorf("rollout: %v; roll-back failed too: %v: fix the services by hand (rollback verb)", failure, rbErr)
	}
	res.Outcome = OutcomeRolledBack
	e.printf("%s", res.Text())
	return res, fmt.Errorf("rollout: %v; every service of this deploy is back on its previous revision", failure)
}

// update points a service at td and returns the ID of the deployment it started: the deployment in
// UpdateService's response that did not exist before (falling back to the PRIMARY one running td).
// ForceNewDeployment is always set, which real ECS does anyway for a new revision; it also makes
// emulators that keep one deployment per service (moto) start a new deployment ID we can follow.
func (e *Engine) update(ctx context.Context, cluster, service, td string, before ecstypes.Service) (string, error) {
	out, err := e.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service),
		TaskDefinition: aws.String(td), ForceNewDeployment: true})
	if err != nil {
		return "", explain(err, "update service "+service)
	}
	old := map[string]bool{}
	for _, d := range before.Deployments {
		old[aws.ToString(d.Id)] = true
	}
	var fresh []ecstypes.Deployment
	for _, d := range out.Service.Deployments {
		if !old[aws.ToString(d.Id)] {
			fresh = append(fresh, d)
		}
	}
	for _, d := range fresh {
		if aws.ToString(d.TaskDefinition) == td {
			return aws.ToString(d.Id), nil
		}
	}
	for _, d := range fresh {
		if aws.ToString(d.Status) == "PRIMARY" {
			return aws.ToString(d.Id), nil
		}
	}
	for _, d := range out.Service.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" && aws.ToString(d.TaskDefinition) == td {
			return aws.ToString(d.Id), nil
		}
	}
	return "", fmt.Errorf("rollout: service %s was updated to %s but ECS reported no deployment for it; check the service", service, shortTD(td))
}
