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
	"bookme-deploy/core/release"
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
	if rules := d.Config().App.Headers; len(rules) > 0 {
		lines, err := RuleHeaders(ctx, c, front.ClientBucket, rules)
		check(err == nil, "the app's header rules on s3://%s: %s", front.ClientBucket, orErr(fmt.Sprintf("%d rules", len(rules)), err))
		for _, l := range lines {
			check(l.ok, "%s", l.line)
		}
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

// RuleHeaders checks the client bucket's objects against the app's header rules (bookme-deploy.yaml's
// client.headers, first match wins), reading each object's Cache-Control and Content-Type back from
// S3: one check per rule, naming the objects it matched (a rule may match none). The pipeline's own
// objects (the release manifest and kept copies under release.KeptPrefix's root) are not the bundle's.
func RuleHeaders(ctx context.Context, c *s3.Client, bucket string, rules []release.Rule) ([]check, error) {
	matched := make([][]string, len(rules))
	wrong := make([][]string, len(rules))
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			i := release.MatchingRule(key, rules)
			if i < 0 || strings.HasPrefix(key, pipelinePrefix) {
				continue
			}
			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				return nil, err
			}
			matched[i] = append(matched[i], key)
			r := rules[i]
			if cc := aws.ToString(head.CacheControl); r.CacheControl != "" && cc != r.CacheControl {
				wrong[i] = append(wrong[i], fmt.Sprintf("%s has Cache-Control %q", key, cc))
			}
			if ct := aws.ToString(head.ContentType); r.ContentType != "" && ct != r.ContentType {
				wrong[i] = append(wrong[i], fmt.Sprintf("%s has Content-Type %q", key, ct))
			}
		}
	}
	out := make([]check, len(rules))
	for i, r := range rules {
		what := []string{}
		if r.CacheControl != "" {
			what = append(what, fmt.Sprintf("Cache-Control %q", r.CacheControl))
		}
		if r.ContentType != "" {
			what = append(what, fmt.Sprintf("Content-Type %q", r.ContentType))
		}
		line := fmt.Sprintf("header rule %q: %s on %s", r.Match, strings.Join(what, ", "), namesOrNone(matched[i]))
		if len(wrong[i]) > 0 {
			line += ": " + strings.Join(wrong[i], "; ")
		}
		out[i] = check{ok: len(wrong[i]) == 0, line: line}
	}
	return out, nil
}

// pipelinePrefix is the root of the pipeline's own objects in the client bucket (release.KeptPrefix).
var pipelinePrefix = strings.SplitN(release.KeptPrefix, "/", 2)[0] + "/"

func namesOrNone(keys []string) string {
	switch {
	case len(keys) == 0:
		return "no object (nothing in the bundle matches)"
	case len(keys) > 4:
		return strings.Join(keys[:4], ", ") + fmt.Sprintf(" and %d more", len(keys)-4)
	}
	return strings.Join(keys, ", ")
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
