package rehearsal

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/smoke"
)

// State is what the emulated account serves, read from it: the ECS services' revisions and what the
// API's revision runs (image, CPU, memory, env file), and the client bucket's index.html.
type State struct {
	Services    map[string]string // service → task-definition ARN
	Image       string            // the API revision's image
	WorkerImage string
	CPU, Memory string
	EnvFile     string // the key the API revision reads in the config bucket
	EnvBody     string // that object's content
	Index       []byte // index.html served
	Entry       string // the entry script it references
}

// Read reads the account's state for a site.
func Read(ctx context.Context, c *ecs.Client, s3c *s3.Client, s deploy.Site) (*State, error) {
	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(s.Cluster), Services: s.Services()})
	if err != nil {
		return nil, err
	}
	st := &State{Services: map[string]string{}}
	for _, svc := range out.Services {
		st.Services[aws.ToString(svc.ServiceName)] = aws.ToString(svc.TaskDefinition)
	}
	api, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(st.Services[s.APIService])})
	if err != nil {
		return nil, fmt.Errorf("the API's revision: %w", err)
	}
	td := api.TaskDefinition
	st.CPU, st.Memory = aws.ToString(td.Cpu), aws.ToString(td.Memory)
	for _, cd := range td.ContainerDefinitions {
		if s.APIContainer == "" || aws.ToString(cd.Name) == s.APIContainer {
			st.Image = aws.ToString(cd.Image)
		}
	}
	st.EnvFile = deploy.EnvFileOf(td, s.APIContainer, s.ConfigBucket)
	worker, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(st.Services[s.WorkerService])})
	if err != nil {
		return nil, fmt.Errorf("the worker's revision: %w", err)
	}
	if len(worker.TaskDefinition.ContainerDefinitions) > 0 {
		st.WorkerImage = aws.ToString(worker.TaskDefinition.ContainerDefinitions[0].Image)
	}
	if st.EnvFile != "" {
		body, err := deploy.ReadObject(ctx, s3c, s.ConfigBucket, st.EnvFile)
		if err != nil {
			return nil, fmt.Errorf("the env file the API reads: %w", err)
		}
		st.EnvBody = string(body)
	}
	if st.Index, err = deploy.ReadObject(ctx, s3c, s.ClientBucket, "index.html"); err != nil {
		return nil, err
	}
	st.Entry, err = smoke.EntryFile(st.Index)
	return st, err
}

// Text is one line per part, for the report.
func (s *State) Text() string {
	var names []string
	for n := range s.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	var revs []string
	for _, n := range names {
		revs = append(revs, n+" → "+shortARN(s.Services[n]))
	}
	return fmt.Sprintf("  services: %s\n  image: %s (cpu %s, memory %s)\n  env file: %s\n  SPA entry: %s\n",
		strings.Join(revs, ", "), s.Image, s.CPU, s.Memory, s.EnvFile, s.Entry)
}

// SameRelease lists how other differs from s in what a release is (empty: the same release).
func (s *State) SameRelease(other *State) []string {
	var diff []string
	for svc, td := range s.Services {
		if other.Services[svc] != td {
			diff = append(diff, fmt.Sprintf("%s runs %s, want %s", svc, shortARN(other.Services[svc]), shortARN(td)))
		}
	}
	if other.EnvFile != s.EnvFile {
		diff = append(diff, fmt.Sprintf("env file %s, want %s", other.EnvFile, s.EnvFile))
	}
	if string(other.Index) != string(s.Index) {
		diff = append(diff, fmt.Sprintf("index.html references %s, want the bytes referencing %s", other.Entry, s.Entry))
	}
	return diff
}

func shortARN(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
