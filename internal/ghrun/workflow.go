// Package ghrun runs a GitHub Actions workflow's `run:` steps as a runner does, so that a test runs
// the CI lines verbatim: the script as the YAML holds it, `shell: bash` as
// `bash --noprofile --norc -eo pipefail FILE`, and the workflow's, job's and step's env with their
// `${{ … }}` expressions evaluated from the contexts the test gives (vars, secrets, github, …).
// Actions (`uses:`) are not run: the test provides what they would (e.g. the credentials
// configure-aws-credentials exports).
package ghrun

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// Workflow is the part of a workflow file a run needs.
type Workflow struct {
	Name string            `yaml:"name"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]*Job   `yaml:"jobs"`
}

// Job is one job: its env and steps.
type Job struct {
	Env   map[string]string `yaml:"env"`
	Steps []*Step           `yaml:"steps"`
}

// Step is one step of a job.
type Step struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
}

// Load reads a workflow file.
func Load(path string) (*Workflow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var w Workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &w, nil
}

// Step returns the run step of job named name; a missing job or step is an error.
func (w *Workflow) Step(job, name string) (*Job, *Step, error) {
	j, ok := w.Jobs[job]
	if !ok {
		return nil, nil, fmt.Errorf("workflow %q has no job %q", w.Name, job)
	}
	for _, s := range j.Steps {
		if s.Name == name {
			if s.Run == "" {
				return nil, nil, fmt.Errorf("workflow %q job %q: step %q runs no script", w.Name, job, name)
			}
			return j, s, nil
		}
	}
	return nil, nil, fmt.Errorf("workflow %q job %q has no step %q", w.Name, job, name)
}
