package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"bookme-deploy/core/cdn"
)

// invalidate invalidates the paths the release changed and waits for CloudFront.
func (d *Deployment) invalidate(ctx context.Context) (string, error) {
	d.mu.Lock()
	paths := d.pendingPaths
	d.mu.Unlock()
	cf := cloudfront.NewFromConfig(d.ports.AWS)
	plan, err := cdn.PlanInvalidation(ctx, cdn.Input{Client: cf, DistributionID: d.frontend.DistributionID,
		ChangedPaths: paths, CallerReference: d.cfg.GitSHA + "-" + d.cfg.RunID, Progress: d.progress(ctx)})
	if err != nil {
		return "", err
	}
	res, err := cdn.Apply(ctx, plan)
	if err != nil {
		return "", err
	}
	if res.InvalidationID == "" {
		return "nothing changed: no invalidation", nil
	}
	d.count(func(s *Stats) { s.Invalidations = 1 })
	status, err := cdn.Wait(ctx, cdn.WaitInput{Client: cf, DistributionID: d.frontend.DistributionID,
		InvalidationID: res.InvalidationID, Timeout: d.timeouts.Invalidation, Interval: d.timeouts.InvalidationPoll, Progress: d.progress(ctx)})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("invalidation %s %s (%s)", res.InvalidationID, status, strings.Join(plan.Paths, " ")), nil
}
