package main

import (
	"context"
	"fmt"
	"strings"

	"dagger/bookme/internal/dagger"
)

// DryRun rehearses a release locally: it builds the API image and the client bundle and reports what it
// built. It touches no real AWS account and needs no credentials.
//
// +cache="never"
func (m *Bookme) DryRun(
	ctx context.Context,
	// The repository.
	// +defaultPath="/"
	// +ignore=["**/node_modules", "**/dist", ".git", "**/.terraform", "**/__pycache__"]
	source *dagger.Directory,
) (string, error) {
	api := m.BuildApi(source.Directory("examples/bookme/api"), "", "", "")
	bundle := m.BuildClient(source.Directory("examples/bookme/frontend"), "https://api.bookme.test", "wss://api.bookme.test")

	var b strings.Builder
	b.WriteString("# bookme dry-run\n\n")
	if err := describeImage(ctx, &b, api); err != nil {
		return "", err
	}
	if err := describeBundle(ctx, &b, bundle); err != nil {
		return "", err
	}
	return b.String(), nil
}

func describeImage(ctx context.Context, b *strings.Builder, ctr *dagger.Container) error {
	entry, err := ctr.Entrypoint(ctx)
	if err != nil {
		return fmt.Errorf("build api image: %w", err)
	}
	cmd, err := ctr.DefaultArgs(ctx)
	if err != nil {
		return err
	}
	user, _ := ctr.User(ctx)
	wd, _ := ctr.Workdir(ctx)
	ports, _ := ctr.ExposedPorts(ctx)
	var ps []string
	for _, p := range ports {
		n, _ := p.Port(ctx)
		ps = append(ps, fmt.Sprint(n))
	}
	fmt.Fprintf(b, "API image: entrypoint=%q cmd=%q user=%q workdir=%q ports=%s\n", entry, cmd, user, wd, strings.Join(ps, ","))
	return nil
}

func describeBundle(ctx context.Context, b *strings.Builder, dir *dagger.Directory) error {
	files, err := dir.Glob(ctx, "**/*")
	if err != nil {
		return fmt.Errorf("build client bundle: %w", err)
	}
	var n int
	var size int64
	for _, f := range files {
		if strings.HasSuffix(f, "/") {
			continue
		}
		sz, err := dir.File(f).Size(ctx)
		if err != nil {
			continue // a directory
		}
		n++
		size += int64(sz)
	}
	fmt.Fprintf(b, "Client bundle: %d files, %d bytes\n", n, size)
	return nil
}
