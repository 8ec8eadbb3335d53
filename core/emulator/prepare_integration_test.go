//go:build integration

package emulator_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/emulator"
	"bookme-deploy/internal/testenv"
)

// Prepare against real moto creates the state bucket, the hosted zone and the AWS-managed prefix
// lists moto lacks, and is idempotent.
func TestPrepareIsIdempotent(t *testing.T) {
	m := testenv.StartMoto(t)
	cfg := m.Config(t)
	s3c := testenv.S3(cfg)
	a := emulator.Account{StateBucket: "bookme-state-test", HostedZone: "book-me.example.com"}
	for i := 0; i < 2; i++ {
		if err := emulator.Prepare(context.Background(), cfg, s3c, a); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	if _, err := s3c.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: &a.StateBucket}); err != nil {
		t.Fatalf("state bucket missing: %v", err)
	}
	zones, err := route53.NewFromConfig(cfg).ListHostedZones(context.Background(), &route53.ListHostedZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(zones.HostedZones) != 1 {
		t.Fatalf("hosted zones = %d, want exactly 1 after two runs", len(zones.HostedZones))
	}
	name := "com.amazonaws." + cfg.Region + ".ec2-instance-connect"
	pls, err := ec2.NewFromConfig(cfg).DescribeManagedPrefixLists(context.Background(), &ec2.DescribeManagedPrefixListsInput{
		Filters: []ec2types.Filter{{Name: aws.String("prefix-list-name"), Values: []string{name}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pls.PrefixLists) != 1 {
		t.Fatalf("prefix lists named %s = %d, want exactly 1 after two runs", name, len(pls.PrefixLists))
	}
}
