package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/envfile"
	"bookme-deploy/core/planfile"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/stack"
)

// envFileStage renders the release's env file and stores it under its content-addressed key
// (envfile.ReleaseKey), never overwriting an object; the release's task-definition revisions
// reference that key (rolloutStage). Plan mode: the key and the key diff against the env file the
// running release reads.
func (d *Deployment) envFileStage(ctx context.Context) (string, error) {
	rendered, err := d.renderEnvFile(ctx)
	if err != nil {
		return "", err
	}
	plan, err := envfile.PlanPush(ctx, d.ports.S3, envfile.PushInput{Bucket: d.base.ConfigBucket, Environment: d.cfg.Env,
		Rendered: rendered, Previous: d.runningEnvFile(ctx)})
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.envFileKey = plan.Key
	d.mu.Unlock()
	d.addPlan("plan-env-file", plan.Text())
	if err := d.part(planfile.PartEnvFile, rendered.SHA256, EnvFileSummary(rendered)); err != nil {
		return "", err
	}
	if d.planOnly {
		return firstLine(plan.Text()), nil
	}
	res, err := envfile.ApplyPush(ctx, d.ports.S3, plan, d.progress(ctx))
	if err != nil {
		return "", err
	}
	d.count(func(s *Stats) { s.EnvFileUploaded = res.Uploaded })
	return firstLine(res.Text()), nil
}

// EnvFileKey is the release's env file: its key in the config bucket, set by the env-file stage (or,
// when a selection left that stage out, by the rollout); "" before.
func (d *Deployment) EnvFileKey() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.envFileKey
}

// runningEnvFile is the env file the running release reads, for the plan's key diff: the one the
// API service's current task definition references when the backend's outputs are known, else the
// newest successful release's (the records); "" when neither names one (the env file's fixed key
// is compared then).
func (d *Deployment) runningEnvFile(ctx context.Context) string {
	d.mu.Lock()
	b, base := d.backend, d.base
	d.mu.Unlock()
	if b != nil {
		if k := d.serviceEnvFiles(ctx)[b.APIServiceName]; k != "" && !strings.Contains(k, ", ") && !strings.HasPrefix(k, "arn:") {
			return k
		}
	}
	if base == nil {
		return ""
	}
	rs, err := History(ctx, d.ports.S3, base.ConfigBucket, d.cfg.Env, 50)
	if err != nil {
		d.logf(ctx, "env file: the deploy records could not be read (%v): the key diff compares against %s", err, envfile.ObjectKey(d.cfg.Env))
		return ""
	}
	for _, r := range rs {
		if r.Succeeded() && r.EnvFileKey != "" && !strings.Contains(r.EnvFileKey, ", ") {
			return r.EnvFileKey
		}
	}
	return ""
}

// serviceEnvFiles are the env files (keys in the config bucket) the API and worker services' current
// task definitions reference; a service whose revision cannot be read is left out (logged).
func (d *Deployment) serviceEnvFiles(ctx context.Context) map[string]string {
	out, err := d.serviceEnvFilesStrict(ctx)
	if err != nil {
		d.logf(ctx, "env file: %v", err)
	}
	return out
}

// serviceEnvFilesStrict is serviceEnvFiles failing when a service or its revision cannot be read.
func (d *Deployment) serviceEnvFilesStrict(ctx context.Context) (map[string]string, error) {
	b := d.backend
	out := map[string]string{}
	running, err := d.serviceRevisions(ctx)
	if err != nil {
		return out, err
	}
	var problems []string
	for _, svc := range []string{b.APIServiceName, b.WorkerServiceName} {
		if running[svc] == "" {
			problems = append(problems, "service "+svc+" not found")
		}
	}
	eng := rollout.New(d.ports.AWS, d.progress(ctx), d.ports.RolloutOptions...)
	for svc, arn := range running {
		if arn == "" {
			continue
		}
		td, err := eng.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		if err != nil {
			problems = append(problems, fmt.Sprintf("the revision of %s could not be read: %v", svc, err))
			continue
		}
		for _, k := range strings.Split(EnvFileOf(td.TaskDefinition, "", b.ConfigBucket), ", ") {
			if k != "" && out[svc] == "" {
				out[svc] = k
			} else if k != "" {
				out[svc] += ", " + k
			}
		}
	}
	if len(problems) > 0 {
		return out, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return out, nil
}

// pruneEnvFiles deletes the release env files no longer needed, after a deploy that succeeded (the
// prune step, under the lock): every one under service-config/api/<env>/ that is neither the env
// file of one of the newest KeepReleases+1 successful releases (this one first) nor referenced by a
// service's current task definition (envfile.PruneKeys). It never fails the deploy: when what is
// referenced cannot be read for certain, it deletes nothing and says so.
func (d *Deployment) pruneEnvFiles(ctx context.Context) (string, error) {
	current := d.EnvFileKey()
	if current == "" {
		return "nothing to prune: this release names no env file", nil
	}
	bucket := d.base.ConfigBucket
	referenced, err := d.serviceEnvFilesStrict(ctx)
	if err != nil {
		d.logf(ctx, "prune: kept every env file: the services' env files could not be read: %v", err)
		return "kept every env file (the services' env files could not be read)", nil
	}
	rs, err := History(ctx, d.ports.S3, bucket, d.cfg.Env, 0)
	if err != nil {
		d.logf(ctx, "prune: kept every env file: %v", err)
		return "kept every env file (the deploy records could not be read)", nil
	}
	ret := envfile.Retention{Environment: d.cfg.Env, Releases: []string{current}, Referenced: []string{current}, Keep: d.cfg.keepReleases() + 1}
	for _, k := range referenced {
		ret.Referenced = append(ret.Referenced, strings.Split(k, ", ")...)
	}
	for _, r := range rs {
		if r.Succeeded() {
			ret.Releases = append(ret.Releases, r.EnvFileKey)
		}
	}
	prefix := envfile.ReleasePrefix(d.cfg.Env)
	pages := s3.NewListObjectsV2Paginator(d.ports.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			d.logf(ctx, "prune: kept every env file: list s3://%s/%s: %v", bucket, prefix, err)
			return "kept every env file (the listing failed)", nil
		}
		for _, o := range page.Contents {
			ret.Listed = append(ret.Listed, aws.ToString(o.Key))
		}
	}
	legacy := envfile.ObjectKey(d.cfg.Env) // the layout before releases: one file, overwritten
	if _, err := d.ports.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(legacy)}); err == nil {
		ret.Listed = append(ret.Listed, legacy)
	}
	var deleted, failed []string
	for _, k := range envfile.PruneKeys(ret) {
		if _, err := d.ports.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
			d.logf(ctx, "prune: delete s3://%s/%s: %v", bucket, k, err)
			failed = append(failed, k)
			continue
		}
		d.logf(ctx, "prune: deleted s3://%s/%s", bucket, k)
		deleted = append(deleted, k)
	}
	d.count(func(s *Stats) { s.EnvFilesDeleted = len(deleted) })
	detail := fmt.Sprintf("env files: %d kept, %d deleted", len(ret.Listed)-len(deleted), len(deleted))
	if len(failed) > 0 {
		detail += fmt.Sprintf(", %d could not be deleted (kept)", len(failed))
	}
	return detail, nil
}

// releaseEnvFileKey is the env file the release's revisions reference: the env-file stage's key;
// when a selection left that stage out, the rendered content's key if that object exists, else the
// one the API service runs with now, else "" (the backend output's key, the templates' default).
func (d *Deployment) releaseEnvFileKey(ctx context.Context, rendered *envfile.Rendered) string {
	if k := d.EnvFileKey(); k != "" {
		return k
	}
	key := ""
	if rendered != nil {
		k := envfile.ReleaseKey(d.cfg.Env, rendered.SHA256)
		if _, err := d.ports.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(d.backend.ConfigBucket), Key: aws.String(k)}); err == nil {
			key = k
		}
	}
	if key == "" {
		key = d.serviceEnvFiles(ctx)[d.backend.APIServiceName]
		if strings.Contains(key, ", ") || strings.HasPrefix(key, "arn:") {
			key = ""
		}
	}
	if key != "" {
		d.mu.Lock()
		d.envFileKey = key
		d.mu.Unlock()
	}
	return key
}

// renderEnvFile fills <service-config>/env.tmpl from the stacks' outputs and the environment's deploy
// inputs (<service-config>/<env>.inputs.json), validated against schema.json.
func (d *Deployment) renderEnvFile(ctx context.Context) (*envfile.Rendered, error) {
	if d.ports.Source == nil {
		return nil, fmt.Errorf("env file: no source to read service-config from")
	}
	dir := d.cfg.Layout.ServiceConfigDir
	tmpl, err := d.ports.Source.ReadFile(ctx, path.Join(dir, "env.tmpl"))
	if err != nil {
		return nil, fmt.Errorf("env file: read template: %w", err)
	}
	schemaJSON, err := d.ports.Source.ReadFile(ctx, path.Join(dir, "schema.json"))
	if err != nil {
		return nil, fmt.Errorf("env file: read schema: %w", err)
	}
	schema, err := envfile.LoadSchema(schemaJSON)
	if err != nil {
		return nil, err
	}
	inputsPath := path.Join(dir, d.cfg.Env+".inputs.json")
	inputsJSON, err := d.ports.Source.ReadFile(ctx, inputsPath)
	if err != nil {
		return nil, fmt.Errorf("env file: environment %q has no %s", d.cfg.Env, inputsPath)
	}
	values := map[string]string{}
	if err := json.Unmarshal(inputsJSON, &values); err != nil {
		return nil, fmt.Errorf("env file: %s: %w", inputsPath, err)
	}
	d.mu.Lock()
	d.dbAppUser = values["db_app_user"]
	b, f := d.base, d.frontend
	d.mu.Unlock()
	for k, v := range envFileOutputs(b, f) {
		values[k] = v
	}
	return envfile.Render(tmpl, schema, values, nil)
}

// envFileOutputs are the stack outputs the env template may use; they win over the inputs file.
func envFileOutputs(b *stack.Base, f *stack.Frontend) map[string]string {
	return map[string]string{
		"region": b.Region, "db_host": b.DBHost, "db_port": fmt.Sprint(b.DBPort), "db_name": b.DBName,
		"static_bucket": b.StaticBucket, "static_bucket_domain_name": b.StaticBucketDomainName,
		"app_secret_arn": b.AppSecretARN, "redis_secret_arn": b.RedisSecretARN, "api_domain_name": f.APIDomainName, "client_domain_name": f.ClientDomainName,
	}
}

// EnvFileSummary names the keys only: values never enter a plan file.
func EnvFileSummary(r *envfile.Rendered) string {
	return fmt.Sprintf("%d keys, %d secret references", len(r.Keys), len(r.Secrets))
}
