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

// TemplateTag marks the revisions OpenTofu registers (infra/modules/ecs-task): templates, whose
// content the pipeline renders releases from, never releases themselves. Render drops it, and the
// default roll-back target is never a revision that carries it.
const TemplateTag = "bookme:template"

// IsTemplate reports whether tags mark a template revision (TemplateTag = "true").
func IsTemplate(tags []ecstypes.Tag) bool { return tagValue(tags, TemplateTag) == "true" }

// GitSHAOf returns the commit recorded in tags ("" when the revision has none).
func GitSHAOf(tags []ecstypes.Tag) string { return tagValue(tags, GitSHATag) }

func tagValue(tags []ecstypes.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// Change is what a new revision changes in one container (the release fields); everything else is
// the source revision's — OpenTofu's template when the deploy names one (Input.Templates).
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

// Render returns the input that registers a new revision of current (the source: OpenTofu's template,
// or the running revision when there is none) with ch applied, and whether it differs from current
// at all. Same image (and the same environment files and secrets, when given) → changed is false.
// The template tag is dropped and the commit tag set, so a rendered revision is a release. An unknown
// container name is an error that lists the containers the task definition has.
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
	in.Tags = dropTag(in.Tags, TemplateTag)
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
	return append(dropTag(tags, key), ecstypes.Tag{Key: aws.String(key), Value: aws.String(value)})
}

// dropTag returns tags without key (nil when nothing is left).
func dropTag(tags []ecstypes.Tag, key string) []ecstypes.Tag {
	var out []ecstypes.Tag
	for _, t := range tags {
		if aws.ToString(t.Key) != key {
			out = append(out, t)
		}
	}
	return out
}

// SameContent reports whether two revisions run the same thing: every field equal except the tags
// (a different commit with the same image and the same template is not a change).
func SameContent(a, b *ecs.RegisterTaskDefinitionInput) bool {
	ac, bc := *a, *b
	ac.Tags, bc.Tags = nil, nil
	return Diff(&ac, &bc) == ""
}
