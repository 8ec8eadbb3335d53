// Package record is the deploy record: what a deploy did (who, which commit, which image digest,
// which task-definition revisions, which plans, which bundle, and every step with its status and
// duration), kept as JSON in the config bucket and summarised as Markdown for people (the workflow
// tees the deploy's output into GitHub's job summary).
//
// Steps are the pipeline's outcomes (name, status, start, duration, detail): SetSteps fills them from
// a pipeline.Report, and Status is pipeline.Status. The record is not a pipeline step: the caller
// writes it (Save) after the DAG and its finally step have run, and may add that write's own outcome
// with AddOutcome.
package record

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/redact"
)

// Status of a step. It is the pipeline's status type (one source of truth): a record's steps are
// the pipeline's outcomes (see SetSteps), stored as "succeeded", "failed" or "skipped". Records
// written before the two were merged say "ran" for a step that succeeded; Parse reads that as
// Succeeded.
type Status = pipeline.Status

// Step statuses: the pipeline's.
const (
	// Succeeded means the step ran and succeeded.
	Succeeded = pipeline.Succeeded
	// Ran is Succeeded, the name this package used before it shared the pipeline's statuses.
	Ran = pipeline.Succeeded
	// Failed means the step ran and failed; Detail holds the reason.
	Failed = pipeline.Failed
	// Skipped means the step did not run; Detail says why (no change, an earlier failure, not selected).
	Skipped = pipeline.Skipped
	// Cancelled means the step was running when the deploy was cancelled; Detail says what it left.
	// Stored as "failed" with "cancelled": true, so readers that predate it see no success.
	Cancelled = pipeline.Cancelled
)

// legacyRan is how records written before the shared status said Succeeded.
const legacyRan = "ran"

// Step is one node of the deploy DAG.
type Step struct {
	Name    string    `json:"name"`
	Status  Status    `json:"status"`
	Started time.Time `json:"started,omitzero"`
	// Duration is serialised as milliseconds (durationMs).
	Duration time.Duration `json:"-"`
	// Detail is one line: what changed, the failure reason, or why it was skipped. No secrets.
	Detail string `json:"detail,omitempty"`
}

type stepJSON struct {
	Name       string    `json:"name"`
	Status     Status    `json:"status"`
	Started    time.Time `json:"started,omitzero"`
	DurationMs int64     `json:"durationMs"`
	Detail     string    `json:"detail,omitempty"`
	// Cancelled marks a Cancelled step, whose status is stored as "failed" (see Cancelled).
	Cancelled bool `json:"cancelled,omitempty"`
}

// MarshalJSON writes Duration as durationMs, and a Cancelled step as failed + cancelled.
func (s Step) MarshalJSON() ([]byte, error) {
	j := stepJSON{s.Name, s.Status, s.Started, s.Duration.Milliseconds(), s.Detail, false}
	if s.Status == Cancelled {
		j.Status, j.Cancelled = Failed, true
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads durationMs back into Duration.
func (s *Step) UnmarshalJSON(b []byte) error {
	var j stepJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Status == legacyRan {
		j.Status = Succeeded
	}
	if j.Cancelled {
		j.Status = Cancelled
	}
	*s = Step{Name: j.Name, Status: j.Status, Started: j.Started, Duration: time.Duration(j.DurationMs) * time.Millisecond, Detail: j.Detail}
	return nil
}

// Bundle summarises the released SPA bundle.
type Bundle struct {
	// Entry is the hashed entry file index.html references, e.g. assets/index.3f2a1b.js.
	Entry string `json:"entry,omitempty"`
	Files int    `json:"files"`
	Bytes int64  `json:"bytes"`
	// ManifestSHA256 identifies the bundle's file manifest.
	ManifestSHA256 string `json:"manifestSha256,omitempty"`
	Uploaded       int    `json:"uploaded"`
	Deleted        int    `json:"deleted"`
}

// Record is one deploy.
type Record struct {
	Environment string `json:"environment"`
	// Who started it: a person, or the CI actor.
	Who     string    `json:"who"`
	GitSHA  string    `json:"gitSha"`
	RunURL  string    `json:"runUrl,omitempty"`
	DryRun  bool      `json:"dryRun,omitempty"`
	Started time.Time `json:"started"`
	// RunID names the run (deploy.NewRunID: start time and random digits); it makes the key unique.
	RunID string `json:"runId,omitempty"`
	// Finished is set by Finish.
	Finished time.Time `json:"finished,omitzero"`
	// ImageRef is the image deployed, repo@sha256:….
	ImageRef string `json:"imageRef,omitempty"`
	// TaskDefinitions maps a service name (and "migration", "oneoff:<name>") to the revision ARN
	// registered or kept: the revisions the release's services run.
	TaskDefinitions map[string]string `json:"taskDefinitions,omitempty"`
	// EnvFileKey is the env file the release's task definitions reference (its key in the config
	// bucket; a full S3 ARN when it lives elsewhere).
	EnvFileKey string `json:"envFileKey,omitempty"`
	// PlanHashes maps a stack (base, backend, frontend) to the SHA-256 of its saved plan.
	PlanHashes map[string]string `json:"planHashes,omitempty"`
	// Recovered is set when this record is a recovery after a dead run (see Recovered).
	Recovered *Recovered `json:"recovered,omitempty"`
	Bundle    *Bundle    `json:"bundle,omitempty"`
	// Rollback says what a failed deploy returned to the previous release, and what it did not.
	Rollback *Rollback `json:"rollback,omitempty"`
	// RollbackTo is set on the record of a release-level roll-back (the `rollback` verb): the release
	// served again. The record's GitSHA, ImageRef, TaskDefinitions, EnvFileKey and Bundle are that
	// release's.
	RollbackTo *RollbackTo `json:"rollbackTo,omitempty"`
	// Cancellation is set when the run was cancelled (Ctrl-C, SIGTERM, a cancelled CI job): what
	// was interrupted and what the clean-up did.
	Cancellation *Cancellation `json:"cancellation,omitempty"`
	Steps        []Step        `json:"steps"`

	// redactor is the last Redact's (Markdown redacts with it too).
	redactor *redact.Redactor
}

// Cancellation is what a cancelled run interrupted.
type Cancellation struct {
	// Reason is the context's error or cause ("context canceled").
	Reason string `json:"reason"`
	// Interrupted are the steps that were running ("migrate-and-roll: …what it left…").
	Interrupted []string `json:"interrupted,omitempty"`
}

// Recovered is set on the record `recover` writes for a CI run that died while it deployed (a
// cancelled job: the runner killed it, so it wrote no record of its own).
type Recovered struct {
	// GitSHA is the commit the dead run was deploying.
	GitSHA string `json:"gitSha"`
	// Reason says what happened to the run and what the recovery did.
	Reason string `json:"reason"`
}

// RollbackTo names the release a release-level roll-back served again, and the one it replaced.
type RollbackTo struct {
	// Record is the key of the deploy record of the release served again; GitSHA its commit.
	Record string `json:"record"`
	GitSHA string `json:"gitSha"`
	// FromRecord and FromGitSHA name the release that ran before ("" when the live state matched no
	// record).
	FromRecord string `json:"fromRecord,omitempty"`
	FromGitSHA string `json:"fromGitSha,omitempty"`
	// NotRolledBack are the parts left as they are, each with why (the database migrations …).
	NotRolledBack []string `json:"notRolledBack,omitempty"`
}

// Rollback is the return of a failed deploy to the previous release.
type Rollback struct {
	// Reason is why: the step that failed.
	Reason string `json:"reason"`
	// Services are the services moved back (or that could not be).
	Services []ServiceRollback `json:"services,omitempty"`
	// SPA is the client bundle's return, nil when the SPA was not cut over.
	SPA *SPARollback `json:"spa,omitempty"`
	// Invalidation is the CDN invalidation of the restored paths ("" when none was needed or made).
	Invalidation string `json:"invalidation,omitempty"`
	// NotRolledBack are the parts of the release that stay as the failed deploy left them, each
	// with why: the database migrations (never reversed), the env file, the image …
	NotRolledBack []string `json:"notRolledBack"`
}

// ServiceRollback is one service's return.
type ServiceRollback struct {
	Service string `json:"service"`
	From    string `json:"from"`
	To      string `json:"to"`
	// RolledBack is true once the service runs To again; Error says why not.
	RolledBack bool   `json:"rolledBack"`
	Error      string `json:"error,omitempty"`
}

// SPARollback is the client bundle's return.
type SPARollback struct {
	// From is the release that was cut over, To the one served again ("" when none could be).
	From string `json:"from"`
	To   string `json:"to,omitempty"`
	// Restored are the paths put back; Left the failed release's paths left in place.
	Restored   []string `json:"restored,omitempty"`
	Left       []string `json:"left,omitempty"`
	RolledBack bool     `json:"rolledBack"`
	Error      string   `json:"error,omitempty"`
}

// Complete says whether every part that was changed went back.
func (r *Rollback) Complete() bool {
	for _, s := range r.Services {
		if !s.RolledBack {
			return false
		}
	}
	return r.SPA == nil || r.SPA.RolledBack
}

// New starts a record now (UTC).
func New(environment, who, gitSHA string) *Record {
	return &Record{Environment: environment, Who: who, GitSHA: gitSHA, Started: time.Now().UTC(), Steps: []Step{}}
}

// StepFrom is the record's form of a pipeline outcome: a failed step's Detail is its error.
func StepFrom(o pipeline.Outcome) Step {
	st := Step{Name: o.Name, Status: o.Status, Duration: o.Duration, Detail: o.Detail}
	if !o.Started.IsZero() {
		st.Started = o.Started.UTC()
	}
	if o.Status == Failed && o.Error != "" {
		st.Detail = o.Error
	}
	return st
}

// SetSteps replaces the record's steps with the report's outcomes, in the report's order. Callers
// never map statuses themselves.
func (r *Record) SetSteps(rep *pipeline.Report) {
	r.Steps = []Step{}
	if rep == nil {
		return
	}
	for _, o := range rep.Steps {
		r.Add(StepFrom(o))
	}
}

// AddOutcome appends one pipeline outcome (a step run outside the DAG, such as writing the record).
func (r *Record) AddOutcome(o pipeline.Outcome) { r.Add(StepFrom(o)) }

// Add appends a step.
func (r *Record) Add(s Step) { r.Steps = append(r.Steps, s) }

// Ran records a step that succeeded; started is when it began, the duration runs until now.
func (r *Record) Ran(name string, started time.Time, detail string) {
	r.Add(Step{Name: name, Status: Ran, Started: started.UTC(), Duration: time.Since(started), Detail: detail})
}

// Fail records a step that failed with err.
func (r *Record) Fail(name string, started time.Time, err error) {
	reason := "failed"
	if err != nil {
		reason = err.Error()
	}
	r.Add(Step{Name: name, Status: Failed, Started: started.UTC(), Duration: time.Since(started), Detail: reason})
}

// Skip records a step that did not run, and why.
func (r *Record) Skip(name, reason string) { r.Add(Step{Name: name, Status: Skipped, Detail: reason}) }

// Redact replaces, in place, every known secret and credential-looking value in every text of the
// record (steps' details, roll-back reasons and errors, every other string field, present or added
// later) with r, and keeps r for Markdown. Save calls it with the context's Redactor: the record in
// memory is then exactly what was stored.
func (r *Record) Redact(red *redact.Redactor) {
	red.Scrub(r)
	r.redactor = red
}

// Finish stamps the end time.
func (r *Record) Finish() { r.Finished = time.Now().UTC() }

// Succeeded reports whether no step failed or was cancelled, and the run was not cancelled.
func (r *Record) Succeeded() bool {
	if r.Cancellation != nil {
		return false
	}
	for _, s := range r.Steps {
		if s.Status == Failed || s.Status == Cancelled {
			return false
		}
	}
	return true
}

// Cancelled reports whether the run was cancelled (a step was interrupted, or Cancellation is set).
func (r *Record) Cancelled() bool {
	if r.Cancellation != nil {
		return true
	}
	for _, s := range r.Steps {
		if s.Status == Cancelled {
			return true
		}
	}
	return false
}

// Outcome is "succeeded", "failed" or "cancelled".
func (r *Record) Outcome() string {
	switch {
	case r.Succeeded():
		return "succeeded"
	case r.Cancelled():
		return OutcomeCancelled
	}
	return "failed"
}

// Release outcomes (ReleaseOutcome), besides "succeeded" and "failed".
const (
	OutcomeRolledBack     = "rolled back"
	OutcomeRefusedByLock  = "refused by lock"
	OutcomeCancelled      = "cancelled"
	outcomeRollbackPrefix = "rollback to "
)

// ReleaseOutcome is what the run did to the environment, for a release history: "succeeded",
// "failed", "rolled back" (failed and returned to the previous release), "failed, roll-back
// incomplete", "refused by lock" (another deploy held the lock), or "rollback to <commit12>" for a
// release-level roll-back (" failed" or " refused by lock" appended when it did not complete).
// A cancelled run is "cancelled", "cancelled, rolled back" (its roll-back returned what had
// changed) or "cancelled, roll-back incomplete".
func (r *Record) ReleaseOutcome() string {
	if rt := r.RollbackTo; rt != nil {
		sha := rt.GitSHA
		if len(sha) > 12 {
			sha = sha[:12]
		}
		switch {
		case r.Succeeded():
			return outcomeRollbackPrefix + sha
		case r.refusedByLock():
			return outcomeRollbackPrefix + sha + " " + OutcomeRefusedByLock
		case r.Cancelled():
			return outcomeRollbackPrefix + sha + " " + OutcomeCancelled
		}
		return outcomeRollbackPrefix + sha + " failed"
	}
	if r.Succeeded() {
		return "succeeded"
	}
	if r.refusedByLock() {
		return OutcomeRefusedByLock
	}
	if r.Cancelled() {
		switch rb := r.Rollback; {
		case rb == nil || (len(rb.Services) == 0 && rb.SPA == nil):
			return OutcomeCancelled
		case rb.Complete():
			return OutcomeCancelled + ", " + OutcomeRolledBack
		}
		return OutcomeCancelled + ", roll-back incomplete"
	}
	if r.Rollback != nil {
		if r.Rollback.Complete() {
			return OutcomeRolledBack
		}
		return "failed, roll-back incomplete"
	}
	return "failed"
}

func (r *Record) refusedByLock() bool {
	for _, s := range r.Steps {
		if s.Name == "lock" && s.Status == Failed {
			return true
		}
	}
	return false
}

// Duration is Finished − Started (0 until Finish).
func (r *Record) Duration() time.Duration {
	if r.Finished.IsZero() {
		return 0
	}
	return r.Finished.Sub(r.Started)
}

// JSON is the record as stored: indented, with the outcome.
func (r *Record) JSON() ([]byte, error) {
	type alias Record
	return json.MarshalIndent(struct {
		*alias
		Outcome    string `json:"outcome"`
		DurationMs int64  `json:"durationMs"`
	}{(*alias)(r), r.Outcome(), r.Duration().Milliseconds()}, "", "  ")
}

// Parse reads a stored record.
func Parse(b []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("deploy record: %w", err)
	}
	return &r, nil
}

// Key is the record's object key: deploy/records/<UTC start, 20061102T150405Z>-<sha12>.json, so
// listing the prefix sorts records by time.
func (r *Record) Key() string {
	sha := r.GitSHA
	if len(sha) > 12 {
		sha = sha[:12]
	}
	if sha == "" {
		sha = "unknown"
	}
	key := r.Started.UTC().Format("20060102T150405Z") + "-" + sha
	if _, run, ok := strings.Cut(r.RunID, "-"); ok && run != "" {
		key += "-" + run // two runs of one commit within a second (a refused rival) keep both records
	}
	return "deploy/records/" + key + ".json"
}
