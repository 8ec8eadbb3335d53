package main

import (
	"fmt"
	"strings"

	"bookme-deploy/core/rollout"

	"dagger/bookme/internal/dagger"
)

// dbBootstrapPath is where the API image carries cmd/bookme-dbbootstrap: the deploy runs it as a
// one-off task (the shell family, whose task role may read the RDS-managed master secret) before
// the migration.
const dbBootstrapPath = "/usr/local/bin/bookme-dbbootstrap"

// dbBootstrapBinary builds cmd/bookme-dbbootstrap (static) for the image's platform from the
// repository's Go module. The Go caches are volumes: an unchanged command is not rebuilt.
func dbBootstrapBinary(repo *dagger.Directory, platform dagger.Platform) *dagger.File {
	arch := "amd64"
	if strings.HasSuffix(string(platform), "arm64") {
		arch = "arm64"
	}
	return dag.Container().From(goImage).
		WithMountedCache("/go/pkg/mod", dag.CacheVolume("bookme-gomod")).
		WithMountedCache("/root/.cache/go-build", dag.CacheVolume("bookme-gobuild")).
		WithEnvVariable("CGO_ENABLED", "0").
		WithEnvVariable("GOOS", "linux").
		WithEnvVariable("GOARCH", arch).
		WithDirectory("/src", repo, dagger.ContainerWithDirectoryOpts{
			Include: []string{"go.mod", "go.sum", "core/**", "cmd/bookme-dbbootstrap/**"},
			Exclude: []string{"**/*_test.go", "**/testdata/**"},
		}).
		WithWorkdir("/src").
		WithExec([]string{"go", "build", "-trimpath", "-ldflags=-s -w", "-o", "/out/bookme-dbbootstrap", "./cmd/bookme-dbbootstrap"}).
		File("/out/bookme-dbbootstrap")
}

// dbBootstrapTask is the database bootstrap (seed steps 3–7) as a one-off task before the
// migration: the image's bookme-dbbootstrap in the shell family, whose task role may read the
// RDS-managed master secret and whose container gets POSTGRES_PASSWORD from the app secret. It is
// idempotent: on an account already bootstrapped it changes nothing.
func (d *deployment) dbBootstrapTask() (rollout.OneOff, error) {
	b, be := d.base, d.backend
	if be.ShellTaskFamily == "" {
		return rollout.OneOff{}, fmt.Errorf("db bootstrap: the backend stack has no shell_task_family output")
	}
	if be.ShellContainerName != be.APIContainerName {
		return rollout.OneOff{}, fmt.Errorf("db bootstrap: the shell task definition names its container %s, the API's %s: the pipeline replaces one container name", be.ShellContainerName, be.APIContainerName)
	}
	d.mu.Lock()
	role := d.dbAppUser
	d.mu.Unlock()
	if role == "" {
		return rollout.OneOff{}, fmt.Errorf("db bootstrap: no application database role (db_app_user in service-config/api/%s.inputs.json)", d.env)
	}
	if b.DBSecretARN == "" {
		return rollout.OneOff{}, fmt.Errorf("db bootstrap: the base stack has no db_secret_arn output (the RDS-managed master secret)")
	}
	return rollout.OneOff{
		Name:   "db-bootstrap",
		Family: be.ShellTaskFamily,
		Command: []string{dbBootstrapPath, "--host", b.DBHost, "--port", fmt.Sprint(b.DBPort), "--db", b.DBName,
			"--role", role, "--master-secret-arn", b.DBSecretARN, "--app-password-env", "POSTGRES_PASSWORD"},
	}, nil
}
