package deploy

import (
	"context"
	"fmt"
)

// buildClient builds the SPA bundle with the API's public URLs (the frontend stack's domain).
func (d *Deployment) buildClient(ctx context.Context) (string, error) {
	if d.ports.Client == nil {
		return "", fmt.Errorf("build client: this run cannot build the client")
	}
	api := "https://" + d.frontend.APIDomainName
	ws := "wss://" + d.frontend.APIDomainName
	dir, err := d.ports.Client.Build(ctx, api, ws)
	if err != nil {
		return "", fmt.Errorf("build client: %w", err)
	}
	d.mu.Lock()
	d.bundle = dir
	d.mu.Unlock()
	return "bundle for " + api, nil
}
