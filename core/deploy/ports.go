package deploy

import (
	"context"

	"bookme-deploy/core/registry"
	"bookme-deploy/core/smoke"
	"bookme-deploy/core/stack"
)

// Tofu runs OpenTofu for one environment's stacks.
type Tofu interface {
	// Plan runs `tofu plan` of a stack with the pipeline's variables and summarises it. The plan is
	// kept so that exactly this plan is applied.
	Plan(ctx context.Context, stackName string, vars map[string]any) (*TofuPlan, error)
	// Apply applies exactly the plan and returns `tofu output -json`.
	Apply(ctx context.Context, p *TofuPlan) (outputs []byte, err error)
	// Outputs returns a stack's current `tofu output -json` without planning.
	Outputs(ctx context.Context, stackName string) ([]byte, error)
}

// TofuPlan is one stack's saved plan.
type TofuPlan struct {
	Stack   string
	Summary *stack.PlanSummary
	// Handle is the runner's own reference to the saved plan (a container, a file).
	Handle any
}

// Images builds the API image and pushes it.
type Images interface {
	// Push builds the image plan names and pushes it to plan.TagRef with creds; it returns the
	// pushed manifest's (or index's) digest, sha256:….
	Push(ctx context.Context, plan *registry.PublishPlan, creds *registry.Credentials) (digest string, err error)
}

// ClientBuilder builds the SPA bundle with its build-time variables (ClientEnv: the API's public
// URLs, from the frontend stack's outputs) baked in.
type ClientBuilder interface {
	// Build returns a local directory holding the built bundle (index.html at its root).
	Build(ctx context.Context, env map[string]string) (dir string, err error)
}

// Source reads the repository's files (the deploy inputs under service-config/, the Dockerfile).
type Source interface {
	ReadFile(ctx context.Context, path string) ([]byte, error)
}

// Smoke checks that the released stack answers; the default is HTTP (smoke.API + smoke.SPA).
type Smoke func(ctx context.Context, t smoke.Target) (string, error)
