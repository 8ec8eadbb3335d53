package rollout

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// OneOff is a one-off task run, in order, before the migration on every deploy that changes the
// services (e.g. the database bootstrap). Its family is rendered with the new image like the services'
// (the same Change: image, git-sha tag, environment files and secrets), registered idempotently, and
// run once with the API service's network configuration; Apply stops — before the migration and
// before any service changes — unless its container (Input.Container) exits 0.
//
// There is no Skip: Migration.Skip does not skip one-offs, and a one-off the caller does not want is
// simply left out of Input.Before. On a deploy that changes no service (Plan.NoOp) none runs.
type OneOff struct {
	// Name is the short name for progress, the record and Revisions ("db-bootstrap"): letters, digits,
	// '-' and '_', unique within Input.Before; "migrate" and "migration" are reserved.
	Name string `json:"name"`
	// Family is the task-definition family to run; its latest revision is rendered with the new image.
	Family string `json:"family"`
	// Command overrides the container's command (required).
	Command []string `json:"command"`
	// Environment: extra container environment overrides (names and values; never secrets — pass
	// those as Secrets Manager references in the task definition). Text prints the names only.
	Environment map[string]string `json:"environment,omitempty"`
}

// OneOffPlan is one one-off task of the plan, exactly as Apply runs it.
type OneOffPlan struct {
	Name string `json:"name"`
	// Family is the task-definition family the task runs (its new revision).
	Family string `json:"family"`
	// Diff is the difference between the family's latest revision and the one the task runs (empty:
	// the latest revision already matches and is reused).
	Diff string `json:"diff,omitempty"`
	// Template is the revision the new one is rendered from (OpenTofu's template; without
	// Input.Templates the family's latest revision).
	Template    string            `json:"template,omitempty"`
	Command     []string          `json:"command"`
	Environment map[string]string `json:"environment,omitempty"`
	// StartedBy is the RunTask startedBy value, OneOffStartedByPrefix + Name.
	StartedBy string `json:"startedBy"`
	// TaskNetwork is the API service's network configuration.
	TaskNetwork
	// Register is the input of the family's new revision (registered idempotently).
	Register *ecs.RegisterTaskDefinitionInput `json:"-"`
}

// OneOffStartedByPrefix starts the startedBy value of a one-off task: "bookme-deploy/<name>".
const OneOffStartedByPrefix = "bookme-deploy/"

// OneOffKey is the Revisions key of the one-off named name: "oneoff:" + name.
func OneOffKey(name string) string { return "oneoff:" + name }

var oneOffName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// validateOneOffs refuses, before any read, one-offs that cannot run: empty or invalid names,
// duplicate names, empty family or command, empty environment names.
func validateOneOffs(oo []OneOff) error {
	seen := map[string]bool{}
	for i, o := range oo {
		switch {
		case strings.TrimSpace(o.Name) == "":
			return fmt.Errorf("rollout: one-off #%d (family %q) has no name: give it a short name such as \"db-bootstrap\"", i+1, o.Family)
		case !oneOffName.MatchString(o.Name):
			return fmt.Errorf("rollout: one-off name %q is invalid: use 1-64 letters, digits, '-' or '_'", o.Name)
		case o.Name == "migrate" || o.Name == "migration":
			return fmt.Errorf("rollout: one-off name %q is reserved for the migration task: configure the migration with Input.Migration", o.Name)
		case seen[o.Name]:
			return fmt.Errorf("rollout: one-off name %q is used twice: give every one-off its own name", o.Name)
		case strings.TrimSpace(o.Family) == "":
			return fmt.Errorf("rollout: one-off %s has no task-definition family: pass the family to run (stack output)", o.Name)
		case len(o.Command) == 0 || strings.TrimSpace(strings.Join(o.Command, "")) == "":
			return fmt.Errorf("rollout: one-off %s has no command: pass the container command to run", o.Name)
		}
		for k := range o.Environment {
			if strings.TrimSpace(k) == "" {
				return fmt.Errorf("rollout: one-off %s has an environment override with an empty name", o.Name)
			}
		}
		seen[o.Name] = true
	}
	return nil
}

// planOneOffs renders every one-off's family with the plan's change (reads only).
func (e *Engine) planOneOffs(ctx context.Context, oo []OneOff, nw TaskNetwork, p *Plan) ([]*OneOffPlan, error) {
	var out []*OneOffPlan
	for _, o := range oo {
		fam, err := e.renderFamily(ctx, o.Family, p.Templates, p.Change(), "one-off "+o.Name)
		if err != nil {
			return nil, err
		}
		op := &OneOffPlan{Name: o.Name, Family: fam.family, Diff: fam.diff, Template: fam.template, Command: append([]string(nil), o.Command...),
			StartedBy: OneOffStartedByPrefix + o.Name, TaskNetwork: nw, Register: fam.register}
		if len(o.Environment) > 0 {
			op.Environment = make(map[string]string, len(o.Environment))
			for k, v := range o.Environment {
				op.Environment[k] = v
			}
		}
		out = append(out, op)
	}
	return out, nil
}

// envNames prints environment override names (never values) for Text: " with environment A, B".
func envNames(env map[string]string) string {
	if len(env) == 0 {
		return ""
	}
	return " with environment " + strings.Join(slices.Sorted(maps.Keys(env)), ", ")
}

// revisionWord says what Register will do with a rendered family.
func revisionWord(diff string) string {
	if diff == "" {
		return "latest revision already matches (reused)"
	}
	return "new revision"
}
