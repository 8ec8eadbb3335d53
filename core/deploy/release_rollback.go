package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/cdn"
	"bookme-deploy/core/lock"
	"bookme-deploy/core/record"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
)

// RollbackOptions are who rolls back and how long the waits may take.
type RollbackOptions struct {
	// Who and RunURL go into the lock and the record.
	Who, RunURL string
	// Timeouts of the lock, the roll and the invalidation; zero values take the defaults.
	Timeouts Timeouts
	// Lock, when set, is the deploy lock of a dead run that this roll-back takes back as its own (by
	// its ID) instead of waiting for it to lapse: `recover` cleaning up after its own cancelled run.
	Lock *lock.Info
	// Recovered, when set, goes into the record: the dead run this roll-back cleans up after.
	Recovered *record.Recovered
}

// ReleaseRollbackPlan is what a release-level roll-back will do: serve a recorded release again —
// the services on the revisions its record names (image and env file come with them, by
// reference), the SPA's entry points from the release's kept copies — and what it leaves alone.
type ReleaseRollbackPlan struct {
	Site Site `json:"site"`
	// Target is the release served again; Current the one the services run now (nil: the live
	// state matches no record).
	Target  Release  `json:"target"`
	Current *Release `json:"current,omitempty"`
	// Skipped are the records passed over for the default target, each with why.
	Skipped []string `json:"skipped,omitempty"`
	// Services moves the services that do not already run the target's revisions (nil: none).
	Services *rollout.RollbackPlan `json:"services,omitempty"`
	// SPA restores the target's entry points (nil: SPANote says why nothing is restored).
	SPA     *release.RestorePlan `json:"spa,omitempty"`
	SPANote string               `json:"spaNote,omitempty"`
	// Invalidation are the CDN paths invalidated after the restore.
	Invalidation []string `json:"invalidation,omitempty"`
	// NotRolledBack are the parts left as they are, each with why.
	NotRolledBack []string `json:"notRolledBack"`
	Warnings      []string `json:"warnings,omitempty"`

	ports Ports
	opts  RollbackOptions
}

// releaseRollbackNotRolledBack are the parts of a release a roll-back never changes.
var releaseRollbackNotRolledBack = []string{
	"database migrations: never reversed (the release served again runs against the migrated schema)",
	"OpenTofu changes: not reverted (the stacks are not part of a release)",
	"the image and env file: not copied (the release's revisions name their own, by digest and key)",
}

// PlanReleaseRollback reads the records and the live state and plans serving a release again: to
// names it by commit prefix or record key; "" takes the previous successful release (pickTarget).
// It refuses when a revision of the target is INACTIVE or gone, or when its SPA kept copies are
// gone. It changes nothing: its Text is the --dry-run output.
func PlanReleaseRollback(ctx context.Context, p Ports, s Site, to string, o RollbackOptions) (*ReleaseRollbackPlan, error) {
	if err := s.check("rollback", true); err != nil {
		return nil, err
	}
	if p.S3 == nil {
		return nil, errors.New("rollback: no S3 client")
	}
	o.Timeouts = o.Timeouts.withDefaults()
	out := p.Out
	if out == nil {
		out = io.Discard
	}
	rs, err := History(ctx, p.S3, s.ConfigBucket, s.Env, 0)
	if err != nil {
		return nil, fmt.Errorf("rollback: %w", err)
	}
	eng := rollout.New(p.AWS, out, p.RolloutOptions...)
	st, running, err := liveStatus(ctx, eng, p, s, rs)
	if err != nil {
		return nil, fmt.Errorf("rollback: %w", err)
	}
	ti, skipped, err := pickTarget(rs, s.Services(), running, to)
	if err != nil {
		return nil, fmt.Errorf("rollback: %w", err)
	}
	plan := &ReleaseRollbackPlan{Site: s, Target: rs[ti], Current: st.Release, Skipped: skipped, ports: p, opts: o,
		NotRolledBack: append([]string(nil), releaseRollbackNotRolledBack...)}
	plan.Warnings = append(plan.Warnings, st.Notes...)
	target := plan.Target

	// The services: every revision must still be ACTIVE (ECS runs no INACTIVE revision).
	live := map[string]string{}
	for _, ss := range st.Services {
		live[ss.Service] = ss.TaskDefinition
	}
	var move []string
	to_ := map[string]string{}
	var gone []string
	for _, svc := range s.Services() {
		arn := target.TaskDefinitions[svc]
		td, err := eng.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		switch {
		case err != nil:
			gone = append(gone, fmt.Sprintf("%s %s cannot be read (deleted?): %v", svc, shortRevision(arn), err))
			continue
		case td.TaskDefinition.Status != ecstypes.TaskDefinitionStatusActive:
			gone = append(gone, fmt.Sprintf("%s %s is %s (deregistered)", svc, shortRevision(arn), td.TaskDefinition.Status))
			continue
		}
		if live[svc] != arn {
			move = append(move, svc)
			to_[svc] = arn
		}
	}
	if len(gone) > 0 {
		return nil, fmt.Errorf("rollback: release %s (commit %s) cannot be served again: %s. Deploy its commit instead",
			target.Name(), Short(target.GitSHA), strings.Join(gone, "; "))
	}
	if len(move) > 0 {
		plan.Services, err = eng.PlanRollback(ctx, rollout.RollbackInput{Cluster: s.Cluster, Services: move, To: to_, Settings: o.Timeouts.Rollout})
		if err != nil {
			return nil, fmt.Errorf("rollback: %w", err)
		}
	}

	// The SPA: the manifest entry of the target's bundle, restored from its kept copies.
	switch {
	case target.SPA == nil:
		plan.SPANote = "the record names no SPA bundle (this run did not cut the SPA over): the SPA is left as it is"
		plan.Warnings = append(plan.Warnings, plan.SPANote)
	default:
		hist, err := release.History(ctx, p.S3, s.ClientBucket, "")
		if err != nil {
			return nil, fmt.Errorf("rollback: %w", err)
		}
		seq := -1
		for _, h := range hist { // oldest first: the newest entry of the digest wins
			if h.Digest == target.SPA.Digest {
				seq = h.Seq
			}
		}
		if seq < 0 {
			return nil, fmt.Errorf("rollback: release %s (commit %s) cannot be served again: its SPA bundle %s is no longer retained in the release manifest of s3://%s (pruned): deploy its commit instead",
				target.Name(), Short(target.GitSHA), shortDigest(target.SPA.Digest), s.ClientBucket)
		}
		plan.SPA, err = release.PlanRestore(ctx, release.RestoreInput{Client: p.S3, Bucket: s.ClientBucket, Seq: seq, Progress: out})
		if err != nil {
			return nil, fmt.Errorf("rollback: release %s (commit %s) cannot be served again: %w", target.Name(), Short(target.GitSHA), err)
		}
		plan.Invalidation = plan.SPA.ChangedPaths
		if len(plan.SPA.Changes) == 0 && !plan.SPA.WriteManifest {
			plan.SPANote = "the SPA already serves the release's bundle"
		}
	}
	return plan, nil
}

// NoOp says whether the roll-back would change nothing (the release is served already).
func (p *ReleaseRollbackPlan) NoOp() bool {
	return p.Services == nil && (p.SPA == nil || (len(p.SPA.Changes) == 0 && !p.SPA.WriteManifest))
}

// Text is what the roll-back will do (the --dry-run output).
func (p *ReleaseRollbackPlan) Text() string {
	var b strings.Builder
	t := p.Target
	fmt.Fprintf(&b, "rollback %s to release %s (commit %s, %s %s by %s)\n", p.Site.Env, t.Name(), Short(t.GitSHA), t.Outcome,
		t.Started.UTC().Format("2006-01-02 15:04:05Z"), orDash(t.Who))
	if c := p.Current; c != nil {
		fmt.Fprintf(&b, "  running now: release %s (commit %s)\n", c.Name(), Short(c.GitSHA))
	} else {
		b.WriteString("  running now: a live state no deploy record names\n")
	}
	for _, s := range p.Skipped {
		fmt.Fprintf(&b, "  passed over: %s\n", s)
	}
	fmt.Fprintf(&b, "  image %s, env file %s\n", orDash(t.Image), orDash(t.EnvFileKey))
	fmt.Fprintf(&b, "1. take the deploy lock s3://%s/%s\n", p.Site.StateBucket, LockKey(p.Site.Env))
	switch {
	case p.SPA != nil && p.SPANote == "":
		fmt.Fprintf(&b, "2. SPA: %s", indentAfterFirst(p.SPA.Text(), "   "))
	case p.SPANote != "":
		fmt.Fprintf(&b, "2. SPA: %s\n", p.SPANote)
	}
	if len(p.Invalidation) > 0 {
		fmt.Fprintf(&b, "3. invalidate on CloudFront %s: %s\n", p.Site.DistributionID, strings.Join(p.Invalidation, " "))
	} else {
		b.WriteString("3. no CDN invalidation (no served path changes)\n")
	}
	if p.Services != nil {
		fmt.Fprintf(&b, "4. services: %s", indentAfterFirst(p.Services.Text(), "   "))
	} else {
		b.WriteString("4. services: already on the release's revisions\n")
	}
	fmt.Fprintf(&b, "5. write a deploy record (rollback to %s) to s3://%s/%s, release the lock\n", Short(t.GitSHA), p.Site.ConfigBucket, RecordsPrefix)
	for _, n := range p.NotRolledBack {
		fmt.Fprintf(&b, "  not rolled back: %s\n", n)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "  ! %s\n", w)
	}
	return b.String()
}

func indentAfterFirst(s, indent string) string {
	s = strings.TrimRight(s, "\n")
	return strings.ReplaceAll(s, "\n", "\n"+indent) + "\n"
}

// ApplyReleaseRollback takes the deploy lock, plans again under it (the same target, pinned by its
// record), restores the SPA's entry points, invalidates the restored paths, rolls the services to
// the release's revisions and waits, writes a deploy record (outcome "rollback to <commit>") and
// releases the lock. Every part is tried even when another failed; the record says what happened.
// It returns the record (also on failure, once written) and the first problem.
func ApplyReleaseRollback(ctx context.Context, planned *ReleaseRollbackPlan) (*record.Record, error) {
	if planned == nil || planned.ports.S3 == nil {
		return nil, errors.New("rollback: ApplyReleaseRollback needs a plan made by PlanReleaseRollback")
	}
	p, s, o := planned.ports, planned.Site, planned.opts
	out := p.Out
	if out == nil {
		out = io.Discard
	}
	t := planned.Target
	rec := record.New(s.Env, Who(o.Who), t.GitSHA)
	rec.RunURL, rec.RunID = o.RunURL, NewRunID()
	rec.ImageRef, rec.EnvFileKey = t.Image, t.EnvFileKey
	rec.TaskDefinitions = map[string]string{}
	for k, v := range t.TaskDefinitions {
		rec.TaskDefinitions[k] = v
	}
	if t.SPA != nil {
		rec.Bundle = &record.Bundle{ManifestSHA256: t.SPA.Digest, Entry: t.SPA.Entry, Files: t.SPA.Files}
	}
	rec.RollbackTo = &record.RollbackTo{Record: t.Key, GitSHA: t.GitSHA, NotRolledBack: planned.NotRolledBack}
	if c := planned.Current; c != nil {
		rec.RollbackTo.FromRecord, rec.RollbackTo.FromGitSHA = c.Key, c.GitSHA
	}
	save := func() error {
		rec.Finish()
		key, err := record.Save(context.WithoutCancel(ctx), p.S3, s.ConfigBucket, rec)
		if err == nil {
			fmt.Fprintf(out, "record s3://%s/%s\n", s.ConfigBucket, key)
		}
		return err
	}

	t0 := time.Now()
	opts := LockOptions(s.Env, s.StateBucket, o.Timeouts)
	opts.Progress = out
	rec.Recovered = o.Recovered
	info := lock.Info{Holder: Who(o.Who), GitSHA: t.GitSHA, RunURL: o.RunURL}
	if o.Lock != nil {
		info = *o.Lock // the same ID: Acquire judges the lock ours
	}
	held, err := lock.Acquire(ctx, p.S3, opts, info)
	if err != nil {
		rec.Fail("lock", t0, err)
		for _, st := range []string{"plan", "restore-spa", "invalidate", "roll-services", "unlock"} {
			rec.Skip(st, "the lock was not taken")
		}
		return rec, errors.Join(fmt.Errorf("rollback: %w", err), save())
	}
	rec.Ran("lock", t0, "s3://"+s.StateBucket+"/"+LockKey(s.Env))
	var problems []string
	unlock := func() {
		t0 := time.Now()
		if err := held.Release(context.WithoutCancel(ctx)); err != nil {
			rec.Fail("unlock", t0, err)
			problems = append(problems, "unlock: "+err.Error())
			return
		}
		rec.Ran("unlock", t0, "released")
	}

	// Plan again under the lock: another deploy may have changed what runs since the dry-run.
	t0 = time.Now()
	plan, err := PlanReleaseRollback(ctx, p, s, t.Key, o)
	if err != nil {
		rec.Fail("plan", t0, err)
		for _, st := range []string{"restore-spa", "invalidate", "roll-services"} {
			rec.Skip(st, "the plan failed")
		}
		unlock()
		return rec, errors.Join(err, save())
	}
	rec.Ran("plan", t0, fmt.Sprintf("release %s (commit %s)", t.Name(), Short(t.GitSHA)))
	rec.RollbackTo.FromRecord, rec.RollbackTo.FromGitSHA = "", ""
	if c := plan.Current; c != nil {
		rec.RollbackTo.FromRecord, rec.RollbackTo.FromGitSHA = c.Key, c.GitSHA
	}
	fmt.Fprint(out, plan.Text())

	// SPA: the release's entry points from their kept copies.
	var paths []string
	t0 = time.Now()
	switch {
	case plan.SPA == nil:
		rec.Skip("restore-spa", plan.SPANote)
	case len(plan.SPA.Changes) == 0 && !plan.SPA.WriteManifest:
		rec.Skip("restore-spa", plan.SPANote)
	default:
		res, err := release.Restore(ctx, plan.SPA)
		if err != nil {
			rec.Fail("restore-spa", t0, err)
			problems = append(problems, "SPA: "+err.Error())
			paths = plan.SPA.ChangedPaths // some may be back already
		} else {
			rec.Ran("restore-spa", t0, strings.TrimSpace(res.Text()))
			paths = res.ChangedPaths
		}
	}

	// CDN: create the invalidation now, wait for it after the services.
	cf := cloudfront.NewFromConfig(p.AWS)
	var invID string
	var invPaths []string
	t0 = time.Now()
	invStart := t0
	if len(paths) == 0 {
		rec.Skip("invalidate", "no served path changed")
	} else {
		ip, err := cdn.PlanInvalidation(ctx, cdn.Input{Client: cf, DistributionID: s.DistributionID, ChangedPaths: paths,
			CallerReference: t.GitSHA + "-" + rec.RunID + "-rollback", Progress: out})
		var res *cdn.Result
		if err == nil {
			res, err = cdn.Apply(ctx, ip)
		}
		if err != nil {
			rec.Fail("invalidate", t0, err)
			problems = append(problems, "CDN: "+err.Error())
		} else {
			invID, invPaths = res.InvalidationID, ip.Paths
			if invID == "" {
				rec.Skip("invalidate", "nothing to invalidate")
			}
		}
	}

	// Services: to the release's revisions, and wait.
	t0 = time.Now()
	if plan.Services == nil {
		rec.Skip("roll-services", "the services already run the release's revisions")
	} else {
		eng := rollout.New(p.AWS, out, p.RolloutOptions...)
		res, err := eng.Rollback(ctx, plan.Services)
		if err != nil {
			rec.Fail("roll-services", t0, err)
			problems = append(problems, "services: "+err.Error())
		} else {
			var moved []string
			for _, sv := range plan.Services.Services {
				moved = append(moved, sv.Name+" → "+shortRevision(sv.To))
			}
			sort.Strings(moved)
			detail := strings.Join(moved, ", ")
			if res != nil && res.Outcome != "" {
				detail += " (" + res.Outcome + ")"
			}
			rec.Ran("roll-services", t0, detail)
		}
	}

	if invID != "" {
		status, err := cdn.Wait(ctx, cdn.WaitInput{Client: cf, DistributionID: s.DistributionID, InvalidationID: invID,
			Timeout: o.Timeouts.Invalidation, Interval: o.Timeouts.InvalidationPoll, Progress: out})
		if err != nil {
			rec.Fail("invalidate", invStart, err)
			problems = append(problems, "CDN: "+err.Error())
		} else {
			rec.Ran("invalidate", invStart, fmt.Sprintf("invalidation %s %s (%s)", invID, status, strings.Join(invPaths, " ")))
		}
	}
	unlock()
	var err2 error
	if len(problems) > 0 {
		err2 = fmt.Errorf("rollback to %s incomplete: %s", Short(t.GitSHA), strings.Join(problems, "; "))
	}
	return rec, errors.Join(err2, save())
}

// RollbackRelease is `rollback`: plan the release-level roll-back (to: commit prefix or record key,
// "" the previous successful release); dryRun returns the plan's text, otherwise it applies it and
// returns the plan and the record's Markdown.
func RollbackRelease(ctx context.Context, p Ports, s Site, to string, o RollbackOptions, dryRun bool) (string, error) {
	plan, err := PlanReleaseRollback(ctx, p, s, to, o)
	if err != nil {
		return "", err
	}
	if dryRun {
		return plan.Text(), nil
	}
	rec, err := ApplyReleaseRollback(ctx, plan)
	text := plan.Text()
	if rec != nil {
		text += "\n" + rec.Markdown()
	}
	if err != nil {
		return "", fmt.Errorf("%w\n\n%s", err, text)
	}
	return text, nil
}
