package rollout

import (
	"context"
)

// MigrationStartedBy is the startedBy value of the migration task (it tells it apart from service tasks).
const MigrationStartedBy = "bookme-deploy/migrate"

// Migrate registers the new revisions (idempotently), runs the plan's one-off tasks (Plan.Before) in
// order and then the migration task with the new revision, the plan's command override and the API
// service's network configuration. Each waits for STOPPED; the first that does not exit 0 stops
// Migrate with an error that names it, having changed no service. It returns the migration's result
// (nil when the plan is a no-op or the migration is skipped); Apply's Result also holds the one-offs'.
func (e *Engine) Migrate(ctx context.Context, p *Plan) (*MigrationResult, error) {
	if p.NoOp || (p.Migration == nil && len(p.Before) == 0) {
		return nil, nil
	}
	revs, err := e.Register(ctx, p)
	if err != nil {
		return nil, err
	}
	if _, err := e.runBefore(ctx, p, revs); err != nil {
		return nil, err
	}
	if p.Migration == nil {
		return nil, nil
	}
	return e.migrate(ctx, p, revs)
}

// runBefore runs the plan's one-offs in order, stopping at the first failure (its result is the last).
func (e *Engine) runBefore(ctx context.Context, p *Plan, revs Revisions) ([]*TaskResult, error) {
	var out []*TaskResult
	for _, o := range p.Before {
		res, err := e.runOneOff(ctx, p, oneOffRun{
			name: o.Name, label: o.Name, prefix: o.Name, td: revs[OneOffKey(o.Name)], startedBy: o.StartedBy,
			command: o.Command, env: o.Environment, network: o.TaskNetwork,
			onFailure: "the migration did not run and no service was changed",
		})
		if res != nil {
			out = append(out, res)
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func (e *Engine) migrate(ctx context.Context, p *Plan, revs Revisions) (*MigrationResult, error) {
	m := p.Migration
	td := revs[MigrationKey]
	if td == "" {
		td = revs[p.Services[0].Name]
	}
	return e.runOneOff(ctx, p, oneOffRun{label: "migration", prefix: "migrate", td: td, startedBy: MigrationStartedBy,
		command: m.Command, network: m.TaskNetwork, onFailure: "no service was changed"})
}
