package rehearsal

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/envfile"
)

// Verify checks the emulated account after a deploy, as a user would look at it, and returns one
// line per check (✔/✘) and an error naming every failed check.
func Verify(ctx context.Context, cfg aws.Config, c *s3.Client, d *deploy.Deployment) (string, error) {
	base, front, back := d.Outputs()
	if base == nil || front == nil || back == nil {
		return "", fmt.Errorf("verify: the deploy never read the stacks' outputs")
	}
	var b strings.Builder
	var problems []string
	check := func(ok bool, format string, a ...any) {
		line := fmt.Sprintf(format, a...)
		mark := "✔"
		if !ok {
			mark = "✘"
			problems = append(problems, line)
		}
		b.WriteString("- " + mark + " " + line + "\n")
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(front.ClientBucket), Key: aws.String("index.html")})
	check(err == nil && aws.ToString(head.CacheControl) == "no-cache", "client bucket serves index.html with Cache-Control no-cache")
	if rec := d.Record(); rec != nil && rec.Bundle != nil && rec.Bundle.Entry != "" {
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(front.ClientBucket), Key: aws.String(rec.Bundle.Entry)})
		check(err == nil && strings.Contains(aws.ToString(head.CacheControl), "immutable"), "entry %s is immutable-cached", rec.Bundle.Entry)
	}
	key := d.EnvFileKey()
	if key == "" {
		key = envfile.ObjectKey(d.Config().Env)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(base.ConfigBucket), Key: aws.String(key)})
	check(err == nil, "env file s3://%s/%s exists", base.ConfigBucket, key)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(d.Config().StateBucket), Key: aws.String(deploy.LockKey(d.Config().Env))})
	check(err != nil, "deploy lock released")
	recs, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(base.ConfigBucket), Prefix: aws.String("deploy/records/")})
	n := 0
	if err == nil {
		n = len(recs.Contents)
	}
	check(n >= 1, "deploy records in s3://%s/deploy/records/: %d", base.ConfigBucket, n)
	svc, err := ServicesRun(ctx, cfg, back.ClusterName, []string{back.APIServiceName, back.WorkerServiceName}, d.Image())
	check(err == nil, "services run the image by digest: %s", orErr(svc, err))
	if len(problems) > 0 {
		return b.String(), fmt.Errorf("the emulated account is not as the deploy left it: %s", strings.Join(problems, "; "))
	}
	return b.String(), nil
}

// ServicesRun checks that every service's task definition runs image; it returns "service → rev N"
// for each.
func ServicesRun(ctx context.Context, cfg aws.Config, cluster string, services []string, image string) (string, error) {
	c := ecs.NewFromConfig(cfg)
	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: &cluster, Services: services})
	if err != nil {
		return "", err
	}
	if len(out.Services) != len(services) {
		return "", fmt.Errorf("found %d of %d services", len(out.Services), len(services))
	}
	var parts []string
	for _, s := range out.Services {
		td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: s.TaskDefinition})
		if err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprintf("%s → rev %d", aws.ToString(s.ServiceName), td.TaskDefinition.Revision))
		for _, cd := range td.TaskDefinition.ContainerDefinitions {
			if got := aws.ToString(cd.Image); got != image {
				return strings.Join(parts, ", "), fmt.Errorf("%s runs %s, not %s", aws.ToString(s.ServiceName), got, image)
			}
		}
	}
	return strings.Join(parts, ", ") + " (" + image + ")", nil
}

func orErr(s string, err error) string {
	if err != nil {
		return err.Error()
	}
	return s
}
