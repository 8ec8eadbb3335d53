package main

import (
	"context"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"

	"bookme-deploy/core/appconfig"
	"bookme-deploy/core/deploy"

	"dagger/bookme/internal/dagger"
)

// BuildClient builds the SPA as bookme-deploy.yaml says (client.dir, image, install, build, output;
// default: examples/bookme/frontend, npm ci && npm run build, dist/) with its build-time variables
// (client.env) for the API's domain baked in.
func (m *Bookme) BuildClient(
	ctx context.Context,
	// The API's domain name (the frontend stack's api_domain_name), e.g. api.example.com: the
	// {api_domain_name} of client.env (a variable naming another output is refused).
	apiDomainName string,
) (*dagger.Directory, error) {
	app, err := m.appConfig(ctx)
	if err != nil {
		return nil, err
	}
	env, err := app.ClientEnvWith(map[string]string{"api_domain_name": apiDomainName, appconfig.EnvPlaceholder: m.Env})
	if err != nil {
		return nil, err
	}
	return m.client(app.DeployConfig(deploy.Config{}), env), nil
}

// client runs the configured install (with only the package files, cached) and build, with env set.
func (m *Bookme) client(cfg deploy.Config, env map[string]string) *dagger.Directory {
	src := m.Source.Directory(cfg.Layout.ClientDir)
	ctr := dag.Container().From(cfg.App.ClientImage).
		WithMountedCache("/root/.npm", dag.CacheVolume("bookme-npm")).
		WithWorkdir("/src")
	if len(cfg.App.ClientInstall) > 0 {
		ctr = ctr.WithDirectory("/src", src, dagger.ContainerWithDirectoryOpts{
			Include: []string{"package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", ".npmrc"}}).
			WithExec(cfg.App.ClientInstall)
	}
	ctr = ctr.WithDirectory("/src", src)
	for _, k := range slices.Sorted(maps.Keys(env)) { // a stable order keeps the build cached
		ctr = ctr.WithEnvVariable(k, env[k])
	}
	return ctr.WithExec(cfg.App.ClientBuild).Directory(path.Join("/src", cfg.Layout.ClientOutput))
}

// clientBuilder builds the bundle and exports it where this process reads it (deploy.ClientBuilder).
type clientBuilder struct {
	m   *Bookme
	cfg deploy.Config
}

func (c clientBuilder) Build(ctx context.Context, env map[string]string) (string, error) {
	return exportDir(ctx, c.m.client(c.cfg, env), "bundle-")
}

// exportDir exports into this module's scratch workdir (handed back with CurrentModule.workdir).
func exportDir(ctx context.Context, d *dagger.Directory, prefix string) (string, error) {
	dir, err := os.MkdirTemp(".", prefix)
	if err != nil {
		return "", err
	}
	if _, err := d.Export(ctx, dir); err != nil {
		return "", err
	}
	return dir, nil
}

func hostDir(path string) *dagger.Directory {
	return dag.CurrentModule().Workdir(filepath.Clean(path))
}
