//go:build integration

package emulator_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
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

// Scalable-target tags round-trip through the patched moto (unpatched: HTTP 500 for ever).
func TestMotoPatchScalableTargetTags(t *testing.T) {
	m := testenv.StartMoto(t, testenv.WithEmulatorPatches())
	cfg := m.Config(t)
	ctx := context.Background()
	e := ecs.NewFromConfig(cfg)
	if _, err := e.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("f"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("a"), Image: aws.String("x"), Memory: aws.Int32(128)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("c1"), ServiceName: aws.String("s1"),
		TaskDefinition: aws.String("f"), DesiredCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	a := applicationautoscaling.NewFromConfig(cfg)
	out, err := a.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String("service/c1/s1"),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2),
		Tags: map[string]string{"Project": "bookme"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.TagResource(ctx, &applicationautoscaling.TagResourceInput{ResourceARN: out.ScalableTargetARN, Tags: map[string]string{"Env": "staging"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := a.ListTagsForResource(ctx, &applicationautoscaling.ListTagsForResourceInput{ResourceARN: out.ScalableTargetARN})
	if err != nil {
		t.Fatal(err)
	}
	if tags.Tags["Project"] != "bookme" || tags.Tags["Env"] != "staging" || len(tags.Tags) != 2 {
		t.Fatalf("tags = %v", tags.Tags)
	}
}
