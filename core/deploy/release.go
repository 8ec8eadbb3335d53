package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"bookme-deploy/core/cdn"
	"bookme-deploy/core/planfile"
	"bookme-deploy/core/record"
	"bookme-deploy/core/release"
)

// stageSPA plans the release of the bundle to the client bucket — with the app's header rules
// (App.Headers) and keeping KeepReleases previous releases — and stages it: only the new
// hashed assets (and kept copies of the served release's entry files) are written, so what is
// served does not change; it runs beside the backend. Plan mode: the whole release plan (stage and
// cut-over lists, deletes) and the invalidation paths.
func (d *Deployment) stageSPA(ctx context.Context) (string, error) {
	plan, err := release.PlanRelease(ctx, release.Input{
		Client: d.ports.S3, Bucket: d.frontend.ClientBucket, Dir: d.bundle,
		ReleaseID: d.cfg.GitSHA + "-" + d.cfg.RunID, Progress: d.progress(ctx),
		Rules: d.cfg.App.Headers, KeepReleases: d.cfg.keepReleases(),
	})
	if err != nil {
		return "", err
	}
	if err := d.part(planfile.PartRelease, plan.Digest, BundleSummary(plan)); err != nil {
		return "", err
	}
	if d.planOnly {
		inv, err := cdn.PlanInvalidation(ctx, cdn.Input{Client: cloudfront.NewFromConfig(d.ports.AWS),
			DistributionID: d.frontend.DistributionID, ChangedPaths: plan.ChangedPaths, CallerReference: d.cfg.RunID})
		if err != nil {
			return "", err
		}
		d.addPlan("plan-release", plan.Text()+"\n"+inv.Text())
		return firstLine(plan.Text()), nil
	}
	res, err := release.Stage(ctx, plan)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.spaPlan = plan
	d.mu.Unlock()
	return fmt.Sprintf("staged %d hashed assets (%s); nothing served changed", res.Uploaded.Count, BundleSummary(plan)), nil
}

// cutoverSPA makes the staged release the one served, once the services run the new release: the
// other files, the HTML entry points (index.html last), the release manifest, then pruning.
func (d *Deployment) cutoverSPA(ctx context.Context) (string, error) {
	d.mu.Lock()
	plan := d.spaPlan
	d.mu.Unlock()
	if plan == nil {
		return "", fmt.Errorf("cutover-spa: the bundle was not staged (stage-spa did not run)")
	}
	d.mu.Lock()
	d.spaCut = &spaCut{previous: plan.Previous, releaseID: plan.ReleaseID, paths: plan.ChangedPaths}
	d.mu.Unlock()
	res, err := release.CutOver(ctx, plan)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.stats.ObjectsUploaded = res.Uploaded.Count + res.HeaderUpdated.Count
	d.stats.BytesUploaded = res.Uploaded.Bytes
	d.stats.ObjectsDeleted = res.Deleted.Count
	d.rec.Bundle = &record.Bundle{Files: res.Uploaded.Count + res.Unchanged.Count + res.HeaderUpdated.Count,
		Uploaded: res.Uploaded.Count, Deleted: res.Deleted.Count, ManifestSHA256: res.Digest}
	d.pendingPaths = res.ChangedPaths
	d.mu.Unlock()
	return firstLine(res.Text()), nil
}

// BundleSummary names a bundle by its digest's first 12 digits.
func BundleSummary(p *release.Plan) string {
	digest := strings.TrimPrefix(p.Digest, "sha256:")
	return "bundle " + digest[:min(12, len(digest))]
}
