package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"path"

	"bookme-deploy/core/envfile"
	"bookme-deploy/core/planfile"
	"bookme-deploy/core/stack"
)

// envFileStage renders the env file and pushes it when it changed (plan mode: the key diff).
func (d *Deployment) envFileStage(ctx context.Context) (string, error) {
	rendered, err := d.renderEnvFile(ctx)
	if err != nil {
		return "", err
	}
	plan, err := envfile.PlanPush(ctx, d.ports.S3, envfile.PushInput{Bucket: d.base.ConfigBucket, Environment: d.cfg.Env, Rendered: rendered})
	if err != nil {
		return "", err
	}
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
	d.count(func(s *Stats) { s.EnvFileUploaded = plan.Upload })
	return firstLine(res.Text()), nil
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
		"app_secret_arn": b.AppSecretARN, "api_domain_name": f.APIDomainName, "client_domain_name": f.ClientDomainName,
	}
}

// EnvFileSummary names the keys only: values never enter a plan file.
func EnvFileSummary(r *envfile.Rendered) string {
	return fmt.Sprintf("%d keys, %d secret references", len(r.Keys), len(r.Secrets))
}
