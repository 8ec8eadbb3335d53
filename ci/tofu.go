package main

import (
	"context"
	"errors"
	"fmt"
	"path"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/stack"

	"dagger/bookme/internal/dagger"
)

const tofuImage = "ghcr.io/opentofu/opentofu:1.12" // write-only arguments and ephemeral resources (infra/modules/cache)

// tofuRunner runs OpenTofu in containers (deploy.Tofu); core/stack builds the argv.
type tofuRunner struct {
	access      *access
	infra       *dagger.Directory
	mirror      *dagger.Directory
	env         string
	stateBucket string
	encryption  *dagger.Secret
	// extra are files written into the working copy and read by OpenTofu (a stand-in account's).
	extra stack.Overrides
	// runID busts Dagger's cache: a plan always looks at the account as it is now.
	runID string
}

// container is a tofu container in infra/stacks/<name> with init done.
func (t tofuRunner) container(ctx context.Context, name string, vars map[string]any) (*dagger.Container, []string, error) {
	infra := t.infra
	for p, content := range t.extra.Files {
		infra = infra.WithNewFile(p, content)
	}
	entries, err := t.infra.Entries(ctx, dagger.DirectoryEntriesOpts{Path: "environments"})
	if err != nil {
		return nil, nil, fmt.Errorf("tofu: read infra/environments: %w", err)
	}
	extra := t.extra.VarFiles
	if len(vars) > 0 {
		data, err := stack.VarsJSON(vars)
		if err != nil {
			return nil, nil, err
		}
		infra = infra.WithNewFile(path.Join("stacks", name, "pipeline.tfvars.json"), string(data))
		extra = append(append([]string(nil), extra...), "pipeline.tfvars.json")
	}
	varFiles, err := stack.VarFileArgs(entries, t.env, name, extra...)
	if err != nil {
		return nil, nil, err
	}
	ctr := dag.Container().From(tofuImage).
		// One plugin cache per stack: OpenTofu's cache is not safe for concurrent `tofu init`s (two
		// stacks planned in parallel lost a provider half-installed), a stack's runs are sequential.
		WithMountedCache("/root/.terraform.d/plugin-cache", dag.CacheVolume("bookme-tofu-plugins-"+name)).
		WithEnvVariable("TF_PLUGIN_CACHE_DIR", "/root/.terraform.d/plugin-cache").
		WithEnvVariable("TF_IN_AUTOMATION", "1").
		WithEnvVariable("TF_INPUT", "0")
	if t.mirror != nil {
		ctr = ctr.WithMountedDirectory("/opt/tofu-mirror", t.mirror).
			WithNewFile("/etc/tofu.rc", stack.MirrorCLIConfig("/opt/tofu-mirror")).
			WithEnvVariable("TF_CLI_CONFIG_FILE", "/etc/tofu.rc")
	}
	if ctr, err = t.access.withAWS(ctx, ctr); err != nil {
		return nil, nil, err
	}
	if t.encryption != nil {
		ctr = ctr.WithSecretVariable("TF_ENCRYPTION", t.encryption)
	}
	ctr = ctr.WithDirectory("/infra", infra).
		WithWorkdir(path.Join("/infra/stacks", name)).
		WithEnvVariable("BOOKME_RUN", t.runID).
		WithExec(stack.InitArgs(t.stateBucket, t.access.region, t.env, name, t.extra.BackendFiles...))
	return ctr, varFiles, nil
}

// Plan runs `tofu plan -out` and summarises it.
func (t tofuRunner) Plan(ctx context.Context, name string, vars map[string]any) (*deploy.TofuPlan, error) {
	ctr, varFiles, err := t.container(ctx, name, vars)
	if err != nil {
		return nil, err
	}
	ctr = ctr.WithExec(stack.PlanArgs("/tmp/tfplan", varFiles))
	js, err := ctr.WithExec(stack.ShowJSONArgs("/tmp/tfplan")).Stdout(ctx)
	if err != nil {
		return nil, fmt.Errorf("tofu plan %s: %w", name, tofuErr(err))
	}
	sum, err := stack.SummarizePlan([]byte(js))
	if err != nil {
		return nil, err
	}
	return &deploy.TofuPlan{Stack: name, Summary: sum, Handle: ctr}, nil
}

// Apply applies exactly the saved plan and returns `tofu output -json`.
func (t tofuRunner) Apply(ctx context.Context, p *deploy.TofuPlan) ([]byte, error) {
	ctr, ok := p.Handle.(*dagger.Container)
	if !ok {
		return nil, fmt.Errorf("tofu apply %s: not a plan of this runner", p.Stack)
	}
	if !p.Summary.Empty() {
		ctr = ctr.WithExec(stack.ApplyArgs("/tmp/tfplan"))
	}
	out, err := ctr.WithExec(stack.OutputArgs()).Stdout(ctx)
	if err != nil {
		return nil, fmt.Errorf("tofu apply %s: %w", p.Stack, tofuErr(err))
	}
	return []byte(out), nil
}

// Outputs reads a stack's outputs without planning.
func (t tofuRunner) Outputs(ctx context.Context, name string) ([]byte, error) {
	ctr, _, err := t.container(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	out, err := ctr.WithExec(stack.OutputArgs()).Stdout(ctx)
	if err != nil {
		return nil, fmt.Errorf("tofu output %s: %w", name, tofuErr(err))
	}
	return []byte(out), nil
}

// tofuErr keeps the useful part of a failed exec: OpenTofu's own error lines.
func tofuErr(err error) error {
	var e *dagger.ExecError
	if !errors.As(err, &e) {
		return err
	}
	return errors.New(stack.ErrorLines(e.Stderr))
}
