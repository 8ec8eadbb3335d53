// Package planfile is a reviewed plan a deploy can be held to. `plan --format json` writes one: per
// part of the deploy (each OpenTofu stack, the image, the env file, the SPA release) a fingerprint
// of what that part would do. `deploy --plan-file` fingerprints the same parts again and refuses —
// before it changes that part, and first for all parts at once — when any of them drifted: another
// commit, a changed OpenTofu state (its plan differs), another image, env file or bundle.
//
// Fingerprints are computed by the parts' own packages (stack.PlanSummary.Hash, release.Plan.Digest,
// envfile.Rendered.SHA256, the image decision); this package only keeps and compares them. It holds
// no secret: env-file keys' values never enter a fingerprint's summary.
package planfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Version is the file format's version; Parse refuses others.
const Version = 1

// Part names (the deploy's stages that change something).
const (
	PartTofuBase     = "tofu-base"
	PartTofuFrontend = "tofu-frontend"
	PartTofuBackend  = "tofu-backend"
	PartImage        = "image"
	PartEnvFile      = "env-file"
	PartRelease      = "release"
)

// Parts are every part a complete plan file has, in deploy order.
var Parts = []string{PartTofuBase, PartTofuFrontend, PartImage, PartEnvFile, PartTofuBackend, PartRelease}

// File is a saved plan.
type File struct {
	Version     int       `json:"version"`
	Environment string    `json:"environment"`
	GitSHA      string    `json:"gitSha"`
	CreatedAt   time.Time `json:"createdAt"`
	// Parts maps a part name to its fingerprint.
	Parts map[string]Part `json:"parts"`
	// Text is the plan as `plan` printed it (Markdown), for people reviewing the file.
	Text string `json:"text,omitempty"`

	mu sync.Mutex
}

// Part is one part's fingerprint and a one-line summary for people.
type Part struct {
	Fingerprint string `json:"fingerprint"`
	Summary     string `json:"summary"`
}

// New starts an empty plan file for an environment and commit.
func New(env, gitSHA string, now time.Time) *File {
	return &File{Version: Version, Environment: env, GitSHA: gitSHA, CreatedAt: now.UTC().Truncate(time.Second), Parts: map[string]Part{}}
}

// Set records a part's fingerprint. Safe for concurrent use.
func (f *File) Set(part, fingerprint, summary string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Parts == nil {
		f.Parts = map[string]Part{}
	}
	f.Parts[part] = Part{Fingerprint: fingerprint, Summary: oneLine(summary)}
}

// Get returns a part's fingerprint. Safe for concurrent use.
func (f *File) Get(part string) (Part, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.Parts[part]
	return p, ok
}

// JSON is the file's encoding (indented, keys sorted).
func (f *File) JSON() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return json.MarshalIndent(f, "", "  ")
}

// Parse reads a plan file and checks that it is complete: the version, environment, commit and a
// fingerprint for every part.
func Parse(data []byte) (*File, error) {
	var f File
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("plan file: not a plan file written by `plan --format json`: %v", err)
	}
	switch {
	case f.Version != Version:
		return nil, fmt.Errorf("plan file: version %d, this deploy reads version %d: run `plan --format json` again", f.Version, Version)
	case strings.TrimSpace(f.Environment) == "":
		return nil, errors.New("plan file: no environment")
	case strings.TrimSpace(f.GitSHA) == "":
		return nil, errors.New("plan file: no commit")
	}
	var missing []string
	for _, p := range Parts {
		if part, ok := f.Parts[p]; !ok || part.Fingerprint == "" {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("plan file: no fingerprint for %s (an incomplete or failed plan): run `plan --format json` again", strings.Join(missing, ", "))
	}
	return &f, nil
}

// CheckTarget refuses a plan made for another environment or commit.
func (f *File) CheckTarget(env, gitSHA string) error {
	if f.Environment != env {
		return fmt.Errorf("plan file: made for environment %q, this deploy is to %q", f.Environment, env)
	}
	if f.GitSHA != gitSHA {
		return fmt.Errorf("plan file: made for commit %s, this deploy is of %s: plan the commit you deploy", short(f.GitSHA), short(gitSHA))
	}
	return nil
}

// Drift is one part whose fingerprint changed since the plan.
type Drift struct {
	Part    string `json:"part"`
	Planned Part   `json:"planned"`
	Now     Part   `json:"now"`
}

// Verify compares one part's current fingerprint with the plan's; the error says what drifted.
func (f *File) Verify(part, fingerprint, summary string) error {
	planned, ok := f.Get(part)
	if !ok {
		return fmt.Errorf("plan file: has no %s part", part)
	}
	if planned.Fingerprint == fingerprint {
		return nil
	}
	return DriftError{{Part: part, Planned: planned, Now: Part{Fingerprint: fingerprint, Summary: oneLine(summary)}}}
}

// Compare lists every part of now whose fingerprint differs from f's (and parts either lacks),
// in deploy order.
func (f *File) Compare(now *File) DriftError {
	var out DriftError
	names := append([]string(nil), Parts...)
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	var extra []string
	for n := range f.Parts {
		if !seen[n] {
			extra = append(extra, n)
		}
	}
	for n := range now.Parts {
		if !seen[n] {
			extra = append(extra, n)
			seen[n] = true
		}
	}
	sort.Strings(extra)
	for _, n := range append(names, extra...) {
		a, okA := f.Get(n)
		b, okB := now.Get(n)
		if okA != okB || a.Fingerprint != b.Fingerprint {
			out = append(out, Drift{Part: n, Planned: a, Now: b})
		}
	}
	return out
}

// DriftError lists drifted parts; it is an error when not empty.
type DriftError []Drift

func (d DriftError) Error() string {
	var parts []string
	for _, x := range d {
		parts = append(parts, fmt.Sprintf("%s (planned: %s [%s]; now: %s [%s])", x.Part,
			orNone(x.Planned.Summary), shortFP(x.Planned.Fingerprint), orNone(x.Now.Summary), shortFP(x.Now.Fingerprint)))
	}
	return "the plan drifted since it was reviewed: " + strings.Join(parts, "; ") + "; run `plan --format json` again and review it"
}

// Err is nil when nothing drifted.
func (d DriftError) Err() error {
	if len(d) == 0 {
		return nil
	}
	return d
}

func shortFP(s string) string {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) > 12 {
		return s[:12]
	}
	if s == "" {
		return "none"
	}
	return s
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
