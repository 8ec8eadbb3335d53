package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"bookme-deploy/core/stack"
)

func jsonVars(v map[string]any) (string, error) {
	b, err := stack.VarsJSON(v)
	return string(b), err
}

// servicesOn says which image each service's task definition runs, and fails unless both run the
// deployed image by digest.
func servicesOn(ctx context.Context, d *deployment) (string, error) {
	c := ecs.NewFromConfig(d.cfg)
	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: &d.backend.ClusterName,
		Services: []string{d.backend.APIServiceName, d.backend.WorkerServiceName}})
	if err != nil {
		return "", err
	}
	var parts []string
	for _, s := range out.Services {
		td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: s.TaskDefinition})
		if err != nil {
			return "", err
		}
		img := ""
		for _, cd := range td.TaskDefinition.ContainerDefinitions {
			img = *cd.Image
		}
		rev := td.TaskDefinition.Revision
		parts = append(parts, fmt.Sprintf("%s → rev %d", *s.ServiceName, rev))
		if img != d.image {
			return strings.Join(parts, ", "), fmt.Errorf("%s runs %s, not %s", *s.ServiceName, img, d.image)
		}
	}
	if len(out.Services) != 2 {
		return "", fmt.Errorf("found %d of 2 services", len(out.Services))
	}
	return strings.Join(parts, ", ") + " (" + d.image + ")", nil
}
