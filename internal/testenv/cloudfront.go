package testenv

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// CreateDistribution creates a minimal CloudFront distribution in front of an S3 bucket (moto
// reports it Deployed at once) and returns its ID.
func CreateDistribution(t testing.TB, cfg aws.Config, bucket string) string {
	t.Helper()
	origin := bucket + ".s3." + cfg.Region + ".amazonaws.com"
	out, err := cloudfront.NewFromConfig(cfg).CreateDistribution(context.Background(), &cloudfront.CreateDistributionInput{
		DistributionConfig: &cftypes.DistributionConfig{
			CallerReference:   aws.String("testenv-" + bucket),
			Comment:           aws.String("testenv"),
			Enabled:           aws.Bool(true),
			DefaultRootObject: aws.String("index.html"),
			Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{
				Id: aws.String("s3"), DomainName: aws.String(origin),
				S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")},
			}}},
			DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{
				TargetOriginId:       aws.String("s3"),
				ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
				CachePolicyId:        aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6"), // CachingOptimized
			},
		},
	})
	if err != nil {
		t.Fatalf("testenv: create CloudFront distribution: %v", err)
	}
	return aws.ToString(out.Distribution.Id)
}
