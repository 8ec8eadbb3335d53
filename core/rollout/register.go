package rollout

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"bookme-deploy/core/awsretry"
)

// Revisions maps a service name (MigrationKey for a separate migration family, OneOffKey(name) for a
// one-off task) to the ARN of the revision this deploy runs.
type Revisions map[string]string

// MigrationKey is the Revisions key of a separate migration family.
const MigrationKey = "migration"

// Register registers the plan's new revisions and returns their ARNs. It is idempotent: when the
// family's latest revision already equals the rendered one (an earlier Migrate of the same plan, a
// re-run), that revision is reused instead of registering another, so Migrate and Roll can run as
// separate steps. Unchanged services map to their current revision.
func (e *Engine) Register(ctx context.Context, p *Plan) (Revisions, error) {
	revs := Revisions{}
	for _, s := range p.Services {
		if !s.Changed {
			revs[s.Name] = s.CurrentTaskDefinition
			continue
		}
		arn, err := e.ensureRevision(ctx, s.Register)
		if err != nil {
			return nil, fmt.Errorf("%w (service %s)", err, s.Name)
		}
		revs[s.Name] = arn
	}
	for _, o := range p.Before {
		arn, err := e.ensureRevision(ctx, o.Register)
		if err != nil {
			return nil, fmt.Errorf("%w (one-off %s, family %s)", err, o.Name, o.Family)
		}
		revs[OneOffKey(o.Name)] = arn
	}
	if m := p.Migration; m != nil && m.Register != nil {
		arn, err := e.ensureRevision(ctx, m.Register)
		if err != nil {
			return nil, fmt.Errorf("%w (migration family %s)", err, m.Family)
		}
		revs[MigrationKey] = arn
	}
	return revs, nil
}

// registerAttempts is how many times ensureRevision sends RegisterTaskDefinition (the SDK's default
// attempts); registerBackoff the wait before the second, growing linearly.
const (
	registerAttempts = 3
	registerBackoff  = 200 * time.Millisecond
)

func (e *Engine) ensureRevision(ctx context.Context, in *ecs.RegisterTaskDefinitionInput) (string, error) {
	family := aws.ToString(in.Family)
	if latest, tags, err := e.describeTaskDefinition(ctx, family); err == nil {
		if Diff(RegisterInputOf(latest, tags), in) == "" {
			e.printf("register: %s already registered as %s (reused)\n", family, shortTD(aws.ToString(latest.TaskDefinitionArn)))
			return aws.ToString(latest.TaskDefinitionArn), nil
		}
	}
	// One request per attempt (the SDK's own retries are off for this call): a register whose
	// answer was lost (reset, timeout) may have gone through, so before trying again we look
	// whether the family's latest revision is already ours — retried blindly, one deploy would
	// leave two identical revisions behind.
	var out *ecs.RegisterTaskDefinitionOutput
	var err error
	for attempt := 1; ; attempt++ {
		out, err = e.ECS.RegisterTaskDefinition(ctx, in, func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
		if err == nil || attempt == registerAttempts || !worthRetry(ctx, err) {
			break
		}
		if serr := e.clock().Sleep(ctx, registerBackoff*time.Duration(attempt)); serr != nil {
			break
		}
		if latest, tags, derr := e.describeTaskDefinition(ctx, family); derr == nil && Diff(RegisterInputOf(latest, tags), in) == "" {
			e.printf("register: %s registered although its answer was lost (reused)\n", shortTD(aws.ToString(latest.TaskDefinitionArn)))
			return aws.ToString(latest.TaskDefinitionArn), nil
		}
	}
	if err != nil {
		return "", explain(err, "register a new revision of "+family)
	}
	arn := aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	e.printf("register: %s\n", shortTD(arn))
	return arn, nil
}

// worthRetry tells a failure worth another attempt: awsretry.Transient, or an HTTP client timeout
// while ctx is live (both wrap context.DeadlineExceeded, which Transient takes for a cancelled
// caller; a timeout is an answer that never came — the request may have acted).
func worthRetry(ctx context.Context, err error) bool {
	var ne net.Error
	return awsretry.Transient(err) || (ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout())
}
