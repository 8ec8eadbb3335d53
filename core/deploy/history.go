package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/record"
	"bookme-deploy/core/stack"
)

// A release is one unit (docs: "A release"): the image by digest, the task-definition revisions
// rendered for it, the env file they reference and the SPA bundle, named by commit. The deploy
// records (core/record, deploy/records/ in the config bucket) are the releases' history; History,
// ReleaseStatus and the release-level roll-back (PlanReleaseRollback) read them.

// RecordsPrefix is where the deploy records live in the config bucket.
const RecordsPrefix = "deploy/records/"

// Site names where an environment's releases live: the stacks' outputs the release verbs read.
type Site struct {
	Env string `json:"environment"`
	// StateBucket holds the deploy lock (and the records of runs refused before the stacks were read).
	StateBucket string `json:"stateBucket"`
	// ConfigBucket holds the deploy records and the env files.
	ConfigBucket string `json:"configBucket"`
	// Cluster, APIService and WorkerService are the ECS cluster and the release's services.
	Cluster       string `json:"cluster"`
	APIService    string `json:"apiService"`
	WorkerService string `json:"workerService"`
	// APIContainer is the application container (its env file is the release's); "" takes the first.
	APIContainer string `json:"apiContainer,omitempty"`
	// ClientBucket serves the SPA; DistributionID is the CloudFront distribution in front of it.
	ClientBucket   string `json:"clientBucket"`
	DistributionID string `json:"distributionId"`
	// Templates maps each task-definition family to OpenTofu's template revision; MigrateFamily is
	// the migration task's family (`roll` renders a release from them).
	Templates     map[string]string `json:"templates,omitempty"`
	MigrateFamily string            `json:"migrateFamily,omitempty"`
}

// SiteOf is an environment's site from the stacks' outputs (`tofu output -json`, core/stack).
func SiteOf(env, stateBucket string, base *stack.Base, front *stack.Frontend, back *stack.Backend) Site {
	s := Site{Env: env, StateBucket: stateBucket}
	if base != nil {
		s.ConfigBucket = base.ConfigBucket
	}
	if back != nil {
		s.Cluster, s.APIService, s.WorkerService, s.APIContainer = back.ClusterName, back.APIServiceName, back.WorkerServiceName, back.APIContainerName
		s.Templates, s.MigrateFamily = back.Templates(), back.MigrateTaskFamily
		if s.ConfigBucket == "" {
			s.ConfigBucket = back.ConfigBucket
		}
	}
	if front != nil {
		s.ClientBucket, s.DistributionID = front.ClientBucket, front.DistributionID
	}
	return s
}

// Services are the release's ECS services, API first.
func (s Site) Services() []string { return []string{s.APIService, s.WorkerService} }

// check refuses a site that lacks a name a verb needs.
func (s Site) check(verb string, lock bool) error {
	var missing []string
	for _, f := range []struct{ name, v string }{{"environment", s.Env}, {"config bucket", s.ConfigBucket},
		{"cluster", s.Cluster}, {"API service", s.APIService}, {"worker service", s.WorkerService},
		{"client bucket", s.ClientBucket}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if lock {
		if s.StateBucket == "" {
			missing = append(missing, "state bucket (the deploy lock)")
		}
		if s.DistributionID == "" {
			missing = append(missing, "CloudFront distribution")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: missing %s (the stacks' outputs)", verb, strings.Join(missing, ", "))
	}
	return nil
}

// Release is one deploy record seen as a release: what it deployed (or, for a release-level
// roll-back, served again) and how it ended.
type Release struct {
	// Key is the record's object key (deploy/records/<start>-<sha12>[-<run>].json); Bucket holds it.
	Key    string `json:"key"`
	Bucket string `json:"bucket"`
	// Environment, GitSHA and RunID name the run.
	Environment string `json:"environment"`
	GitSHA      string `json:"gitSha"`
	RunID       string `json:"runId,omitempty"`
	// Image is the image by digest (repo@sha256:…); ImageDigest its sha256:… part.
	Image       string `json:"image,omitempty"`
	ImageDigest string `json:"imageDigest,omitempty"`
	// TaskDefinitions maps a service (and "migration", "oneoff:<name>") to its revision ARN.
	TaskDefinitions map[string]string `json:"taskDefinitions,omitempty"`
	// EnvFileKey is the env file the revisions reference ("" in records older than the field).
	EnvFileKey string `json:"envFileKey,omitempty"`
	// SPA is the bundle the release served (nil: the SPA was not cut over by this run).
	SPA *SPARelease `json:"spa,omitempty"`
	Who string      `json:"who"`
	// RunURL links the CI run.
	RunURL   string    `json:"runUrl,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Outcome is record.ReleaseOutcome: succeeded, failed, rolled back, refused by lock,
	// rollback to <commit>.
	Outcome string `json:"outcome"`
	// OK is true when the run succeeded (every step that ran succeeded).
	OK bool `json:"ok"`
	// DryRun marks a rehearsal's record (emulated account).
	DryRun bool `json:"dryRun,omitempty"`
	// RollbackTo is set on a release-level roll-back's record.
	RollbackTo *record.RollbackTo `json:"rollbackTo,omitempty"`
	// Problem says why the record could not be read (nothing else is set then).
	Problem string `json:"problem,omitempty"`
}

// SPARelease is a release's SPA bundle: the digest the release manifest and the kept copies name it
// by, and its hashed entry script.
type SPARelease struct {
	Digest string `json:"digest"`
	Entry  string `json:"entry,omitempty"`
	Files  int    `json:"files,omitempty"`
}

// Succeeded says whether the run ended well (a deploy or a roll-back that succeeded).
func (r Release) Succeeded() bool {
	return r.Problem == "" && r.OK
}

// Complete says whether the record names every service's revision: a release that can be served
// again (a deploy restricted with --stages, a failed or refused one, may name none).
func (r Release) Complete(services []string) bool {
	for _, s := range services {
		if r.TaskDefinitions[s] == "" {
			return false
		}
	}
	return len(services) > 0
}

// Name is the record's short name: its key without the prefix and ".json".
func (r Release) Name() string { return strings.TrimSuffix(path.Base(r.Key), ".json") }

// ReleaseOf reads a stored record as a release.
func ReleaseOf(bucket, key string, rec *record.Record) Release {
	r := Release{Key: key, Bucket: bucket, Environment: rec.Environment, GitSHA: rec.GitSHA, RunID: rec.RunID,
		Image: rec.ImageRef, EnvFileKey: rec.EnvFileKey, Who: rec.Who, RunURL: rec.RunURL, Started: rec.Started,
		Finished: rec.Finished, Outcome: rec.ReleaseOutcome(), OK: rec.Succeeded(), DryRun: rec.DryRun, RollbackTo: rec.RollbackTo}
	if _, d, ok := strings.Cut(rec.ImageRef, "@"); ok {
		r.ImageDigest = d
	}
	if len(rec.TaskDefinitions) > 0 {
		r.TaskDefinitions = map[string]string{}
		for k, v := range rec.TaskDefinitions {
			r.TaskDefinitions[k] = v
		}
	}
	if b := rec.Bundle; b != nil && b.ManifestSHA256 != "" {
		r.SPA = &SPARelease{Digest: b.ManifestSHA256, Entry: b.Entry, Files: b.Files}
	}
	return r
}

// History reads an environment's deploy records from the config bucket, newest first, the last n
// (n ≤ 0: all). more are other buckets to read records from as well: the state bucket holds the
// records of runs refused before the stacks were read (a deploy the lock refused). A record that
// cannot be read is listed with its Problem.
func History(ctx context.Context, c *s3.Client, configBucket, env string, n int, more ...string) ([]Release, error) {
	if c == nil || strings.TrimSpace(configBucket+strings.Join(more, "")) == "" {
		return nil, errors.New("history: needs an S3 client and the config bucket (base stack output config_bucket)")
	}
	type ref struct{ bucket, key string }
	var refs []ref
	seen := map[string]bool{}
	for _, b := range append([]string{configBucket}, more...) {
		if b == "" || seen[b] {
			continue
		}
		seen[b] = true
		pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String(RecordsPrefix)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("history: list s3://%s/%s: %w", b, RecordsPrefix, err)
			}
			for _, o := range page.Contents {
				if k := aws.ToString(o.Key); strings.HasSuffix(k, ".json") {
					refs = append(refs, ref{b, k})
				}
			}
		}
	}
	// The key starts with the UTC start time: sorting the base names sorts by time.
	sort.SliceStable(refs, func(i, j int) bool { return path.Base(refs[i].key) > path.Base(refs[j].key) })
	var out []Release
	for _, rf := range refs {
		if n > 0 && len(out) >= n {
			break
		}
		body, err := readRecord(ctx, c, rf.bucket, rf.key)
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		rec, err := record.Parse(body)
		if err != nil {
			out = append(out, Release{Key: rf.key, Bucket: rf.bucket, Outcome: "unreadable", Problem: err.Error()})
			continue
		}
		if env != "" && rec.Environment != env {
			continue
		}
		out = append(out, ReleaseOf(rf.bucket, rf.key, rec))
	}
	return out, nil
}

// readRecord reads one record (no response checksum asked for: records are small, SSE-S3 objects).
func readRecord(ctx context.Context, c *s3.Client, bucket, key string) ([]byte, error) {
	obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, func(o *s3.Options) {
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	defer obj.Body.Close()
	return io.ReadAll(io.LimitReader(obj.Body, 16<<20))
}

// HistoryJSON is the history as indented JSON.
func HistoryJSON(rs []Release) ([]byte, error) {
	if rs == nil {
		rs = []Release{}
	}
	return json.MarshalIndent(rs, "", "  ")
}

// HistoryText is the history as a table, newest first: when, commit, outcome, image digest,
// task-definition revisions, env file, SPA bundle, who.
func HistoryText(rs []Release) string {
	if len(rs) == 0 {
		return "no deploy records\n"
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STARTED (UTC)\tCOMMIT\tOUTCOME\tIMAGE\tREVISIONS\tENV FILE\tSPA BUNDLE\tWHO")
	for _, r := range rs {
		if r.Problem != "" {
			fmt.Fprintf(w, "%s\t\tunreadable\t\t\t\t\t%s\n", r.Name(), r.Problem)
			continue
		}
		spa := "-"
		if r.SPA != nil {
			spa = shortDigest(r.SPA.Digest)
			if r.SPA.Entry != "" {
				spa += " " + r.SPA.Entry
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Started.UTC().Format("2006-01-02 15:04:05"), orDash(Short(r.GitSHA)),
			r.Outcome, orDash(shortDigest(r.ImageDigest)), orDash(revisionList(r.TaskDefinitions)), orDash(r.EnvFileKey), spa, orDash(r.Who))
	}
	w.Flush()
	return b.String()
}

// Text is the release in full, one fact a line.
func (r Release) Text() string {
	var b strings.Builder
	if r.Problem != "" {
		fmt.Fprintf(&b, "record %s: unreadable: %s\n", r.Key, r.Problem)
		return b.String()
	}
	fmt.Fprintf(&b, "release %s (commit %s): %s\n", r.Name(), orDash(r.GitSHA), r.Outcome)
	fmt.Fprintf(&b, "  record        s3://%s/%s\n", r.Bucket, r.Key)
	fmt.Fprintf(&b, "  started       %s by %s", r.Started.UTC().Format(time.RFC3339), orDash(r.Who))
	if r.RunURL != "" {
		fmt.Fprintf(&b, " (%s)", r.RunURL)
	}
	b.WriteString("\n")
	if r.RollbackTo != nil {
		fmt.Fprintf(&b, "  rolled back   to commit %s (record %s)", Short(r.RollbackTo.GitSHA), r.RollbackTo.Record)
		if r.RollbackTo.FromGitSHA != "" {
			fmt.Fprintf(&b, " from commit %s", Short(r.RollbackTo.FromGitSHA))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "  image         %s\n", orDash(r.Image))
	for _, k := range sortedKeys(r.TaskDefinitions) {
		fmt.Fprintf(&b, "  revision      %s: %s\n", k, r.TaskDefinitions[k])
	}
	fmt.Fprintf(&b, "  env file      %s\n", orDash(r.EnvFileKey))
	if r.SPA != nil {
		fmt.Fprintf(&b, "  SPA bundle    %s (entry %s)\n", r.SPA.Digest, orDash(r.SPA.Entry))
	} else {
		b.WriteString("  SPA bundle    - (not cut over by this run)\n")
	}
	return b.String()
}

// revisionList is "family:rev" of each service revision, sorted ("migration" and one-offs aside).
func revisionList(tds map[string]string) string {
	var out []string
	for _, k := range sortedKeys(tds) {
		if k == "migration" || strings.HasPrefix(k, "oneoff:") {
			continue
		}
		out = append(out, shortRevision(tds[k]))
	}
	return strings.Join(out, ",")
}

// shortRevision is family:revision of a task-definition ARN.
func shortRevision(arn string) string {
	if i := strings.LastIndex(arn, "task-definition/"); i >= 0 {
		return arn[i+len("task-definition/"):]
	}
	return arn
}

func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	return d[:min(12, len(d))]
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
