package reliability

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Account is a snapshot of everything a deploy can change in an emulated account, one canonical
// line per fact ("s3 bucket/key etag=… type=… cache=… sse=… meta=…", "ecs service c/s td=… desired=…
// deployments=…", "ecs taskdef arn", "ecr image repo digest tags=…", "cloudfront invalidation d/id …").
// Two snapshots are equal exactly when nothing observable changed in between.
type Account struct {
	Lines []string
}

// SnapshotOptions says which services to read; S3 is always read.
type SnapshotOptions struct {
	// ECS, ECR and CloudFront add those services (moto models all three).
	ECS, ECR, CloudFront bool
}

// Snapshot reads the account behind cfg (an emulator): every S3 object of every bucket with its
// ETag and headers, and, as asked, ECS clusters/services/task-definition revisions, ECR images and
// CloudFront distributions with their invalidations.
func Snapshot(ctx context.Context, cfg aws.Config, opts SnapshotOptions) (*Account, error) {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }

	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	buckets, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return nil, fmt.Errorf("snapshot: list buckets: %w", err)
	}
	for _, b := range buckets.Buckets {
		bucket := aws.ToString(b.Name)
		add("s3 bucket %s", bucket)
		pg := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: b.Name})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("snapshot: list s3://%s: %w", bucket, err)
			}
			for _, o := range page.Contents {
				h, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b.Name, Key: o.Key})
				if err != nil {
					return nil, fmt.Errorf("snapshot: head s3://%s/%s: %w", bucket, aws.ToString(o.Key), err)
				}
				add("s3 object %s/%s etag=%s size=%d type=%q cache=%q sse=%s meta=%v", bucket, aws.ToString(o.Key),
					aws.ToString(h.ETag), aws.ToInt64(h.ContentLength), aws.ToString(h.ContentType), aws.ToString(h.CacheControl),
					h.ServerSideEncryption, sortedMap(h.Metadata))
			}
		}
	}

	if opts.ECS {
		c := ecs.NewFromConfig(cfg)
		clusters, err := c.ListClusters(ctx, &ecs.ListClustersInput{})
		if err != nil {
			return nil, fmt.Errorf("snapshot: list ECS clusters: %w", err)
		}
		for _, cl := range clusters.ClusterArns {
			add("ecs cluster %s", cl)
			svcs, err := c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String(cl)})
			if err != nil {
				return nil, fmt.Errorf("snapshot: list services of %s: %w", cl, err)
			}
			for i := 0; i < len(svcs.ServiceArns); i += 10 {
				end := min(i+10, len(svcs.ServiceArns))
				out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cl), Services: svcs.ServiceArns[i:end]})
				if err != nil {
					return nil, fmt.Errorf("snapshot: describe services of %s: %w", cl, err)
				}
				for _, s := range out.Services {
					var deps []string
					for _, d := range s.Deployments {
						deps = append(deps, aws.ToString(d.Id)+":"+aws.ToString(d.TaskDefinition))
					}
					sort.Strings(deps)
					add("ecs service %s td=%s desired=%d deployments=%s", aws.ToString(s.ServiceArn), aws.ToString(s.TaskDefinition),
						s.DesiredCount, strings.Join(deps, ","))
				}
			}
			tasks, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cl)})
			if err != nil {
				return nil, fmt.Errorf("snapshot: list tasks of %s: %w", cl, err)
			}
			for _, t := range tasks.TaskArns {
				add("ecs task %s", t)
			}
		}
		pg := ecs.NewListTaskDefinitionsPaginator(c, &ecs.ListTaskDefinitionsInput{})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("snapshot: list task definitions: %w", err)
			}
			for _, td := range page.TaskDefinitionArns {
				add("ecs taskdef %s", td)
			}
		}
	}

	if opts.ECR {
		c := ecr.NewFromConfig(cfg)
		repos, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
		if err != nil {
			return nil, fmt.Errorf("snapshot: list ECR repositories: %w", err)
		}
		for _, r := range repos.Repositories {
			add("ecr repository %s mutability=%s", aws.ToString(r.RepositoryName), r.ImageTagMutability)
			imgs, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: r.RepositoryName})
			if err != nil {
				return nil, fmt.Errorf("snapshot: list images of %s: %w", aws.ToString(r.RepositoryName), err)
			}
			for _, im := range imgs.ImageDetails {
				tags := append([]string(nil), im.ImageTags...)
				sort.Strings(tags)
				add("ecr image %s %s tags=%s", aws.ToString(r.RepositoryName), aws.ToString(im.ImageDigest), strings.Join(tags, ","))
			}
		}
	}

	if opts.CloudFront {
		c := cloudfront.NewFromConfig(cfg)
		ds, err := c.ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
		if err != nil {
			return nil, fmt.Errorf("snapshot: list CloudFront distributions: %w", err)
		}
		if ds.DistributionList != nil {
			for _, d := range ds.DistributionList.Items {
				id := aws.ToString(d.Id)
				add("cloudfront distribution %s enabled=%v", id, aws.ToBool(d.Enabled))
				inv, err := c.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: d.Id})
				if err != nil {
					return nil, fmt.Errorf("snapshot: list invalidations of %s: %w", id, err)
				}
				if inv.InvalidationList != nil {
					for _, i := range inv.InvalidationList.Items {
						add("cloudfront invalidation %s/%s", id, aws.ToString(i.Id))
					}
				}
			}
		}
	}
	sort.Strings(lines)
	return &Account{Lines: lines}, nil
}

func sortedMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Diff returns the lines only in a ("- …") and only in b ("+ …"); empty when the snapshots are equal.
func Diff(a, b *Account) []string {
	in := func(lines []string) map[string]bool {
		m := make(map[string]bool, len(lines))
		for _, l := range lines {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a.Lines), in(b.Lines)
	var out []string
	for _, l := range a.Lines {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b.Lines {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	return out
}
