package main

import (
	"dagger/bookme/internal/dagger"
)

// nodeImage builds the React client. The real node:22-bookworm-slim on a user's machine.
const nodeImage = "node:22-bookworm-slim"

// BuildClient builds the React SPA bundle (`npm ci && npm run build`) and returns its dist/ directory.
func (m *Bookme) BuildClient(
	// Directory holding the client's package.json and package-lock.json.
	// +defaultPath="/examples/bookme/frontend"
	// +ignore=["node_modules", "dist", ".vite"]
	source *dagger.Directory,
	// Base URL of the REST API the bundle calls, e.g. https://api.example.com.
	// +default="http://localhost:8000"
	apiUrl string,
	// Base URL of the WebSocket API, e.g. wss://api.example.com.
	// +default="ws://localhost:8000"
	wsUrl string,
) *dagger.Directory {
	return dag.Container().From(nodeImage).
		WithMountedCache("/root/.npm", dag.CacheVolume("bookme-npm")).
		WithWorkdir("/src").
		WithFile("/src/package.json", source.File("package.json")).
		WithFile("/src/package-lock.json", source.File("package-lock.json")).
		WithExec([]string{"npm", "ci", "--no-audit", "--no-fund"}).
		WithDirectory("/src", source).
		WithEnvVariable("VITE_API_BASE_URL", apiUrl).
		WithEnvVariable("VITE_WS_BASE_URL", wsUrl).
		WithExec([]string{"npm", "run", "build"}).
		Directory("/src/dist")
}
