//go:build integration

package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"bookme-deploy/core/emulator"
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

// ElastiCache RBAC through the patched moto: the calls the AWS provider makes for users, user
// groups and a replication group that uses them, with the checks AWS makes. Unpatched, moto
// answers the user-group calls and ModifyUser with HTTP 500 (the control).
func TestMotoPatchElastiCacheUserGroups(t *testing.T) {
	ctx := context.Background()
	plain := elasticache.NewFromConfig(testenv.StartMoto(t).Config(t), func(o *elasticache.Options) { o.RetryMaxAttempts = 1 })
	if _, err := plain.DescribeUserGroups(ctx, &elasticache.DescribeUserGroupsInput{}); err == nil {
		t.Fatal("moto now answers DescribeUserGroups itself: the patch can go")
	}

	c := elasticache.NewFromConfig(testenv.StartMoto(t, testenv.WithEmulatorPatches()).Config(t))
	for _, u := range []struct{ id, name, access string }{{"app", "app", "on ~* &* +@all"}, {"dflt", "default", "off -@all"}} {
		if _, err := c.CreateUser(ctx, &elasticache.CreateUserInput{UserId: aws.String(u.id), UserName: aws.String(u.name),
			Engine: aws.String("redis"), AccessString: aws.String(u.access), Passwords: []string{strings.Repeat("p", 32)}}); err != nil {
			t.Fatal(err)
		}
	}
	// AWS: a user group needs a user named "default".
	_, err := c.CreateUserGroup(ctx, &elasticache.CreateUserGroupInput{UserGroupId: aws.String("g0"), Engine: aws.String("redis"), UserIds: []string{"app"}})
	var noDefault *ectypes.DefaultUserRequired
	if !errors.As(err, &noDefault) {
		t.Fatalf("group without a default user: %v", err)
	}
	out, err := c.CreateUserGroup(ctx, &elasticache.CreateUserGroupInput{UserGroupId: aws.String("g1"), Engine: aws.String("redis"),
		UserIds: []string{"dflt", "app"}, Tags: []ectypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	if err != nil || aws.ToString(out.Status) != "active" {
		t.Fatalf("create user group: %v %+v", err, out)
	}
	tags, err := c.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: out.ARN})
	if err != nil || len(tags.TagList) != 1 {
		t.Fatalf("user group tags: %v %v", err, tags)
	}
	// AWS: user groups need encryption in transit; the group must exist.
	rg := func(id string, tls bool, groups ...string) error {
		_, err := c.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String(id),
			ReplicationGroupDescription: aws.String("d"), Engine: aws.String("redis"), EngineVersion: aws.String("7.1"),
			CacheNodeType: aws.String("cache.t3.micro"), NumCacheClusters: aws.Int32(1), TransitEncryptionEnabled: aws.Bool(tls), UserGroupIds: groups})
		return err
	}
	if err := rg("rg0", false, "g1"); err == nil {
		t.Fatal("a user group without encryption in transit was accepted")
	}
	var missing *ectypes.UserGroupNotFoundFault
	if err := rg("rg0", true, "nope"); !errors.As(err, &missing) {
		t.Fatalf("unknown user group: %v", err)
	}
	if err := rg("rg1", true, "g1"); err != nil {
		t.Fatal(err)
	}
	groups, err := c.DescribeUserGroups(ctx, &elasticache.DescribeUserGroupsInput{UserGroupId: aws.String("g1")})
	if err != nil || len(groups.UserGroups) != 1 || strings.Join(groups.UserGroups[0].ReplicationGroups, ",") != "rg1" || len(groups.UserGroups[0].UserIds) != 2 {
		t.Fatalf("describe user group: %v %+v", err, groups)
	}
	users, err := c.DescribeUsers(ctx, &elasticache.DescribeUsersInput{UserId: aws.String("app")})
	if err != nil || strings.Join(users.Users[0].UserGroupIds, ",") != "g1" {
		t.Fatalf("the app user's groups: %v %+v", err, users)
	}
	if _, err := c.ModifyUser(ctx, &elasticache.ModifyUserInput{UserId: aws.String("app"), Passwords: []string{strings.Repeat("q", 32)}}); err != nil {
		t.Fatalf("modify user: %v", err)
	}
	if _, err := c.ModifyUser(ctx, &elasticache.ModifyUserInput{UserId: aws.String("app"), Passwords: []string{"short"}}); err == nil {
		t.Fatal("a 5-character password was accepted")
	}
	// In use: neither the group nor its users can go.
	var inUse *ectypes.InvalidUserGroupStateFault
	if _, err := c.DeleteUserGroup(ctx, &elasticache.DeleteUserGroupInput{UserGroupId: aws.String("g1")}); !errors.As(err, &inUse) {
		t.Fatalf("delete a user group in use: %v", err)
	}
	if _, err := c.DeleteUser(ctx, &elasticache.DeleteUserInput{UserId: aws.String("app")}); err == nil {
		t.Fatal("deleted a user that belongs to a group")
	}
	// ModifyReplicationGroup moves a group between user groups (the AUTH → RBAC migration path).
	if _, err := c.CreateUserGroup(ctx, &elasticache.CreateUserGroupInput{UserGroupId: aws.String("g2"), Engine: aws.String("redis"), UserIds: []string{"dflt"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ModifyReplicationGroup(ctx, &elasticache.ModifyReplicationGroupInput{ReplicationGroupId: aws.String("rg1"),
		UserGroupIdsToAdd: []string{"g2"}, UserGroupIdsToRemove: []string{"g1"}, ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteUserGroup(ctx, &elasticache.DeleteUserGroupInput{UserGroupId: aws.String("g1")}); err != nil {
		t.Fatalf("delete the unused group: %v", err)
	}
	if _, err := c.DescribeUserGroups(ctx, &elasticache.DescribeUserGroupsInput{UserGroupId: aws.String("g1")}); !errors.As(err, &missing) {
		t.Fatalf("deleted group still described: %v", err)
	}
	if _, err := c.DeleteUser(ctx, &elasticache.DeleteUserInput{UserId: aws.String("app")}); err != nil {
		t.Fatalf("delete a user in no group: %v", err)
	}
}

// With the password mark set, every password Secrets Manager generates starts with it, whatever
// the requested length and alphabet; without it, moto's own passwords.
func TestMotoPatchPasswordMark(t *testing.T) {
	ctx := context.Background()
	for _, mark := range []string{"", "PLANTEDmark42"} {
		opts := []testenv.MotoOption{testenv.WithEmulatorPatches()}
		if mark != "" {
			opts = append(opts, testenv.WithEnv(emulator.PasswordMarkEnv, mark))
		}
		sm := secretsmanager.NewFromConfig(testenv.StartMoto(t, opts...).Config(t))
		for _, n := range []int64{32, 64} {
			out, err := sm.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(n), ExcludePunctuation: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			pw := aws.ToString(out.RandomPassword)
			if int64(len(pw)) != n || (mark != "") != strings.HasPrefix(pw, "PLANTEDmark42") {
				t.Fatalf("mark %q: password of length %d (want %d), marked %v", mark, len(pw), n, strings.HasPrefix(pw, "PLANTEDmark42"))
			}
		}
	}
}

// moto's model dump (the test tier reads ElastiCache users' passwords from it) answers once an
// RDS instance exists; unpatched it is HTTP 500 (the control).
func TestMotoPatchModelDumpWithRDS(t *testing.T) {
	for _, patched := range []bool{false, true} {
		var opts []testenv.MotoOption
		if patched {
			opts = append(opts, testenv.WithEmulatorPatches())
		}
		m := testenv.StartMoto(t, opts...)
		// RDS's query API by hand (the module has no RDS client); moto does not check signatures.
		form := url.Values{"Action": {"CreateDBInstance"}, "Version": {"2014-10-31"},
			"DBInstanceIdentifier": {"db1"}, "DBInstanceClass": {"db.t4g.micro"}, "Engine": {"postgres"}, "MasterUsername": {"u"},
			"ManageMasterUserPassword": {"true"}, "AllocatedStorage": {"20"}}
		req, _ := http.NewRequest(http.MethodPost, m.Endpoint+"/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// moto picks the service from the credential scope.
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/"+testenv.Region+"/rds/aws4_request, SignedHeaders=host, Signature=0")
		created, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		created.Body.Close()
		if created.StatusCode != http.StatusOK {
			t.Fatalf("CreateDBInstance: %d", created.StatusCode)
		}
		resp, err := http.Get(m.Endpoint + "/moto-api/data.json")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ok := resp.StatusCode == http.StatusOK; ok != patched {
			t.Fatalf("patched=%v: model dump answers %d", patched, resp.StatusCode)
		}
	}
}

// ECS Exec: moto drops CreateService's enableExecuteCommand (UpdateService's it keeps), so the
// backend stack (ECS Exec on for the API) would plan a change after every apply; with the patch the
// flag reads back as set, on create and update.
func TestMotoPatchKeepsEnableExecuteCommand(t *testing.T) {
	for _, patched := range []bool{false, true} {
		var opts []testenv.MotoOption
		if patched {
			opts = append(opts, testenv.WithEmulatorPatches())
		}
		m := testenv.StartMoto(t, opts...)
		c := ecs.NewFromConfig(m.Config(t))
		ctx := context.Background()
		if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c")}); err != nil {
			t.Fatal(err)
		}
		td, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("f"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("a"), Image: aws.String("x"), Memory: aws.Int32(128)}}})
		if err != nil {
			t.Fatal(err)
		}
		arn := td.TaskDefinition.TaskDefinitionArn
		if _, err := c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("c"), ServiceName: aws.String("on"), TaskDefinition: arn,
			DesiredCount: aws.Int32(1), EnableExecuteCommand: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("c"), ServiceName: aws.String("later"), TaskDefinition: arn,
			DesiredCount: aws.Int32(1)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c"), Service: aws.String("later"), EnableExecuteCommand: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"on", "later"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.Services {
			if !patched {
				if aws.ToString(s.ServiceName) == "on" && s.EnableExecuteCommand {
					t.Fatal("moto now keeps CreateService's enableExecuteCommand itself: the patch can go")
				}
				continue
			}
			if !s.EnableExecuteCommand {
				t.Errorf("patched moto: service %s reads back without ECS Exec", aws.ToString(s.ServiceName))
			}
		}
	}
}
