package deploy

import (
	"context"
)

// invalidate invalidates the paths the release changed and waits for CloudFront.
func (d *Deployment) invalidate(ctx context.Context) (string, error) {
	d.mu.Lock()
	paths := d.pendingPaths
	d.mu.Unlock()
	line, err := d.invalidatePaths(ctx, paths, "")
	if err == nil && line == "" {
		return "nothing changed: no invalidation", nil
	}
	return line, err
}
