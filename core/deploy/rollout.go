package deploy

import (
	"context"
	"fmt"
	"strings"

	"bookme-deploy/core/rollout"
)

// DBBootstrapPath is where the API image carries bookme-dbbootstrap (cmd/bookme-dbbootstrap).
const DBBootstrapPath = "/usr/local/bin/bookme-dbbootstrap"

// rolloutStage registers the release's task-definition revisions, runs the DB bootstrap and the
// migration as one-off tasks, then rolls the API and worker services (plan mode: the diffs).
func (d *Deployment) rolloutStage(ctx context.Context) (string, error) {
	if d.planOnly && d.Image() == "" {
		d.addPlan("plan-rollout", "the image is not built yet: the task-definition diffs follow once it has a digest")
		return "after the image is pushed", nil
	}
	b := d.backend
	if err := CheckContainers(d.cfg.App, b.APIContainerName, b.WorkerContainerName); err != nil {
		return "", err
	}
	if b.WorkerContainerName != b.APIContainerName {
		return "", fmt.Errorf("rollout: the API and worker task definitions name their container differently (%s, %s): the pipeline replaces one container name", b.APIContainerName, b.WorkerContainerName)
	}
	envKey := d.EnvFileKey()
	if d.dbAppUserValue() == "" || envKey == "" {
		// The env-file stage was not selected: render (read-only) for the database role and the key.
		rendered, err := d.renderEnvFile(ctx)
		if err != nil {
			return "", err
		}
		envKey = d.releaseEnvFileKey(ctx, rendered)
	}
	before, err := d.beforeMigration()
	if err != nil {
		return "", err
	}
	eng := rollout.New(d.ports.AWS, d.progress(ctx), d.ports.RolloutOptions...)
	plan, err := eng.Plan(ctx, rollout.Input{
		Cluster: b.ClusterName, API: b.APIServiceName, Workers: []string{b.WorkerServiceName},
		Container: b.APIContainerName, Image: d.Image(), GitSHA: d.cfg.GitSHA,
		Templates: b.Templates(), EnvironmentFiles: releaseEnvFiles(b, envKey),
		Before:    before,
		Migration: d.migration(), Settings: d.timeouts.Rollout,
	})
	if err != nil {
		return "", err
	}
	d.addPlan("plan-rollout", plan.Text())
	if d.planOnly {
		if plan.NoOp {
			return "no-op", nil
		}
		return "new revisions for " + b.APIServiceName + ", " + b.WorkerServiceName, nil
	}
	d.logf(ctx, "%s", trimNL(plan.Text()))
	res, err := eng.Apply(ctx, plan)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	for k, v := range res.Revisions {
		d.rec.TaskDefinitions[k] = v
	}
	d.stats.Registered = len(res.Revisions)
	d.mu.Unlock()
	if res.NoOp {
		return "no-op: services already run " + d.Image(), nil
	}
	var ran []string
	for _, o := range res.Before {
		ran = append(ran, o.Name)
	}
	if res.Migration != nil {
		ran = append(ran, "migration")
	}
	return fmt.Sprintf("ran %s; %d revisions registered, services rolled to %s", strings.Join(ran, ", "), len(res.Revisions), d.Image()), nil
}

func (d *Deployment) dbAppUserValue() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dbAppUser
}

// CheckContainers refuses container names bookme-deploy.yaml sets (containers.api, .worker) that
// are not the backend stack's (its api_container_name, worker_container_name outputs): the release
// would replace the image of a container the task definitions do not have.
func CheckContainers(app App, apiContainer, workerContainer string) error {
	var bad []string
	for _, c := range []struct{ key, set, output, got string }{
		{"containers.api", app.APIContainer, "api_container_name", apiContainer},
		{"containers.worker", app.WorkerContainer, "worker_container_name", workerContainer},
	} {
		if c.set != "" && c.set != c.got {
			bad = append(bad, fmt.Sprintf("%s is %q, the backend stack's %s output %q", c.key, c.set, c.output, c.got))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("rollout: bookme-deploy.yaml names containers the task definitions do not have: %s (set them to the outputs, or leave them out)", strings.Join(bad, "; "))
	}
	return nil
}

// beforeMigration are the one-off tasks before the migration: the DB bootstrap — the built-in
// bookme-dbbootstrap, App.BootstrapCommand on the same task family, or none (App.SkipBootstrap).
func (d *Deployment) beforeMigration() ([]rollout.OneOff, error) {
	app := d.cfg.App
	switch {
	case app.SkipBootstrap:
		return nil, nil
	case len(app.BootstrapCommand) > 0:
		be := d.backend
		if be.ShellTaskFamily == "" {
			return nil, fmt.Errorf("db bootstrap: the backend stack has no shell_task_family output")
		}
		if be.ShellContainerName != be.APIContainerName {
			return nil, fmt.Errorf("db bootstrap: the shell task definition names its container %s, the API's %s: the pipeline replaces one container name", be.ShellContainerName, be.APIContainerName)
		}
		return []rollout.OneOff{{Name: "db-bootstrap", Family: d.backend.ShellTaskFamily, Command: append([]string(nil), app.BootstrapCommand...)}}, nil
	}
	t, err := d.dbBootstrapTask()
	if err != nil {
		return nil, err
	}
	return []rollout.OneOff{t}, nil
}

// migration is the migration task: App.MigrationCommand (default rollout.DefaultMigrationCommand)
// on the backend's migrate family, or none (App.SkipMigration).
func (d *Deployment) migration() rollout.Migration {
	return rollout.Migration{Family: d.backend.MigrateTaskFamily, Skip: d.cfg.App.SkipMigration,
		Command: append([]string(nil), d.cfg.App.MigrationCommand...)}
}

// dbBootstrapTask is the one-off task that creates the database and the app role (idempotently)
// before the migration, on the shell task definition.
func (d *Deployment) dbBootstrapTask() (rollout.OneOff, error) {
	b, be := d.base, d.backend
	if be.ShellTaskFamily == "" {
		return rollout.OneOff{}, fmt.Errorf("db bootstrap: the backend stack has no shell_task_family output")
	}
	if be.ShellContainerName != be.APIContainerName {
		return rollout.OneOff{}, fmt.Errorf("db bootstrap: the shell task definition names its container %s, the API's %s: the pipeline replaces one container name", be.ShellContainerName, be.APIContainerName)
	}
	role := d.dbAppUserValue()
	if role == "" {
		return rollout.OneOff{}, fmt.Errorf("db bootstrap: no application database role (db_app_user in %s/%s.inputs.json)", d.cfg.Layout.ServiceConfigDir, d.cfg.Env)
	}
	if b.DBSecretARN == "" {
		return rollout.OneOff{}, fmt.Errorf("db bootstrap: the base stack has no db_secret_arn output (the RDS-managed master secret)")
	}
	return rollout.OneOff{
		Name:   "db-bootstrap",
		Family: be.ShellTaskFamily,
		Command: []string{DBBootstrapPath, "--host", b.DBHost, "--port", fmt.Sprint(b.DBPort), "--db", b.DBName,
			"--role", role, "--master-secret-arn", b.DBSecretARN, "--app-password-env", "POSTGRES_PASSWORD"},
	}, nil
}
