package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// PublishInput says which commit to publish where.
type PublishInput struct {
	// Repository is the ECR repository name (base output ecr_repository_name).
	Repository string
	// GitSHA is the full commit id being deployed.
	GitSHA string
	// LongTag tags with the full SHA instead of its first 12 digits.
	LongTag bool
	// Dockerfile, when given, must have the Target stage.
	Dockerfile []byte
	// Target is the Dockerfile stage built ("": ProductionStage).
	Target string
}

// PublishPlan says whether the image must be built and pushed or an existing one reused. It
// is made by reads only.
type PublishPlan struct {
	Repository    string `json:"repository"`
	RepositoryURI string `json:"repositoryUri"`
	Region        string `json:"region"`
	TagMutability string `json:"tagMutability"`
	GitSHA        string `json:"gitSha"`
	Tag           string `json:"tag"`
	// TagRef is repositoryUri:tag.
	TagRef string `json:"tagRef"`
	// Target is the Dockerfile stage a build builds.
	Target string `json:"target,omitempty"`
	// Reuse is true when ECR already has the tag: no build, no push.
	Reuse bool `json:"reuse"`
	// Digest and Ref (repositoryUri@digest) are set when Reuse.
	Digest string `json:"digest,omitempty"`
	Ref    string `json:"ref,omitempty"`
	// Warnings are things to fix that do not stop the deploy (e.g. MUTABLE tags).
	Warnings []string `json:"warnings,omitempty"`
}

// PlanPublish checks the Dockerfile (when given), the commit, the repository, and whether the
// commit's tag is already in ECR. It pushes nothing; every error comes before anything is pushed.
func PlanPublish(ctx context.Context, c *ecr.Client, in PublishInput) (*PublishPlan, error) {
	if in.Target == "" {
		in.Target = ProductionStage
	}
	if in.Dockerfile != nil {
		if err := CheckTarget(in.Dockerfile, in.Target); err != nil {
			return nil, err
		}
	}
	tag, err := Tag(in.GitSHA, in.LongTag)
	if err != nil {
		return nil, err
	}
	repo, err := Repository(ctx, c, in.Repository)
	if err != nil {
		return nil, err
	}
	tagRef, err := WithTag(repo.URI, tag)
	if err != nil {
		return nil, err
	}
	p := &PublishPlan{
		Repository: repo.Name, RepositoryURI: repo.URI, Region: repo.Region, TagMutability: repo.TagMutability,
		GitSHA: in.GitSHA, Tag: tag, TagRef: tagRef, Target: in.Target,
	}
	if repo.TagMutability != "IMMUTABLE" {
		p.Warnings = append(p.Warnings, fmt.Sprintf("repository %s has %s tags; set IMMUTABLE so a SHA tag can never be moved", repo.Name, orNone(repo.TagMutability)))
	}
	digest, found, err := DigestForTag(ctx, c, repo.Name, tag)
	if err != nil {
		return nil, err
	}
	if found {
		p.Reuse, p.Digest = true, digest
		if p.Ref, err = WithDigest(repo.URI, digest); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Text is the dry-run form: reuse digest X, or build and push tag T to repository R.
func (p *PublishPlan) Text() string {
	var b strings.Builder
	if p.Reuse {
		fmt.Fprintf(&b, "image %s exists: reuse %s (no build, no push)\n", p.TagRef, p.Digest)
	} else {
		fmt.Fprintf(&b, "image %s not in ECR: build target %s and push tag %s to %s (%s)\n", p.TagRef, p.target(), p.Tag, p.RepositoryURI, p.Region)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "  warning: %s\n", w)
	}
	return b.String()
}

func (p *PublishPlan) target() string {
	if p.Target == "" {
		return ProductionStage
	}
	return p.Target
}

// Result is what the publish step did; the Dagger module fills it after pushing.
type Result struct {
	// Ref is repositoryUri@digest, what task definitions use.
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	Tag    string `json:"tag"`
	// Pushed is false when the plan reused an existing image.
	Pushed bool `json:"pushed"`
	// Platforms built, e.g. linux/amd64, linux/arm64 (empty when reused).
	Platforms []string `json:"platforms,omitempty"`
}

// NewResult builds the Result of a publish: reused from p, or pushed with digest.
func NewResult(p *PublishPlan, pushedDigest string, platforms []string) (*Result, error) {
	if p.Reuse {
		return &Result{Ref: p.Ref, Digest: p.Digest, Tag: p.Tag}, nil
	}
	if pushedDigest == "" {
		return nil, errors.New("publish: no digest from the push")
	}
	ref, err := WithDigest(p.RepositoryURI, pushedDigest)
	if err != nil {
		return nil, err
	}
	return &Result{Ref: ref, Digest: pushedDigest, Tag: p.Tag, Pushed: true, Platforms: platforms}, nil
}

// Text is one line for people.
func (r *Result) Text() string {
	if !r.Pushed {
		return fmt.Sprintf("image %s reused (tag %s already in ECR), nothing pushed\n", r.Ref, r.Tag)
	}
	plat := ""
	if len(r.Platforms) > 0 {
		plat = " for " + strings.Join(r.Platforms, ", ")
	}
	return fmt.Sprintf("image %s pushed as tag %s%s\n", r.Ref, r.Tag, plat)
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
