//go:build integration

package emulator_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"bookme-deploy/internal/testenv"
)

// With the patch, a replication group's member clusters exist, as the AWS provider expects; the
// control (no patch) shows moto's gap, so the test fails if the patch stops being needed or working.
func TestMotoPatchRegistersReplicationGroupMembers(t *testing.T) {
	for _, patched := range []bool{false, true} {
		var opts []testenv.MotoOption
		if patched {
			opts = append(opts, testenv.WithEmulatorPatches())
		}
		m := testenv.StartMoto(t, opts...)
		c := elasticache.NewFromConfig(m.Config(t))
		ctx := context.Background()
		_, err := c.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{
			ReplicationGroupId: aws.String("rg1"), ReplicationGroupDescription: aws.String("d"),
			Engine: aws.String("redis"), EngineVersion: aws.String("7.1"), CacheNodeType: aws.String("cache.t3.micro"),
			NumCacheClusters: aws.Int32(2), AtRestEncryptionEnabled: aws.Bool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String("rg1-001")})
		if !patched {
			if err == nil {
				t.Fatal("moto now creates member clusters itself: the patch can go")
			}
			continue
		}
		if err != nil {
			t.Fatalf("patched moto: %v", err)
		}
		cc := out.CacheClusters[0]
		if aws.ToString(cc.ReplicationGroupId) != "rg1" || !aws.ToBool(cc.AtRestEncryptionEnabled) {
			t.Fatalf("member cluster = %+v", cc)
		}
	}
}
