package deploy

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"bookme-deploy/core/cdn"
	"bookme-deploy/core/planfile"
	"bookme-deploy/core/record"
	"bookme-deploy/core/release"
)

// releaseSPA uploads the bundle to the client bucket (hashed assets first, HTML last, stale files
// pruned after the kept releases). Plan mode: the upload and delete lists and the invalidation paths.
func (d *Deployment) releaseSPA(ctx context.Context) (string, error) {
	plan, err := release.PlanRelease(ctx, release.Input{
		Client: d.ports.S3, Bucket: d.frontend.ClientBucket, Dir: d.bundle,
		ReleaseID: d.cfg.GitSHA + "-" + d.cfg.RunID, Progress: d.progress(ctx),
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
	res, err := release.Apply(ctx, plan)
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
