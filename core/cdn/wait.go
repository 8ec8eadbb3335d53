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

// WaitInput says which invalidation to wait for and how long.
type WaitInput struct {
	Client         *cloudfront.Client
	DistributionID string
	InvalidationID string
	// Timeout bounds the wait; 0 means DefaultWaitTimeout.
	Timeout time.Duration
	// Interval between polls; 0 means DefaultPollInterval.
	Interval time.Duration
	// Progress receives one line per status change; nil discards.
	Progress io.Writer
}

// Wait polls GetInvalidation until its status is "Completed" (any case) and returns that status.
// It prints one line per status change, not per poll. An empty InvalidationID (nothing was
// invalidated) returns at once. On timeout the error says the invalidation goes on by itself.
func Wait(ctx context.Context, in WaitInput) (string, error) {
	if in.InvalidationID == "" {
		return "", nil
	}
	if in.Client == nil {
		return "", errors.New("cdn: no CloudFront client given")
	}
	timeout, interval, progress := in.Timeout, in.Interval, in.Progress
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	if progress == nil {
		progress = io.Discard
	}
	start := time.Now()
	deadline := start.Add(timeout)
	last := ""
	for {
		out, err := in.Client.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{
			DistributionId: aws.String(in.DistributionID), Id: aws.String(in.InvalidationID),
		})
		if err != nil {
			return last, cfError(err, in.DistributionID, "read invalidation "+in.InvalidationID+" of")
		}
		status := ""
		if out.Invalidation != nil {
			status = aws.ToString(out.Invalidation.Status)
		}
		if status != last {
			fmt.Fprintf(progress, "cdn: invalidation %s: %s (%s)\n", in.InvalidationID, status, time.Since(start).Round(time.Second))
			last = status
		}
		if strings.EqualFold(status, "Completed") {
			return status, nil
		}
		if !time.Now().Add(interval).Before(deadline) {
			return status, fmt.Errorf("cdn: invalidation %s of %s is still %s after %s; it completes on its own, the new release is already in S3", in.InvalidationID, in.DistributionID, status, timeout)
		}
		select {
		case <-ctx.Done():
			return status, ctx.Err()
		case <-time.After(interval):
		}
	}
}
