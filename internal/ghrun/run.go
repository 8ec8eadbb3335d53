package ghrun

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// shells are the commands GitHub runs a script file ({0}) with on a Linux runner.
var shells = map[string][]string{
	"":     {"bash", "-e", "{0}"}, // no shell: bash -e (no pipefail)
	"bash": {"bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"},
	"sh":   {"sh", "-e", "{0}"},
}

// StepEnv is the step's environment: base (the runner's, and what earlier steps and actions exported),
// then the workflow's, the job's and the step's env, each expanded with c (later ones win).
func (w *Workflow) StepEnv(j *Job, s *Step, base map[string]string, c Contexts) (map[string]string, error) {
	env := maps.Clone(base)
	if env == nil {
		env = map[string]string{}
	}
	for _, layer := range []map[string]string{w.Env, j.Env, s.Env} {
		for _, k := range slices.Sorted(maps.Keys(layer)) {
			v, err := Expand(layer[k], c)
			if err != nil {
				return nil, fmt.Errorf("env %s: %w", k, err)
			}
			env[k] = v
		}
	}
	return env, nil
}

// Command is the process a runner starts for the step: its script (expressions expanded) written to
// dir, run by the step's shell in workdir with env.
func (s *Step) Command(dir, workdir string, env map[string]string, c Contexts) (*exec.Cmd, error) {
	shell, ok := shells[s.Shell]
	if !ok {
		return nil, fmt.Errorf("step %q: shell %q is not supported", s.Name, s.Shell)
	}
	script, err := Expand(s.Run, c)
	if err != nil {
		return nil, fmt.Errorf("step %q: %w", s.Name, err)
	}
	f, err := os.CreateTemp(dir, "step-*.sh")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.WriteString(script); err != nil {
		return nil, err
	}
	args := make([]string, len(shell))
	for i, a := range shell {
		args[i] = strings.ReplaceAll(a, "{0}", filepath.Clean(f.Name()))
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = workdir
	for _, k := range slices.Sorted(maps.Keys(env)) {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	return cmd, nil
}
