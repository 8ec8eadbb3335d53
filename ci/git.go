package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"bookme-deploy/core/pipeline"

	"dagger/bookme/internal/dagger"
)

// gitImage reads the commit and the working tree's state. Debian's git, installed once (cached).
func gitImage() *dagger.Container {
	return dag.Container().From("debian:bookworm-slim").
		WithExec([]string{"sh", "-c", "apt-get update -qq && apt-get install -y -qq --no-install-recommends git >/dev/null && rm -rf /var/lib/apt/lists/*"})
}

// gitState returns HEAD and the tracked files with uncommitted changes.
func gitState(ctx context.Context, source *dagger.Directory) (string, []string, error) {
	out, err := gitImage().
		WithDirectory("/repo", source).
		WithWorkdir("/repo").
		WithEnvVariable("BOOKME_RUN", newRunID()).
		WithExec([]string{"sh", "-c", "git config --global --add safe.directory /repo && git rev-parse HEAD && git status --porcelain --untracked-files=no"}).
		Stdout(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("git: the source is not a git checkout with a commit (pass --git-sha): %w", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var dirty []string
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l != "" {
			dirty = append(dirty, l)
		}
	}
	return strings.TrimSpace(lines[0]), dirty, nil
}

// accountID asks STS who the credentials belong to (also a cheap check that they work).
func accountID(ctx context.Context, cfg aws.Config) (string, error) {
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("aws: the credentials do not work (sts:GetCallerIdentity): %w", err)
	}
	return aws.ToString(out.Account), nil
}

func runPlan(ctx context.Context, d *deployment) *pipeline.Report {
	d.rec = nil
	return pipeline.Run(ctx, d.out, d.planSteps())
}
