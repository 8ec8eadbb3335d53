package main

import (
	"context"
	"fmt"
	"path"
	"strings"

	"bookme-deploy/core/stack"

	"dagger/bookme/internal/dagger"
)

// tofu runs OpenTofu for one environment's stacks in containers. OpenTofu owns the shape of the
// infrastructure; the pipeline only reads its outputs (core/stack).
type tofu struct {
	access awsAccess
	// infra is the repository's infra/ directory.
	infra *dagger.Directory
	// mirror is an optional provider mirror (filesystem_mirror layout) for machines that cannot reach
	// the provider registry.
	mirror *dagger.Directory
	env    string
	// stateBucket and stateRegion hold the S3 backend (key <env>/<stack>.tfstate, S3-native locking).
	stateBucket string
	// encryption is OpenTofu's state and plan encryption configuration (TF_ENCRYPTION), if any.
	encryption *dagger.Secret
	// secretVars are TF_VAR_* secrets (e.g. redis_auth_token), never in a layer or a log.
	secretVars map[string]*dagger.Secret
	// overrides are extra files written into the working copy (emulator provider overrides).
	// Keys are paths relative to infra/.
	overrides map[string]string
	// runID busts Dagger's cache: a plan must always look at the account as it is now.
	runID string
}

const tofuCLIConfig = `provider_installation {
  filesystem_mirror {
    path    = "/opt/tofu-mirror"
    include = ["registry.opentofu.org/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.opentofu.org/hashicorp/aws"]
  }
}
`

// container prepares a tofu container in infra/stacks/<name> with init done.
func (t tofu) container(ctx context.Context, name string, vars map[string]any) (*dagger.Container, []string, error) {
	infra := t.infra
	for p, content := range t.overrides {
		infra = infra.WithNewFile(p, content)
	}
	varFiles, err := t.varFiles(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if len(vars) > 0 {
		data, err := stack.VarsJSON(vars)
		if err != nil {
			return nil, nil, err
		}
		infra = infra.WithNewFile(path.Join("stacks", name, "pipeline.tfvars.json"), string(data))
	}
	// Explicit -var-file arguments after the environment's files: they win over them.
	if _, ok := t.overrides[path.Join("stacks", name, "emulator.tfvars.json")]; ok {
		varFiles = append(varFiles, "-var-file=emulator.tfvars.json")
	}
	if len(vars) > 0 {
		varFiles = append(varFiles, "-var-file=pipeline.tfvars.json")
	}
	ctr := dag.Container().From(tofuImage).
		WithMountedCache("/root/.terraform.d/plugin-cache", dag.CacheVolume("bookme-tofu-plugins")).
		WithEnvVariable("TF_PLUGIN_CACHE_DIR", "/root/.terraform.d/plugin-cache").
		WithEnvVariable("TF_IN_AUTOMATION", "1").
		WithEnvVariable("TF_INPUT", "0")
	if t.mirror != nil {
		ctr = ctr.WithMountedDirectory("/opt/tofu-mirror", t.mirror).
			WithNewFile("/etc/tofu.rc", tofuCLIConfig).
			WithEnvVariable("TF_CLI_CONFIG_FILE", "/etc/tofu.rc")
	}
	ctr = t.access.withAWS(ctr)
	if t.encryption != nil {
		ctr = ctr.WithSecretVariable("TF_ENCRYPTION", t.encryption)
	}
	for k, s := range t.secretVars {
		ctr = ctr.WithSecretVariable("TF_VAR_"+k, s)
	}
	ctr = ctr.WithDirectory("/infra", infra).
		WithWorkdir(path.Join("/infra/stacks", name)).
		WithEnvVariable("BOOKME_RUN", t.runID)
	init := []string{"tofu", "init", "-input=false", "-no-color",
		"-backend-config=bucket=" + t.stateBucket,
		"-backend-config=key=" + t.env + "/" + name + ".tfstate",
		"-backend-config=region=" + t.access.Region}
	if t.access.emulated() {
		init = append(init, "-backend-config=emulator.s3.tfbackend")
	}
	ctr = ctr.WithExec(init)
	return ctr, varFiles, nil
}

// varFiles lists -var-file arguments: infra/environments/<env>.tfvars (required) and
// <env>.<stack>.tfvars when present.
func (t tofu) varFiles(ctx context.Context, name string) ([]string, error) {
	entries, err := t.infra.Entries(ctx, dagger.DirectoryEntriesOpts{Path: "environments"})
	if err != nil {
		return nil, fmt.Errorf("tofu: read infra/environments: %w", err)
	}
	have := map[string]bool{}
	for _, e := range entries {
		have[e] = true
	}
	shared := t.env + ".tfvars"
	if !have[shared] {
		return nil, fmt.Errorf("unknown environment %q: infra/environments/%s does not exist", t.env, shared)
	}
	files := []string{"-var-file=../../environments/" + shared}
	if own := t.env + "." + name + ".tfvars"; have[own] {
		files = append(files, "-var-file=../../environments/"+own)
	}
	return files, nil
}

// stackRun is one stack's plan, kept so that exactly this plan is applied.
type stackRun struct {
	Name    string
	Summary *stack.PlanSummary
	ctr     *dagger.Container
}

// plan runs `tofu plan -out` and summarises it.
func (t tofu) plan(ctx context.Context, name string, vars map[string]any) (*stackRun, error) {
	ctr, varFiles, err := t.container(ctx, name, vars)
	if err != nil {
		return nil, err
	}
	ctr = ctr.WithExec(append([]string{"tofu", "plan", "-input=false", "-no-color", "-lock-timeout=5m", "-out=/tmp/tfplan"}, varFiles...))
	js, err := ctr.WithExec([]string{"tofu", "show", "-no-color", "-json", "/tmp/tfplan"}).Stdout(ctx)
	if err != nil {
		return nil, fmt.Errorf("tofu plan %s: %w", name, tofuErr(err))
	}
	sum, err := stack.SummarizePlan([]byte(js))
	if err != nil {
		return nil, err
	}
	return &stackRun{Name: name, Summary: sum, ctr: ctr}, nil
}

// apply applies exactly the saved plan and returns `tofu output -json`.
func (t tofu) apply(ctx context.Context, run *stackRun) ([]byte, error) {
	ctr := run.ctr
	if !run.Summary.Empty() {
		ctr = ctr.WithExec([]string{"tofu", "apply", "-input=false", "-no-color", "-lock-timeout=5m", "/tmp/tfplan"})
	}
	out, err := ctr.WithExec([]string{"tofu", "output", "-no-color", "-json"}).Stdout(ctx)
	if err != nil {
		return nil, fmt.Errorf("tofu apply %s: %w", run.Name, tofuErr(err))
	}
	return []byte(out), nil
}

// outputs reads a stack's outputs without planning.
func (t tofu) outputs(ctx context.Context, name string) ([]byte, error) {
	ctr, _, err := t.container(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	out, err := ctr.WithExec([]string{"tofu", "output", "-no-color", "-json"}).Stdout(ctx)
	if err != nil {
		return nil, fmt.Errorf("tofu output %s: %w", name, tofuErr(err))
	}
	return []byte(out), nil
}

// tofuErr keeps the useful part of a failed exec: OpenTofu's own error lines.
func tofuErr(err error) error {
	var e *dagger.ExecError
	if ok := asExecErr(err, &e); ok {
		msg := strings.TrimSpace(e.Stderr)
		if i := strings.Index(msg, "Error:"); i >= 0 {
			msg = msg[i:]
		}
		if len(msg) > 2000 {
			msg = msg[:2000] + " …"
		}
		return fmt.Errorf("%s", msg)
	}
	return err
}
