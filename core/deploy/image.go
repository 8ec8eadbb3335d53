package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

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
		return "", false, fmt.Errorf("image: push %s: %w", plan.TagRef, err)
	}
	ref, err = registry.WithDigest(plan.RepositoryURI, digest)
	if err != nil {
		return "", false, err
	}
	return ref, true, nil
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
