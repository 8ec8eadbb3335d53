package main

import (
	"dagger/bookme/internal/dagger"
)

// BuildApi builds the Django API image from its Dockerfile's `production` target.
//
// Layers are cached by the engine across runs; only changed layers are rebuilt.
func (m *Bookme) BuildApi(
	// Directory holding the API's Dockerfile (with a `production` stage).
	// +defaultPath="/examples/bookme/api"
	// +ignore=["**/__pycache__", "**/*.pyc", ".venv", "media", "staticfiles", "*.sqlite3"]
	source *dagger.Directory,
	// Git commit the image is built from; recorded as the org.opencontainers.image.revision label.
	// +optional
	gitSha string,
	// Where the source lives (org.opencontainers.image.source label).
	// +optional
	sourceUrl string,
	// Target platform, e.g. linux/amd64 or linux/arm64.
	// +optional
	platform dagger.Platform,
) *dagger.Container {
	opts := dagger.DirectoryDockerBuildOpts{Target: "production"}
	if platform != "" {
		opts.Platform = platform
	}
	ctr := source.DockerBuild(opts)
	if gitSha != "" {
		ctr = ctr.WithLabel("org.opencontainers.image.revision", gitSha)
	}
	if sourceUrl != "" {
		ctr = ctr.WithLabel("org.opencontainers.image.source", sourceUrl)
	}
	return ctr
}
