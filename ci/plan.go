package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"bookme-deploy/core/cdn"
	"bookme-deploy/core/deployflow"
	"bookme-deploy/core/envfile"
	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/planfile"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/stack"
)

// planSteps is the read-only twin of steps: the three tofu plans (backend and frontend planned
// against the base stack's current outputs), the image that would be built or reused, the env
// file's key diff, the S3 upload/delete lists, the invalidation paths and the task-definition diffs.
func (d *deployment) planSteps() []pipeline.Step {
	steps, err := deployflow.Plan(deployflow.PlanStages{
		Base: d.planTofuBase, Frontend: d.planTofuFrontend, Image: d.planImage, EnvFile: d.planEnvFile,
		Backend: d.planTofuBackend, Rollout: d.planRollout, BuildClient: d.stepBuildClient, Release: d.planRelease,
	})
	if err != nil {
		panic(err) // every stage is wired above
	}
	return steps
}

func (d *deployment) addPlan(name, text string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.plans == nil {
		d.plans = map[string]string{}
	}
	d.plans[name] = text
}

// planText renders every collected plan in DAG order.
func (d *deployment) planText() string {
	var b strings.Builder
	for _, s := range d.planSteps() {
		if t, ok := d.plans[s.Name]; ok {
			fmt.Fprintf(&b, "### %s\n\n```\n%s\n```\n\n", s.Name, strings.TrimRight(t, "\n"))
		}
	}
	return b.String()
}

func (d *deployment) planTofu(ctx context.Context, name string, vars map[string]any) ([]byte, string, error) {
	run, err := d.tofu.plan(ctx, name, vars)
	if err != nil {
		return nil, "", err
	}
	d.addPlan("plan-"+name, run.Summary.Text()+"plan hash "+run.Summary.Hash)
	if err := d.part("tofu-"+name, run.Summary.Hash, firstLine(run.Summary.Text())); err != nil {
		return nil, "", err
	}
	d.mu.Lock()
	d.stats.TofuResourceChange += len(run.Summary.Changes)
	d.mu.Unlock()
	out, err := d.tofu.outputs(ctx, name)
	if err != nil {
		return nil, "", err
	}
	return out, firstLine(run.Summary.Text()), nil
}

func (d *deployment) planTofuBase(ctx context.Context) (string, error) {
	out, detail, err := d.planTofu(ctx, stack.StackBase, nil)
	if err != nil {
		return "", err
	}
	b, err := stack.ParseBase(out)
	if err != nil {
		return "", fmt.Errorf("%w (the base stack must be applied once before the other stacks can be planned)", err)
	}
	d.base = b
	return detail, nil
}

func (d *deployment) planTofuFrontend(ctx context.Context) (string, error) {
	out, detail, err := d.planTofu(ctx, stack.StackFrontend, nil)
	if err != nil {
		return "", err
	}
	f, err := stack.ParseFrontend(out)
	if err != nil {
		return "", fmt.Errorf("%w (apply the frontend stack once before planning a release)", err)
	}
	d.frontend = f
	return detail, nil
}

func (d *deployment) planTofuBackend(ctx context.Context) (string, error) {
	vars, err := d.backendVars()
	if err != nil {
		return "", err
	}
	out, detail, err := d.planTofu(ctx, stack.StackBackend, vars)
	if err != nil {
		return "", err
	}
	b, err := stack.ParseBackend(out)
	if err != nil {
		return "", fmt.Errorf("%w (apply the backend stack once before planning a rollout)", err)
	}
	d.backend = b
	return detail, nil
}

func (d *deployment) planImage(ctx context.Context) (string, error) {
	dockerfile, err := d.api.File("Dockerfile").Contents(ctx)
	if err != nil {
		return "", fmt.Errorf("image: the API source has no Dockerfile: %w", err)
	}
	plan, err := registry.PlanPublish(ctx, newECR(d.cfg), registry.PublishInput{
		Repository: d.base.ECRRepositoryName, GitSHA: d.gitSHA, LongTag: d.fullSHATag, Dockerfile: []byte(dockerfile)})
	if err != nil {
		return "", err
	}
	d.addPlan("plan-image", plan.Text())
	if err := d.part(planfile.PartImage, imageFingerprint(plan), imageSummary(plan)); err != nil {
		return "", err
	}
	if plan.Reuse {
		d.image = plan.Ref
		return "reuse " + plan.Ref, nil
	}
	return "build and push " + plan.TagRef, nil
}

func (d *deployment) planEnvFile(ctx context.Context) (string, error) {
	rendered, err := d.renderEnvFile(ctx)
	if err != nil {
		return "", err
	}
	plan, err := envfile.PlanPush(ctx, d.s3, envfile.PushInput{Bucket: d.base.ConfigBucket, Environment: d.env, Rendered: rendered})
	if err != nil {
		return "", err
	}
	d.addPlan("plan-env-file", plan.Text())
	if err := d.part(planfile.PartEnvFile, rendered.SHA256, envFileSummary(rendered)); err != nil {
		return "", err
	}
	return firstLine(plan.Text()), nil
}

func (d *deployment) planRollout(ctx context.Context) (string, error) {
	if d.image == "" {
		d.addPlan("plan-rollout", "the image is not built yet: the task-definition diffs follow once it has a digest")
		return "after the image is pushed", nil
	}
	b := d.backend
	eng := rollout.New(d.cfg, d.out)
	bootstrap, err := d.dbBootstrapTask()
	if err != nil {
		return "", err
	}
	plan, err := eng.Plan(ctx, rollout.Input{
		Cluster: b.ClusterName, API: b.APIServiceName, Workers: []string{b.WorkerServiceName},
		Container: b.APIContainerName, Image: d.image, GitSHA: d.gitSHA,
		Before:    []rollout.OneOff{bootstrap},
		Migration: rollout.Migration{Family: b.MigrateTaskFamily},
	})
	if err != nil {
		return "", err
	}
	d.addPlan("plan-rollout", plan.Text())
	if plan.NoOp {
		return "no-op", nil
	}
	return "new revisions for " + b.APIServiceName + ", " + b.WorkerServiceName, nil
}

func (d *deployment) planRelease(ctx context.Context) (string, error) {
	plan, err := release.PlanRelease(ctx, release.Input{Client: d.s3, Bucket: d.frontend.ClientBucket,
		Dir: d.bundle, ReleaseID: d.gitSHA + "-" + d.runID})
	if err != nil {
		return "", err
	}
	inv, err := cdn.PlanInvalidation(ctx, cdn.Input{Client: cloudfront.NewFromConfig(d.cfg),
		DistributionID: d.frontend.DistributionID, ChangedPaths: plan.ChangedPaths, CallerReference: d.runID})
	if err != nil {
		return "", err
	}
	d.addPlan("plan-release", plan.Text()+"\n"+inv.Text())
	if err := d.part(planfile.PartRelease, plan.Digest, bundleSummary(plan)); err != nil {
		return "", err
	}
	return firstLine(plan.Text()), nil
}

// imageFingerprint is the image decision: reuse this digest, or build and push this tag.
func imageFingerprint(p *registry.PublishPlan) string {
	return fingerprint(imageSummary(p))
}

func imageSummary(p *registry.PublishPlan) string {
	if p.Reuse {
		return "reuse " + p.Ref
	}
	return "build and push " + p.TagRef
}

// envFileSummary names the keys only: values never enter a plan file.
func envFileSummary(r *envfile.Rendered) string {
	return fmt.Sprintf("%d keys, %d secret references", len(r.Keys), len(r.Secrets))
}

func bundleSummary(p *release.Plan) string {
	digest := strings.TrimPrefix(p.Digest, "sha256:")
	return "bundle " + digest[:min(12, len(digest))]
}

func fingerprint(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}
