package main

import (
	"context"
	"os"
	"path/filepath"

	"dagger/bookme/internal/dagger"
)

const (
	nodeImage = "node:22-bookworm-slim"
	clientDir = "examples/bookme/frontend" // the reference app's client
)

// BuildClient builds the React SPA (npm ci, npm run build) with the API's URLs baked in: dist/.
func (m *Bookme) BuildClient(
	// The API's base URL, e.g. https://api.example.com.
	apiUrl string,
	// The WebSocket base URL, e.g. wss://api.example.com.
	wsUrl string,
) *dagger.Directory {
	src := m.Source.Directory(clientDir)
	return dag.Container().From(nodeImage).
		WithMountedCache("/root/.npm", dag.CacheVolume("bookme-npm")).
		WithWorkdir("/src").
		WithFile("/src/package.json", src.File("package.json")).
		WithFile("/src/package-lock.json", src.File("package-lock.json")).
		WithExec([]string{"npm", "ci", "--no-audit", "--no-fund"}).
		WithDirectory("/src", src).
		WithEnvVariable("VITE_API_BASE_URL", apiUrl).
		WithEnvVariable("VITE_WS_BASE_URL", wsUrl).
		WithExec([]string{"npm", "run", "build"}).
		Directory("/src/dist")
}

// clientBuilder builds the bundle and exports it where this process reads it (deploy.ClientBuilder).
type clientBuilder struct{ m *Bookme }

func (c clientBuilder) Build(ctx context.Context, apiURL, wsURL string) (string, error) {
	return exportDir(ctx, c.m.BuildClient(apiURL, wsURL), "bundle-")
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
