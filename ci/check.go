package main

import (
	"context"
	"fmt"
	"strings"

	"dagger/bookme/internal/dagger"
)

// Check runs the repository's fast checks in containers: the functional core's Go unit tests and
// `tofu fmt -check` over infra/. It returns a short report and fails when any check fails.
// +cache="never"
func (m *Bookme) Check(
	ctx context.Context,
) (string, error) {
	source := m.Source
	var report strings.Builder
	goOut, err := dag.Container().From(goImage).
		WithMountedCache("/go/pkg/mod", dag.CacheVolume("bookme-gomod")).
		WithMountedCache("/root/.cache/go-build", dag.CacheVolume("bookme-gobuild")).
		WithEnvVariable("CGO_ENABLED", "0").
		WithDirectory("/src", source, dagger.ContainerWithDirectoryOpts{
			Include: []string{"go.mod", "go.sum", "core/**", "internal/**", "cmd/**", "test/**", "ci/*.go", "ci/go.mod", "service-config/**", "infra/**", ".github/**", "docs/**", "README.md", "dagger.json",
				"bookme-deploy.yaml", "examples/cra-app/**", "examples/bookme/api/Dockerfile", "examples/bookme/api/accounts/views.py", "examples/bookme/frontend/src/main.jsx", "examples/bookme/frontend/package.json"},
		}).
		WithWorkdir("/src").
		WithExec([]string{"go", "vet", "./..."}).
		WithExec([]string{"go", "test", "-count=1", "./..."}).
		Stdout(ctx)
	if err != nil {
		return "", fmt.Errorf("go unit tests failed: %w", err)
	}
	report.WriteString("go test ./... (unit):\n" + indent(goOut))

	fmtOut, err := dag.Container().From(tofuImage).
		WithDirectory("/infra", source.Directory("infra")).
		WithWorkdir("/infra").
		WithExec([]string{"tofu", "fmt", "-check", "-recursive", "-diff"}, dagger.ContainerWithExecOpts{UseEntrypoint: false}).
		Stdout(ctx)
	if err != nil {
		return "", fmt.Errorf("tofu fmt -check failed (run `tofu fmt -recursive infra/`): %w", err)
	}
	report.WriteString("tofu fmt -check -recursive infra/: ok\n" + indent(fmtOut))
	return report.String(), nil
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ") + "\n"
}
