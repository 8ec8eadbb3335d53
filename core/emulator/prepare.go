package emulator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
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

// AWSPrefixLists are the AWS-managed prefix lists the stacks look up by name that moto does not
// have ("%s" is the region), with a stand-in entry each (documentation range, RFC 5737).
var AWSPrefixLists = map[string]string{
	"com.amazonaws.%s.ec2-instance-connect": "192.0.2.0/29",
}

// Prepare creates the account's prerequisites in the emulator, and the AWS-managed prefix lists
// moto lacks (AWSPrefixLists). It is idempotent.
func Prepare(ctx context.Context, cfg aws.Config, s3c *s3.Client, a Account) error {
	if err := preparePrefixLists(ctx, ec2.NewFromConfig(cfg), cfg.Region); err != nil {
		return err
	}
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

// preparePrefixLists creates each of AWSPrefixLists that the region does not have yet.
func preparePrefixLists(ctx context.Context, ec2c *ec2.Client, region string) error {
	for _, format := range slices.Sorted(maps.Keys(AWSPrefixLists)) {
		name := fmt.Sprintf(format, region)
		out, err := ec2c.DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{
			Filters: []ec2types.Filter{{Name: aws.String("prefix-list-name"), Values: []string{name}}},
		})
		if err != nil {
			return fmt.Errorf("emulator: look up prefix list %s: %w", name, err)
		}
		if len(out.PrefixLists) > 0 {
			continue
		}
		_, err = ec2c.CreateManagedPrefixList(ctx, &ec2.CreateManagedPrefixListInput{
			PrefixListName: aws.String(name), AddressFamily: aws.String("IPv4"), MaxEntries: aws.Int32(5),
			Entries: []ec2types.AddPrefixListEntry{{Cidr: aws.String(AWSPrefixLists[format]), Description: aws.String("emulator stand-in")}},
		})
		if err != nil {
			return fmt.Errorf("emulator: create prefix list %s: %w", name, err)
		}
	}
	return nil
}
