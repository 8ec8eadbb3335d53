package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"bookme-deploy/core/redact"
)

// Stack names, in apply order.
const (
	StackBase     = "base"
	StackBackend  = "backend"
	StackFrontend = "frontend"
)

// BackendVars returns the backend stack's inputs that come from the base stack's outputs, keyed
// by the backend's variable names. Write it with VarsJSON to a *.tfvars.json file and pass it with
// -var-file: the stacks then share no state and no name is copied by hand.
func (b *Base) BackendVars() map[string]any {
	return map[string]any{
		"vpc_id":                b.VPCID,
		"public_subnet_ids":     b.PublicSubnetIDs,
		"private_subnet_ids":    b.PrivateSubnetIDs,
		"app_security_group_id": b.AppSecurityGroupID,
		"ecr_repository_url":    b.ECRRepositoryURL,
		"ecr_repository_arn":    b.ECRRepositoryARN,
		"config_bucket":         b.ConfigBucket,
		"static_bucket":         b.StaticBucket,
		"app_secret_arn":        b.AppSecretARN,
		"redis_secret_arn":      b.RedisSecretARN,
		"db_secret_arn":         b.DBSecretARN,
	}
}

// VarsJSON encodes variables as a *.tfvars.json document.
func VarsJSON(vars map[string]any) ([]byte, error) {
	data, err := json.MarshalIndent(vars, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("stack: encode variables: %w", err)
	}
	return append(data, '\n'), nil
}

// VarFiles returns the var files of one stack in one environment, relative to the stack directory
// infra/stacks/<stack>, reading infra/environments/ on disk: the same choice as VarFileArgs (the
// environment's shared file, required; then the stack's own file when present).
func VarFiles(infraDir, environment, stackName string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(infraDir, "environments"))
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("stack: read %s: %w", filepath.Join(infraDir, "environments"), err)
	} // no directory: no environment, which VarFileArgs refuses by name
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	args, err := VarFileArgs(names, environment, stackName)
	if err != nil {
		return nil, err
	}
	files := make([]string, len(args))
	for i, a := range args {
		files[i] = filepath.FromSlash(strings.TrimPrefix(a, "-var-file="))
	}
	return files, nil
}

// VarFileArgs are the -var-file arguments of one stack in one environment, relative to the stack
// directory infra/stacks/<stack>, chosen from the names in infra/environments/ (entries): the
// environment's shared file (required), then the stack's own file when present, then extra files
// (in the stack directory) in the order given — later files win.
func VarFileArgs(entries []string, environment, stackName string, extra ...string) ([]string, error) {
	have := map[string]bool{}
	for _, e := range entries {
		have[e] = true
	}
	shared := environment + ".tfvars"
	if !have[shared] {
		return nil, fmt.Errorf("unknown environment %q: infra/environments/%s does not exist (add it, see infra/README.md)", environment, shared)
	}
	args := []string{"-var-file=../../environments/" + shared}
	if own := environment + "." + stackName + ".tfvars"; have[own] {
		args = append(args, "-var-file=../../environments/"+own)
	}
	for _, f := range extra {
		args = append(args, "-var-file="+f)
	}
	return args, nil
}

// InitArgs is `tofu init` of a stack against the S3 backend: state key <env>/<stack>.tfstate in the
// state bucket; backendFiles are extra -backend-config files (an emulator's endpoint settings).
func InitArgs(stateBucket, region, environment, stackName string, backendFiles ...string) []string {
	args := []string{"tofu", "init", "-input=false", "-no-color",
		"-backend-config=bucket=" + stateBucket,
		"-backend-config=key=" + environment + "/" + stackName + ".tfstate",
		"-backend-config=region=" + region}
	for _, f := range backendFiles {
		args = append(args, "-backend-config="+f)
	}
	return args
}

// PlanArgs is `tofu plan` saving the plan to out, with the var-file arguments.
func PlanArgs(out string, varFiles []string) []string {
	return append([]string{"tofu", "plan", "-input=false", "-no-color", "-lock-timeout=5m", "-out=" + out}, varFiles...)
}

// ApplyArgs applies exactly the saved plan.
func ApplyArgs(plan string) []string {
	return []string{"tofu", "apply", "-input=false", "-no-color", "-lock-timeout=5m", plan}
}

// ShowJSONArgs prints a saved plan as JSON (SummarizePlan reads it).
func ShowJSONArgs(plan string) []string { return []string{"tofu", "show", "-no-color", "-json", plan} }

// OutputArgs prints the stack's outputs as JSON.
func OutputArgs() []string { return []string{"tofu", "output", "-no-color", "-json"} }

// MirrorCLIConfig is a CLI configuration that installs hashicorp/aws from a filesystem mirror at
// dir (as `tofu providers mirror` writes it) and every other provider from its registry.
func MirrorCLIConfig(dir string) string {
	return `provider_installation {
  filesystem_mirror {
    path    = "` + dir + `"
    include = ["registry.opentofu.org/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.opentofu.org/hashicorp/aws"]
  }
}
`
}

// ErrorLines keeps the useful part of a failed tofu command's stderr: from OpenTofu's first
// "Error:" on, at most 2000 bytes, with credential-looking text redacted (core/redact's patterns).
// ErrorLinesWith also redacts the run's known secrets.
func ErrorLines(stderr string) string { return ErrorLinesWith(nil, stderr) }

// ErrorLinesWith is ErrorLines redacting with r (the whole stderr before it is cut, so that no part
// of a secret survives the cut): a provider's error may quote a request's credentials, a variable's
// value (the Redis token) or the state encryption configuration.
func ErrorLinesWith(r *redact.Redactor, stderr string) string {
	msg := strings.TrimSpace(r.String(stderr))
	if i := strings.Index(msg, "Error:"); i >= 0 {
		msg = msg[i:]
	}
	if len(msg) > 2000 {
		msg = msg[:2000] + " …"
	}
	return msg
}

// Overrides are files written into the working copy of infra/ before OpenTofu runs (paths relative to
// infra/), and which of them OpenTofu must be told to read: VarFiles (-var-file) and BackendFiles
// (-backend-config), relative to each stack directory. An emulated account brings its own.
type Overrides struct {
	Files        map[string]string
	VarFiles     []string
	BackendFiles []string
}
