package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/cdn"
	"bookme-deploy/core/deployflow"
	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/record"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
)

// spaCut is what the cut-over replaced: the release a roll-back serves again.
type spaCut struct {
	// previous is the release served before (nil: the first managed release, or the same bundle).
	previous  *release.ReleaseRef
	releaseID string
	// paths are the non-hashed paths the cut-over changed (none: it changed nothing served).
	paths []string
}

// migrateAndRoll is the rollout stage, noting which revision each service ran before it moved:
// the roll-back of a release that fails later returns them there.
func (d *Deployment) migrateAndRoll(ctx context.Context) (string, error) {
	if d.planOnly {
		return d.rolloutStage(ctx)
	}
	before, err := d.serviceRevisions(ctx)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.rollingFrom = before
	d.mu.Unlock()
	detail, err := d.rolloutStage(ctx)
	if err != nil {
		return detail, err
	}
	after, err := d.serviceRevisions(ctx)
	if err != nil {
		return "", fmt.Errorf("rolled, but the services' revisions could not be read back for a roll-back: %w", err)
	}
	moved, first := d.movedFrom(ctx, before, after)
	d.mu.Lock()
	d.rolledFrom, d.firstRelease, d.rollingFrom = moved, first, nil
	d.mu.Unlock()
	d.recordRelease(ctx, after)
	return detail, nil
}

// movedFrom splits the services whose revision changed between before and after into those a
// roll-back returns to their revision before, and those whose revision before was OpenTofu's
// template (their first release: nothing a roll-back could return to).
func (d *Deployment) movedFrom(ctx context.Context, before, after map[string]string) (moved, first map[string]string) {
	moved, first = map[string]string{}, map[string]string{}
	for svc, td := range before {
		if after[svc] == td {
			continue
		}
		if d.isTemplate(ctx, td) {
			first[svc] = td // OpenTofu's placeholder: nothing a roll-back could return to
		} else {
			moved[svc] = td
		}
	}
	return moved, first
}

// interruptedRoll is, after a deploy cancelled during migrate-and-roll, what the interrupted roll
// moved: the services whose revision differs now (read with the roll-back's own ctx) from the one
// they ran before the stage. The rollout stops watching at the cancellation and does not roll back
// itself; this is where those services are returned.
func (d *Deployment) interruptedRoll(ctx context.Context) (moved, first map[string]string, err error) {
	d.mu.Lock()
	before := d.rollingFrom
	d.mu.Unlock()
	if before == nil {
		return nil, nil, nil
	}
	now, err := d.serviceRevisions(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("the services' revisions could not be read after the cancellation: %w", err)
	}
	moved, first = d.movedFrom(ctx, before, now)
	return moved, first, nil
}

// isTemplate reports whether a revision is one of OpenTofu's templates (placeholder image). A
// revision whose tags cannot be read counts as a release: the roll-back then tries it.
func (d *Deployment) isTemplate(ctx context.Context, arn string) bool {
	eng := rollout.New(d.ports.AWS, d.progress(ctx), d.ports.RolloutOptions...)
	out, err := eng.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn),
		Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	return err == nil && rollout.IsTemplate(out.Tags)
}

// recordRelease notes in the record the revisions the services run once rolled (also when the roll
// was a no-op: the record then still names the release) and the env file they reference.
func (d *Deployment) recordRelease(ctx context.Context, running map[string]string) {
	b := d.backend
	envFile := ""
	if arn := running[b.APIServiceName]; arn != "" {
		eng := rollout.New(d.ports.AWS, d.progress(ctx), d.ports.RolloutOptions...)
		out, err := eng.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		if err != nil {
			d.logf(ctx, "record: the env file of %s could not be read: %v", shortRevision(arn), err)
		} else {
			envFile = EnvFileOf(out.TaskDefinition, b.APIContainerName, b.ConfigBucket)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rec == nil {
		return
	}
	if d.rec.TaskDefinitions == nil {
		d.rec.TaskDefinitions = map[string]string{}
	}
	for svc, td := range running {
		if d.rec.TaskDefinitions[svc] == "" {
			d.rec.TaskDefinitions[svc] = td
		}
	}
	if envFile != "" {
		d.rec.EnvFileKey = envFile
	}
}

// serviceRevisions are the task definitions the API and worker services run now.
func (d *Deployment) serviceRevisions(ctx context.Context) (map[string]string, error) {
	b := d.backend
	eng := rollout.New(d.ports.AWS, d.progress(ctx), d.ports.RolloutOptions...)
	out, err := eng.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(b.ClusterName),
		Services: []string{b.APIServiceName, b.WorkerServiceName}})
	if err != nil {
		return nil, fmt.Errorf("read the services of %s: %w", b.ClusterName, err)
	}
	m := map[string]string{}
	for _, s := range out.Services {
		m[aws.ToString(s.ServiceName)] = aws.ToString(s.TaskDefinition)
	}
	return m, nil
}

// rollBack returns a release that failed after it changed what is served to the previous release
// (core/deployflow runs it, as a finally step, only then): the SPA's entry files from the previous
// release's kept copies, the CDN paths that changed, then the services to the revisions they ran
// before this deploy. Every part is tried even when another failed; the record says exactly what
// went back and what did not. Migrations are never reversed.
func (d *Deployment) rollBack(ctx context.Context) (string, error) {
	d.mu.Lock()
	cut, from, first := d.spaCut, d.rolledFrom, d.firstRelease
	d.mu.Unlock()
	rb := &record.Rollback{Reason: deployflow.Failure(ctx), NotRolledBack: []string{
		"database migrations: never reversed (the previous release runs against the migrated schema)",
		"the image and env file this deploy pushed: kept (the previous revisions name their own)",
		"OpenTofu changes: not reverted (the stacks are not part of a release)",
	}}
	var done, problems []string
	if len(from) == 0 && len(first) == 0 {
		// Cancelled during migrate-and-roll: return what the interrupted roll moved.
		var err error
		if from, first, err = d.interruptedRoll(ctx); err != nil {
			problems = append(problems, "services: "+err.Error())
		}
		if err == nil && len(from) == 0 && len(first) == 0 && cut == nil {
			return "", pipeline.Skip("cancelled before the release changed what is served (no service moved, no cut-over)")
		}
	}
	if cut != nil && cut.previous == nil && len(cut.paths) > 0 {
		rb.SPA = &record.SPARollback{From: cut.releaseID}
		rb.NotRolledBack = append(rb.NotRolledBack, "SPA: stays on this release, the first managed one (no previous release to serve)")
	} else if cut != nil {
		sp, paths, err := d.restoreSPA(ctx, cut)
		rb.SPA = sp
		if err != nil {
			problems = append(problems, "SPA: "+err.Error())
		} else if sp.To != "" {
			done = append(done, "SPA → release "+sp.To)
		}
		if len(paths) > 0 {
			inv, err := d.invalidatePaths(ctx, paths, "rollback")
			if err != nil {
				problems = append(problems, "CDN: "+err.Error())
				rb.Invalidation = "failed: " + err.Error()
			} else {
				rb.Invalidation = inv
				done = append(done, inv)
			}
		}
	}
	if len(from) > 0 {
		svcs, err := d.rollServicesBack(ctx, from)
		rb.Services = svcs
		if err != nil {
			problems = append(problems, "services: "+err.Error())
		} else {
			var names []string
			for _, s := range svcs {
				names = append(names, s.Service)
			}
			done = append(done, "services "+strings.Join(names, ", ")+" → their previous revisions")
		}
	} else if len(first) == 0 {
		rb.NotRolledBack = append(rb.NotRolledBack, "services: this deploy did not move them")
	}
	for _, svc := range sortedKeys(first) {
		rb.NotRolledBack = append(rb.NotRolledBack, fmt.Sprintf("service %s: stays on this release, its first: before it ran "+
			"OpenTofu's template %s, whose placeholder image cannot run", svc, shortRevision(first[svc])))
	}
	d.mu.Lock()
	if d.rec != nil {
		d.rec.Rollback = rb
	}
	d.mu.Unlock()
	if len(problems) > 0 {
		return "", fmt.Errorf("roll-back incomplete: %s (rolled back: %s)", strings.Join(problems, "; "), orNone(done))
	}
	return "rolled back to the previous release: " + orNone(done) + "; migrations are not reversed", nil
}

// restoreSPA serves the previous release's entry files again; it returns the paths that changed.
func (d *Deployment) restoreSPA(ctx context.Context, cut *spaCut) (*record.SPARollback, []string, error) {
	sp := &record.SPARollback{From: cut.releaseID}
	if cut.previous == nil { // and the cut-over changed nothing served
		sp.RolledBack = true
		return sp, nil, nil
	}
	plan, err := release.PlanRestore(ctx, release.RestoreInput{Client: d.ports.S3, Bucket: d.frontend.ClientBucket,
		Seq: cut.previous.Seq, Progress: d.progress(ctx)})
	if err == nil {
		d.logf(ctx, "%s", trimNL(plan.Text()))
		var res *release.RestoreResult
		if res, err = release.Restore(ctx, plan); err == nil {
			sp.To, sp.Restored, sp.Left, sp.RolledBack = cut.previous.ID, res.ChangedPaths, res.Left, true
			return sp, res.ChangedPaths, nil
		}
		// Some files may be back already: invalidate what the plan meant to change.
		sp.Error = err.Error()
		return sp, plan.ChangedPaths, err
	}
	sp.Error = err.Error()
	return sp, nil, err
}

// invalidatePaths invalidates paths and waits for CloudFront; it returns one line ("" when nothing
// needed invalidating). why tells the caller reference of a second invalidation in one run apart.
func (d *Deployment) invalidatePaths(ctx context.Context, paths []string, why string) (string, error) {
	cf := cloudfront.NewFromConfig(d.ports.AWS)
	ref := d.cfg.GitSHA + "-" + d.cfg.RunID
	if why != "" {
		ref += "-" + why
	}
	plan, err := cdn.PlanInvalidation(ctx, cdn.Input{Client: cf, DistributionID: d.frontend.DistributionID,
		ChangedPaths: paths, CallerReference: ref, Progress: d.progress(ctx)})
	if err != nil {
		return "", err
	}
	res, err := cdn.Apply(ctx, plan)
	if err != nil {
		return "", err
	}
	if res.InvalidationID == "" {
		return "", nil
	}
	d.count(func(s *Stats) { s.Invalidations++ })
	status, err := cdn.Wait(ctx, cdn.WaitInput{Client: cf, DistributionID: d.frontend.DistributionID,
		InvalidationID: res.InvalidationID, Timeout: d.timeouts.Invalidation, Interval: d.timeouts.InvalidationPoll, Progress: d.progress(ctx)})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("invalidation %s %s (%s)", res.InvalidationID, status, strings.Join(plan.Paths, " ")), nil
}

// rollServicesBack returns each service to the revision it ran before this deploy, and waits.
func (d *Deployment) rollServicesBack(ctx context.Context, from map[string]string) ([]record.ServiceRollback, error) {
	var names []string
	for svc := range from {
		names = append(names, svc)
	}
	sort.Strings(names)
	out := make([]record.ServiceRollback, 0, len(names))
	for _, svc := range names {
		out = append(out, record.ServiceRollback{Service: svc, To: from[svc]})
	}
	fail := func(err error) ([]record.ServiceRollback, error) {
		for i := range out {
			if !out[i].RolledBack {
				out[i].Error = err.Error()
			}
		}
		return out, err
	}
	eng := rollout.New(d.ports.AWS, d.progress(ctx), d.ports.RolloutOptions...)
	plan, err := eng.PlanRollback(ctx, rollout.RollbackInput{Cluster: d.backend.ClusterName, Services: names, To: from,
		Settings: d.timeouts.Rollout})
	if err != nil {
		return fail(err)
	}
	for i, s := range plan.Services {
		out[i].From = s.From
	}
	d.logf(ctx, "%s", trimNL(plan.Text()))
	res, err := eng.Rollback(ctx, plan)
	if res != nil {
		for _, s := range res.Services {
			for i := range out {
				if out[i].Service == s.Name && s.State == "COMPLETED" {
					out[i].RolledBack = true
				}
			}
		}
	}
	if err != nil {
		return fail(err)
	}
	for i := range out {
		out[i].RolledBack = true
	}
	return out, nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, "; ")
}
