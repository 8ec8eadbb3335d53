package cdn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
)

// PlanInvalidation checks that the distribution exists (GetDistribution) and computes the paths
// to invalidate. It never writes. A wrong distribution ID or missing permission is one clear error.
func PlanInvalidation(ctx context.Context, in Input) (*Plan, error) {
	if in.Client == nil {
		return nil, errors.New("cdn: no CloudFront client given")
	}
	if strings.TrimSpace(in.DistributionID) == "" {
		return nil, errors.New("cdn: no distribution ID given (pass the frontend stack's distribution ID output)")
	}
	out, err := in.Client.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(in.DistributionID)})
	if err != nil {
		return nil, cfError(err, in.DistributionID, "read")
	}
	p := &Plan{
		DistributionID: in.DistributionID, CallerReference: in.CallerReference,
		client: in.Client, progress: in.Progress, retryDelay: in.RetryDelay, retryFor: in.RetryFor,
	}
	if out.Distribution != nil {
		p.DomainName = aws.ToString(out.Distribution.DomainName)
	}
	if p.progress == nil {
		p.progress = io.Discard
	}
	if p.retryDelay <= 0 {
		p.retryDelay = DefaultRetryDelay
	}
	if p.retryFor <= 0 {
		p.retryFor = DefaultRetryFor
	}
	all, _ := Paths(in.ChangedPaths, 1<<30)
	p.Changed = len(all)
	p.Paths, p.Collapsed = Paths(in.ChangedPaths, in.Threshold)
	if in.AlwaysWildcard && len(p.Paths) > 0 {
		p.Paths, p.Collapsed = []string{"/*"}, true
	}
	if p.Paths == nil {
		p.Paths = []string{}
	}
	if p.CallerReference == "" {
		p.CallerReference = fmt.Sprintf("bookme-%d", time.Now().UnixNano())
	}
	return p, nil
}
