package rehearsal

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator"
)

// Rehearsal is the dry-run: release A of the commit deployed to the emulated account, optionally the
// same release deployed again (its plan must find nothing left to change in what the pipeline owns,
// so it changes nothing; a separate `plan` would repeat that plan); with three steps, the life of a release after
// it (Lifecycle: B with changes everywhere, C failing after its cut-over, a rollback to A); and the
// account checked as a user would.
type Rehearsal struct {
	// New makes a fresh deployment of a step (one per run, as CI would).
	New func(Step) (*deploy.Deployment, error)
	// Steps are A alone, or A, B and C (Steps).
	Steps  []Step
	AWS    aws.Config
	S3     *s3.Client
	Repeat bool
	// Out receives the rollback's progress.
	Out io.Writer
}

// Run returns the Markdown report and release A's deployment (its record and outputs). The report
// ends with the answers moto had to replay (lost on the way), if any.
func (r Rehearsal) Run(ctx context.Context) (string, *deploy.Deployment, error) {
	var b strings.Builder
	first, err := r.run(ctx, &b)
	b.WriteString(r.lostAnswers(ctx))
	return b.String(), first, err
}

// lostAnswers is the report's line on the answers moto replayed ("" when the account is not a
// patched moto).
func (r Rehearsal) lostAnswers(ctx context.Context) string {
	if r.AWS.BaseEndpoint == nil || r.AWS.HTTPClient == nil {
		return ""
	}
	rs, err := emulator.Replays(ctx, r.AWS.HTTPClient, *r.AWS.BaseEndpoint)
	if err != nil {
		return fmt.Sprintf("\nLost answers: unknown (%v).\n", err)
	}
	if t := emulator.ReplaysText(rs); t != "" {
		return "\nLost answers: " + t + ".\n"
	}
	return "\nLost answers: none (moto replayed no retried call).\n"
}

func (r Rehearsal) run(ctx context.Context, b *strings.Builder) (*deploy.Deployment, error) {
	if len(r.Steps) != 1 && len(r.Steps) != 3 {
		return nil, fmt.Errorf("rehearsal: %d releases; want 1 (A) or 3 (A, B, C)", len(r.Steps))
	}
	a := r.Steps[0]
	first, err := r.deploy(ctx, b, a, "Release A: first deploy")
	if err != nil {
		return first, err
	}
	if r.Repeat {
		t0 := time.Now()
		second, err := r.deploy(ctx, b, a, "Second deploy of the same commit (must change nothing)")
		if err != nil {
			return first, err
		}
		if s := second.Stats(); !s.NoOp() {
			return first, fmt.Errorf("the second deploy of the same commit changed something: %s", s.Text())
		}
		fmt.Fprintf(b, "Second deploy: no-op in %s.\n\n", time.Since(t0).Round(time.Second))
	}
	if len(r.Steps) == 3 {
		if err := r.lifecycle(ctx, b, first); err != nil {
			return first, err
		}
	}
	b.WriteString("## Emulated account after the deploys\n\n")
	text, err := Verify(ctx, r.AWS, r.S3, first)
	b.WriteString(text)
	return first, err
}

func (r Rehearsal) deploy(ctx context.Context, b *strings.Builder, step Step, title string) (*deploy.Deployment, error) {
	d, err := r.New(step)
	if err != nil {
		return nil, err
	}
	rep, err := d.Deploy(ctx)
	fmt.Fprintf(b, "## %s\n\n```\n%s```\n%s\n\n", title, rep.Text(), d.Stats().Text())
	if err != nil {
		return d, fmt.Errorf("%s: %w", strings.ToLower(title[:1])+title[1:], err)
	}
	return d, nil
}
