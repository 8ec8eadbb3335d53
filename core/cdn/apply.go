package cdn

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"
)

// Apply creates the planned invalidation (nothing when the plan has no paths). While CloudFront
// answers TooManyInvalidationsInProgress (at most 3000 paths / 15 wildcards in flight per
// distribution) it waits RetryDelay, doubling up to 2 minutes, for at most RetryFor, printing one
// line per retry. Other errors are returned at once (the SDK's retryer already handled
// throttling and 5xx).
func Apply(ctx context.Context, p *Plan) (*Result, error) {
	if p == nil || p.client == nil {
		return nil, errors.New("cdn: Apply needs a plan made by cdn.PlanInvalidation")
	}
	res := &Result{DistributionID: p.DistributionID, Paths: p.Paths}
	if len(p.Paths) == 0 {
		fmt.Fprintf(p.progress, "cdn: nothing changed, no invalidation for %s\n", p.DistributionID)
		return res, nil
	}
	in := &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(p.DistributionID),
		InvalidationBatch: &cftypes.InvalidationBatch{
			CallerReference: aws.String(p.CallerReference),
			Paths:           &cftypes.Paths{Quantity: aws.Int32(int32(len(p.Paths))), Items: p.Paths},
		},
	}
	deadline := time.Now().Add(p.retryFor)
	delay := p.retryDelay
	for {
		res.Attempts++
		out, err := p.client.CreateInvalidation(ctx, in)
		if err == nil {
			if out.Invalidation != nil {
				res.InvalidationID = aws.ToString(out.Invalidation.Id)
				res.Status = aws.ToString(out.Invalidation.Status)
			}
			fmt.Fprintf(p.progress, "cdn: invalidation %s of %d path(s) in %s: %s\n", res.InvalidationID, len(p.Paths), p.DistributionID, res.Status)
			return res, nil
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "TooManyInvalidationsInProgress" {
			return res, cfError(err, p.DistributionID, "invalidate paths of")
		}
		if time.Now().Add(delay).After(deadline) {
			return res, fmt.Errorf("cdn: distribution %s still has too many invalidations in progress after %s; wait for them to finish and re-run", p.DistributionID, p.retryFor)
		}
		fmt.Fprintf(p.progress, "cdn: too many invalidations in progress on %s, retrying in %s\n", p.DistributionID, delay)
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
		if delay > 2*time.Minute {
			delay = 2 * time.Minute
		}
	}
}
