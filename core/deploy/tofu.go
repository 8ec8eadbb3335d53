package deploy

import (
	"context"
	"fmt"

	"bookme-deploy/core/envfile"
	"bookme-deploy/core/stack"
)

// stackRun plans a stack and — in apply mode — applies exactly that plan; it returns the stack's
// outputs (in plan mode: the current ones).
func (d *Deployment) stackRun(ctx context.Context, name string, vars map[string]any) ([]byte, string, error) {
	p, err := d.ports.Tofu.Plan(ctx, name, vars)
	if err != nil {
		return nil, "", err
	}
	summary := firstLine(p.Summary.Text())
	d.mu.Lock()
	d.stats.TofuResourceChange += len(p.Summary.Changes)
	if d.rec != nil {
		d.rec.PlanHashes[name] = p.Summary.Hash
	}
	d.mu.Unlock()
	d.addPlan("plan-"+name, p.Summary.Text()+"plan hash "+p.Summary.Hash)
	d.logf(ctx, "%s plan: %s", name, summary)
	if err := d.part("tofu-"+name, p.Summary.Hash, summary); err != nil {
		return nil, "", err
	}
	var out []byte
	if d.planOnly {
		out, err = d.ports.Tofu.Outputs(ctx, name)
	} else {
		out, err = d.ports.Tofu.Apply(ctx, p)
	}
	if err != nil {
		return nil, "", err
	}
	return out, summary, nil
}

func (d *Deployment) tofuBase(ctx context.Context) (string, error) {
	out, detail, err := d.stackRun(ctx, stack.StackBase, nil)
	if err != nil {
		return "", err
	}
	return detail, d.setBase(out)
}

func (d *Deployment) tofuFrontend(ctx context.Context) (string, error) {
	out, detail, err := d.stackRun(ctx, stack.StackFrontend, nil)
	if err != nil {
		return "", err
	}
	return detail, d.setFrontend(out)
}

func (d *Deployment) tofuBackend(ctx context.Context) (string, error) {
	vars, err := d.backendVars()
	if err != nil {
		return "", err
	}
	out, detail, err := d.stackRun(ctx, stack.StackBackend, vars)
	if err != nil {
		return "", err
	}
	return detail, d.setBackend(out)
}

// backendVars are the backend stack's inputs: the base stack's outputs and the env files' keys —
// nothing of the commit, so the stack's task definitions (templates with a placeholder image) change
// only when infra/ does. Each release renders its revisions from them (rolloutStage); services
// ignore task_definition changes made by OpenTofu.
func (d *Deployment) backendVars() (map[string]any, error) {
	vars := d.base.BackendVars()
	vars["env_file_key"] = envfile.ObjectKey(d.cfg.Env)
	// The execution roles read the releases' env files under the pipeline's environment name, which
	// need not be the stack's (production deploys environment "prod").
	vars["release_env_prefix"] = envfile.ReleasePrefix(d.cfg.Env)
	return vars, nil
}

// The read-only stand-ins a stage selection (deploy --stages) runs instead of the stacks it leaves
// out.

func (d *Deployment) readBase(ctx context.Context) (string, error) {
	return d.readStack(ctx, stack.StackBase, d.setBase)
}

func (d *Deployment) readFrontend(ctx context.Context) (string, error) {
	return d.readStack(ctx, stack.StackFrontend, d.setFrontend)
}

func (d *Deployment) readBackend(ctx context.Context) (string, error) {
	return d.readStack(ctx, stack.StackBackend, d.setBackend)
}

func (d *Deployment) readStack(ctx context.Context, name string, set func([]byte) error) (string, error) {
	out, err := d.ports.Tofu.Outputs(ctx, name)
	if err != nil {
		return "", err
	}
	if err := set(out); err != nil {
		return "", err
	}
	return "not selected: outputs read", nil
}

func (d *Deployment) setBase(out []byte) error {
	b, err := stack.ParseBase(out)
	if err != nil {
		return d.unapplied(err, "the base stack must be applied once before the other stacks can be planned")
	}
	d.mu.Lock()
	d.base = b
	d.mu.Unlock()
	return nil
}

func (d *Deployment) setFrontend(out []byte) error {
	f, err := stack.ParseFrontend(out)
	if err != nil {
		return d.unapplied(err, "apply the frontend stack once before planning a release")
	}
	d.mu.Lock()
	d.frontend = f
	d.mu.Unlock()
	return nil
}

func (d *Deployment) setBackend(out []byte) error {
	b, err := stack.ParseBackend(out)
	if err != nil {
		return d.unapplied(err, "apply the backend stack once before planning a rollout")
	}
	d.mu.Lock()
	d.backend = b
	d.mu.Unlock()
	return nil
}

func (d *Deployment) unapplied(err error, hint string) error {
	if d.planOnly {
		return fmt.Errorf("%w (%s)", err, hint)
	}
	return err
}
