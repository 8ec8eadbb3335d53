package deploy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"bookme-deploy/core/stack"
)

// buildClient builds the SPA bundle with its build-time variables, computed from the frontend
// stack's outputs (ClientEnv).
func (d *Deployment) buildClient(ctx context.Context) (string, error) {
	if d.ports.Client == nil {
		return "", fmt.Errorf("build client: this run cannot build the client")
	}
	env, err := ClientEnv(d.cfg.App, d.frontend)
	if err != nil {
		return "", fmt.Errorf("build client: %w", err)
	}
	dir, err := d.ports.Client.Build(ctx, env)
	if err != nil {
		return "", fmt.Errorf("build client: %w", err)
	}
	d.mu.Lock()
	d.bundle = dir
	d.mu.Unlock()
	return "bundle built with " + strings.Join(slices.Sorted(maps.Keys(env)), ", "), nil
}

// ClientEnv are the client's build-time variables for these frontend outputs: App.ClientEnv's
// (bookme-deploy.yaml's client.env), or the reference app's VITE_API_BASE_URL and
// VITE_WS_BASE_URL (https:// and wss:// of the API's domain) when App sets none.
func ClientEnv(app App, f *stack.Frontend) (map[string]string, error) {
	if f == nil {
		return nil, fmt.Errorf("the frontend stack's outputs were not read")
	}
	if app.ClientEnv == nil {
		return map[string]string{"VITE_API_BASE_URL": "https://" + f.APIDomainName, "VITE_WS_BASE_URL": "wss://" + f.APIDomainName}, nil
	}
	return app.ClientEnv(f)
}
