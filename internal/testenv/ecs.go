package testenv

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ECSService describes one Fargate service SeedECS creates.
type ECSService struct {
	Name, Family, Container, Image string
	// StopTimeout of the container in seconds (0: unset).
	StopTimeout int32
	Desired     int32
}

// ECSSeeded is what SeedECS created.
type ECSSeeded struct {
	Subnets, SecurityGroups []string
	// TaskDefinitions maps a service name to its first revision's ARN.
	TaskDefinitions map[string]string
}

// SeedECS creates, in an emulator (moto), a VPC with a subnet and a security group (moto's ECS checks
// them for awsvpc services and tasks), a cluster, and one Fargate service per spec running revision 1
// of its family (app container first, awslogs configured, plus a sidecar; every container has a
// memoryReservation, which moto's RunTask requires).
func SeedECS(t testing.TB, cfg aws.Config, cluster string, services ...ECSService) ECSSeeded {
	t.Helper()
	ctx := context.Background()
	e2 := ec2.NewFromConfig(cfg)
	vpc, err := e2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
	if err != nil {
		t.Fatalf("testenv: create vpc: %v", err)
	}
	// moto's RunTask (awsvpc) crashes with HTTP 500 unless the VPC has DNS hostnames enabled.
	if _, err := e2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: vpc.Vpc.VpcId,
		EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		t.Fatalf("testenv: enable vpc dns hostnames: %v", err)
	}
	sn, err := e2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.20.1.0/24")})
	if err != nil {
		t.Fatalf("testenv: create subnet: %v", err)
	}
	sg, err := e2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc.Vpc.VpcId, GroupName: aws.String(cluster + "-tasks"),
		Description: aws.String("tasks")})
	if err != nil {
		t.Fatalf("testenv: create security group: %v", err)
	}
	out := ECSSeeded{Subnets: []string{aws.ToString(sn.Subnet.SubnetId)}, SecurityGroups: []string{aws.ToString(sg.GroupId)},
		TaskDefinitions: map[string]string{}}
	c := ecs.NewFromConfig(cfg)
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		t.Fatalf("testenv: create cluster: %v", err)
	}
	for _, s := range services {
		// moto's RunTask needs a container-level memory or memoryReservation (HTTP 500 without one).
		app := ecstypes.ContainerDefinition{Name: aws.String(s.Container), Image: aws.String(s.Image), Essential: aws.Bool(true),
			MemoryReservation: aws.Int32(512),
			PortMappings:      []ecstypes.PortMapping{{ContainerPort: aws.Int32(8000)}},
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/" + s.Family, "awslogs-region": cfg.Region, "awslogs-stream-prefix": "ecs"}}}
		if s.StopTimeout > 0 {
			app.StopTimeout = aws.Int32(s.StopTimeout)
		}
		td, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String(s.Family), NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("512"), Memory: aws.String("1024"),
			RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
			ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/" + s.Family + "-exec"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{app,
				{Name: aws.String("xray"), Image: aws.String("public.ecr.aws/xray/aws-xray-daemon:3.3"), Essential: aws.Bool(false),
					MemoryReservation: aws.Int32(64)}},
		})
		if err != nil {
			t.Fatalf("testenv: register %s: %v", s.Family, err)
		}
		arn := aws.ToString(td.TaskDefinition.TaskDefinitionArn)
		out.TaskDefinitions[s.Name] = arn
		_, err = c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(cluster), ServiceName: aws.String(s.Name),
			TaskDefinition: aws.String(arn), DesiredCount: aws.Int32(s.Desired), LaunchType: ecstypes.LaunchTypeFargate,
			NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
				Subnets: out.Subnets, SecurityGroups: out.SecurityGroups}}})
		if err != nil {
			t.Fatalf("testenv: create service %s: %v", s.Name, err)
		}
	}
	return out
}
