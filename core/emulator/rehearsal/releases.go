package rehearsal

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/smoke"
)

// Step is one release of the rehearsal: its name, its commit and the source changes it carries on
// top of the repository (cumulative: C's edits include B's).
type Step struct {
	Name   string
	GitSHA string
	Edits  []Edit
	// FailSmoke makes the smoke check fail after the cut-over (see FailingSmoke).
	FailSmoke bool
}

// Edit changes one file of the repository for a step.
type Edit struct {
	// Path is relative to the repository's root.
	Path string
	// Why says what the change stands for (the report lists it).
	Why string
	// Apply returns the file's new content from its current one.
	Apply func(old string) (string, error)
}

// Adapt adapts a deployment of the step to the emulated account (Adapt), failing its smoke check
// when the step says so.
func (s Step) Adapt(cfg *deploy.Config, ports *deploy.Ports) {
	Adapt(cfg, ports)
	if s.FailSmoke {
		ports.Smoke = FailingSmoke(ports.Smoke, s.Name)
	}
}

// FailingSmoke runs the real check (so the cut-over is proven to have happened) and then fails: it
// stands in for a release whose API never answers as itself (moto runs no containers, so no release
// can fail its health check on its own in the emulated account).
func FailingSmoke(real deploy.Smoke, name string) deploy.Smoke {
	return func(ctx context.Context, t smoke.Target) (string, error) {
		if _, err := real(ctx, t); err != nil {
			return "", err
		}
		return "", fmt.Errorf("smoke: release %s (%s) does not answer as itself: the rehearsal fails its API check on purpose", name, deploy.Short(t.Release))
	}
}

// APICPU and APIMemory are what release B's OpenTofu change sets for the API task (the stack's
// defaults are 256 / 512).
const (
	APICPU    = "512"
	APIMemory = "1024"
)

// SenderB is release B's env input change (sendgrid_sender_email).
const SenderB = "release-b@book-me.example.com"

// Paths are the reference app's directories the steps edit.
type Paths struct{ APIDir, ClientDir, ServiceConfigDir string }

// Steps are the rehearsal's releases for env, from the commit of A: A as the repository is; B with
// a source change to the API, an OpenTofu change to the API task's CPU and memory, an env input
// change and an SPA change; C with another API and SPA change, failing after its cut-over.
func Steps(env, commitA string, l Paths) []Step {
	api := path.Join(l.APIDir, "accounts", "views.py")
	spa := path.Join(l.ClientDir, "src", "main.jsx")
	b := []Edit{
		{Path: api, Why: "API source change", Apply: appendLine("# rehearsal: release B")},
		{Path: "infra/environments/" + env + ".backend.tfvars", Why: "OpenTofu: API task CPU " + APICPU + ", memory " + APIMemory,
			Apply: appendLine("api_cpu    = " + APICPU + "\napi_memory = " + APIMemory)},
		{Path: path.Join(l.ServiceConfigDir, env+".inputs.json"), Why: "env input: sendgrid_sender_email " + SenderB,
			Apply: setJSON("sendgrid_sender_email", SenderB)},
		{Path: spa, Why: "SPA change", Apply: appendLine("document.documentElement.dataset.release = 'B';")},
	}
	c := append(append([]Edit(nil), b...),
		Edit{Path: api, Why: "API source change", Apply: appendLine("# rehearsal: release C")},
		Edit{Path: spa, Why: "SPA change", Apply: appendLine("document.documentElement.dataset.release = 'C';")})
	return []Step{
		{Name: "A", GitSHA: commitA},
		{Name: "B", GitSHA: stepSHA(commitA, "B"), Edits: b},
		{Name: "C", GitSHA: stepSHA(commitA, "C"), Edits: c, FailSmoke: true},
	}
}

// stepSHA is a commit id for a rehearsal step derived from A's (40 hex digits).
func stepSHA(commitA, name string) string {
	h := sha1.Sum([]byte(commitA + "/rehearsal/" + name))
	return hex.EncodeToString(h[:])
}

func appendLine(line string) func(string) (string, error) {
	return func(old string) (string, error) {
		if old != "" && !strings.HasSuffix(old, "\n") {
			old += "\n"
		}
		return old + line + "\n", nil
	}
}

func setJSON(key, value string) func(string) (string, error) {
	return func(old string) (string, error) {
		var doc map[string]any
		if err := json.Unmarshal([]byte(old), &doc); err != nil {
			return "", fmt.Errorf("edit: %w", err)
		}
		if _, ok := doc[key]; !ok {
			return "", errors.New("edit: no " + key + " to change")
		}
		doc[key] = value
		out, err := json.MarshalIndent(doc, "", "  ")
		return string(out) + "\n", err
	}
}

// Files returns the final content of every file the step edits, the edits applied in order to the
// repository's files (read returns one).
func (s Step) Files(read func(path string) (string, error)) (map[string]string, error) {
	files := map[string]string{}
	for _, e := range s.Edits {
		old, ok := files[e.Path]
		if !ok {
			var err error
			if old, err = read(e.Path); err != nil {
				return nil, fmt.Errorf("release %s: read %s: %w", s.Name, e.Path, err)
			}
		}
		next, err := e.Apply(old)
		if err != nil {
			return nil, fmt.Errorf("release %s: %s (%s): %w", s.Name, e.Path, e.Why, err)
		}
		files[e.Path] = next
	}
	return files, nil
}
