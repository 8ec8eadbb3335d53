package emulator

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Account is what a real account has before the pipeline's first run.
type Account struct {
	// StateBucket holds OpenTofu's state (infra/bootstrap creates it in a real account).
	StateBucket string
	// HostedZone is the public zone the stacks look up (registered with the domain).
	HostedZone string
}

// Prepare creates the account's prerequisites in the emulator. It is idempotent.
func Prepare(ctx context.Context, cfg aws.Config, s3c *s3.Client, a Account) error {
	if a.StateBucket != "" {
		_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{
			Bucket: aws.String(a.StateBucket),
			CreateBucketConfiguration: &s3types.CreateBucketConfiguration{
				LocationConstraint: s3types.BucketLocationConstraint(cfg.Region)},
		})
		var owned *s3types.BucketAlreadyOwnedByYou
		if err != nil && !errors.As(err, &owned) {
			return fmt.Errorf("emulator: create state bucket %s: %w", a.StateBucket, err)
		}
	}
	if a.HostedZone != "" {
		r53 := route53.NewFromConfig(cfg)
		zones, err := r53.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String(a.HostedZone)})
		if err != nil {
			return fmt.Errorf("emulator: list hosted zones: %w", err)
		}
		for _, z := range zones.HostedZones {
			if aws.ToString(z.Name) == a.HostedZone+"." {
				return nil
			}
		}
		_, err = r53.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{
			Name: aws.String(a.HostedZone), CallerReference: aws.String("bookme-" + a.HostedZone),
			HostedZoneConfig: &r53types.HostedZoneConfig{PrivateZone: false},
		})
		if err != nil {
			return fmt.Errorf("emulator: create hosted zone %s: %w", a.HostedZone, err)
		}
	}
	return nil
}
