package rollout

import (
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// GitSHATag is the task-definition tag key that records the git commit a revision was built from.
const GitSHATag = "git-sha"

// Change is what a new revision changes in one container; everything else is kept.
type Change struct {
	// Container is the name of the container whose image changes.
	Container string `json:"container"`
	// Image is the new image, a digest reference (repo@sha256:…).
	Image string `json:"image"`
	// GitSHA is recorded in the GitSHATag tag of the new revision.
	GitSHA string `json:"gitSha"`
	// EnvironmentFiles replaces the container's environment files when not nil.
	EnvironmentFiles []ecstypes.EnvironmentFile `json:"environmentFiles,omitempty"`
	// Secrets replaces the container's secrets (references only, never values) when not nil.
	Secrets []ecstypes.Secret `json:"secrets,omitempty"`
}

// RegisterInputOf returns the RegisterTaskDefinition input that registers td again exactly as it is
// (every field RegisterTaskDefinition accepts, copied from DescribeTaskDefinition's output).
func RegisterInputOf(td *ecstypes.TaskDefinition, tags []ecstypes.Tag) *ecs.RegisterTaskDefinitionInput {
	in := &ecs.RegisterTaskDefinitionInput{
		ContainerDefinitions:          append([]ecstypes.ContainerDefinition(nil), td.ContainerDefinitions...),
		Family:                        td.Family,
		Cpu:                           td.Cpu,
		EnableFaultInjection:          td.EnableFaultInjection,
		EphemeralStorage:              td.EphemeralStorage,
		ExecutionRoleArn:              td.ExecutionRoleArn,
		InferenceAccelerators:         td.InferenceAccelerators,
		IpcMode:                       td.IpcMode,
		Memory:                        td.Memory,
		NetworkMode:                   td.NetworkMode,
		PidMode:                       td.PidMode,
		PlacementConstraints:          td.PlacementConstraints,
		ProxyConfiguration:            td.ProxyConfiguration,
		RequiresCompatibilities:       td.RequiresCompatibilities,
		RuntimePlatform:               td.RuntimePlatform,
		TaskRoleArn:                   td.TaskRoleArn,
		TrustedExecutionConfiguration: td.TrustedExecutionConfiguration,
		Volumes:                       td.Volumes,
	}
	if len(tags) > 0 {
		in.Tags = append([]ecstypes.Tag(nil), tags...)
	}
	return in
}

// Render returns the input that registers a new revision of current with ch applied, and whether it
// differs from current at all. Same image (and the same environment files and secrets, when given) →
// changed is false and nothing must be registered. An unknown container name is an error that lists
// the containers the task definition has.
func Render(current *ecstypes.TaskDefinition, tags []ecstypes.Tag, ch Change) (in *ecs.RegisterTaskDefinitionInput, changed bool, err error) {
	if err := CheckImage(ch.Image); err != nil {
		return nil, false, err
	}
	in = RegisterInputOf(current, tags)
	idx := -1
	var names []string
	for i, c := range in.ContainerDefinitions {
		names = append(names, aws.ToString(c.Name))
		if aws.ToString(c.Name) == ch.Container {
			idx = i
		}
	}
	if idx < 0 {
		return nil, false, fmt.Errorf("rollout: task definition %s has no container %q (it has %v): pass the right --container",
			aws.ToString(current.TaskDefinitionArn), ch.Container, names)
	}
	c := in.ContainerDefinitions[idx] // a copy: the slice was copied, the caller's td is untouched
	if aws.ToString(c.Image) != ch.Image {
		c.Image = aws.String(ch.Image)
		changed = true
	}
	if ch.EnvironmentFiles != nil && !reflect.DeepEqual(c.EnvironmentFiles, ch.EnvironmentFiles) {
		c.EnvironmentFiles = append([]ecstypes.EnvironmentFile(nil), ch.EnvironmentFiles...)
		changed = true
	}
	if ch.Secrets != nil && !reflect.DeepEqual(c.Secrets, ch.Secrets) {
		c.Secrets = append([]ecstypes.Secret(nil), ch.Secrets...)
		changed = true
	}
	in.ContainerDefinitions[idx] = c
	if ch.GitSHA != "" {
		in.Tags = setTag(in.Tags, GitSHATag, ch.GitSHA)
	}
	return in, changed, nil
}

// ImageOf returns the image of the named container in td ("" when there is no such container).
func ImageOf(td *ecstypes.TaskDefinition, container string) string {
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == container {
			return aws.ToString(c.Image)
		}
	}
	return ""
}

func setTag(tags []ecstypes.Tag, key, value string) []ecstypes.Tag {
	out := make([]ecstypes.Tag, 0, len(tags)+1)
	for _, t := range tags {
		if aws.ToString(t.Key) != key {
			out = append(out, t)
		}
	}
	return append(out, ecstypes.Tag{Key: aws.String(key), Value: aws.String(value)})
}
