package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/planfile"
	"bookme-deploy/core/registry"
)

// Publish is the image decision and its execution, shared by deploy and publish-api: reuse the
// commit's image when ECR has its tag, else build and push it (Images) and return it by digest.
type Publish struct {
	AWS    aws.Config
	Images Images
	Source Source
	// Layout says where the Dockerfile is and which stage is built (empty fields: DefaultLayout's).
	Layout     Layout
	Repository string
	GitSHA     string
	FullSHATag bool
	// Progress receives Apply's notes (nil: the running step's progress, pipeline.Progress).
	Progress io.Writer
}

// Plan reads the Dockerfile and ECR: what would be built or reused. It pushes nothing.
func (p Publish) Plan(ctx context.Context) (*registry.PublishPlan, error) {
	if p.Source == nil {
		return nil, fmt.Errorf("image: no source to read the Dockerfile from")
	}
	l := p.Layout.WithDefaults()
	name := path.Join(l.APIDir, l.Dockerfile)
	dockerfile, err := p.Source.ReadFile(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("image: the API source has no Dockerfile %s: %w", name, err)
	}
	return registry.PlanPublish(ctx, ecr.NewFromConfig(p.AWS), registry.PublishInput{
		Repository: p.Repository, GitSHA: p.GitSHA, LongTag: p.FullSHATag, Dockerfile: dockerfile, Target: l.Target})
}

// Apply pushes what plan says (nothing when it reuses) and returns the image by digest and whether
// it pushed.
func (p Publish) Apply(ctx context.Context, plan *registry.PublishPlan) (ref string, pushed bool, err error) {
	if plan.Reuse {
		return plan.Ref, false, nil
	}
	if p.Images == nil {
		return "", false, fmt.Errorf("image: %s must be built, and this run cannot build images", plan.TagRef)
	}
	creds, err := registry.Auth(ctx, ecr.NewFromConfig(p.AWS))
	if err != nil {
		return "", false, err
	}
	digest, err := p.Images.Push(ctx, plan, creds)
	if err != nil {
		if digest, err = p.digestAfterFailedPush(ctx, plan, err); err != nil {
			return "", false, err
		}
	}
	ref, err = registry.WithDigest(plan.RepositoryURI, digest)
	if err != nil {
		return "", false, err
	}
	return ref, true, nil
}

// digestAfterFailedPush decides what a failed push means. The registry is ECR itself, so a push
// whose last answer (the manifest PUT's) was lost has stored the tag all the same; and a push the
// repository's IMMUTABLE tags refused (an earlier attempt of this push, or another run of the
// commit, got there first) finds the tag stored too. Either way ECR holding the commit's tag is the
// outcome the push was for: its digest is returned and a progress line says so. When ECR does not
// hold the tag (or cannot be read), the push's own error is returned, wrapped.
func (p Publish) digestAfterFailedPush(ctx context.Context, plan *registry.PublishPlan, pushErr error) (string, error) {
	digest, found, err := registry.DigestForTag(ctx, ecr.NewFromConfig(p.AWS), plan.Repository, plan.Tag)
	switch {
	case err != nil:
		return "", fmt.Errorf("image: push %s: %w (reading ECR for the tag afterwards failed too: %v)", plan.TagRef, pushErr, err)
	case !found:
		return "", fmt.Errorf("image: push %s: %w", plan.TagRef, pushErr)
	}
	out := p.Progress
	if out == nil {
		out = pipeline.Progress(ctx)
	}
	fmt.Fprintf(out, "the push's answer was lost; ECR holds %s at %s (push error: %s)\n", plan.Tag, digest, firstLine(pushErr.Error()))
	return digest, nil
}

func (d *Deployment) publisher() Publish {
	return Publish{AWS: d.ports.AWS, Images: d.ports.Images, Source: d.ports.Source, Layout: d.cfg.Layout,
		Repository: d.base.ECRRepositoryName, GitSHA: d.cfg.GitSHA, FullSHATag: d.cfg.FullSHATag}
}

// image builds and pushes the commit's image, or reuses it (plan mode: says which).
func (d *Deployment) imageStage(ctx context.Context) (string, error) {
	pub := d.publisher()
	plan, err := pub.Plan(ctx)
	if err != nil {
		return "", err
	}
	d.addPlan("plan-image", plan.Text())
	d.logf(ctx, "%s", trimNL(plan.Text()))
	if err := d.part(planfile.PartImage, fingerprint(ImageSummary(plan)), ImageSummary(plan)); err != nil {
		return "", err
	}
	if d.planOnly {
		if plan.Reuse {
			d.setImage(plan.Ref)
		}
		return ImageSummary(plan), nil
	}
	ref, pushed, err := pub.Apply(ctx, plan)
	if err != nil {
		return "", err
	}
	d.setImage(ref)
	d.count(func(s *Stats) { s.ImagePushed = pushed })
	if pushed {
		return "pushed " + ref, nil
	}
	return "reused " + ref, nil
}

// existingImage finds the commit's image without building: a selection without the image stage
// deploys only an image an earlier deploy pushed.
func (d *Deployment) existingImage(ctx context.Context) (string, error) {
	plan, err := d.publisher().Plan(ctx)
	if err != nil {
		return "", err
	}
	if !plan.Reuse {
		return "", fmt.Errorf("image: %s is not in ECR; select the image stage too (--stages image,…)", plan.TagRef)
	}
	d.setImage(plan.Ref)
	return "not selected: reuse " + plan.Ref, nil
}

func (d *Deployment) setImage(ref string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.image = ref
	if d.rec != nil {
		d.rec.ImageRef = ref
	}
}

// ImageSummary is the image decision in words: reuse this digest, or build and push this tag.
func ImageSummary(p *registry.PublishPlan) string {
	if p.Reuse {
		return "reuse " + p.Ref
	}
	return "build and push " + p.TagRef
}

func fingerprint(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}
