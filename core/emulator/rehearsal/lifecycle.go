package rehearsal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator"
)

// lifecycle rehearses the releases after A, each state read back from the emulated account: B
// (source, OpenTofu CPU/memory, env input and SPA changes) must run everywhere with OpenTofu's new
// values; C fails after its cut-over and everything must be B's again (services, env file, SPA
// entry points), the lock released; `rollback` to A must serve A's revisions, env file and entry
// points again.
func (r Rehearsal) lifecycle(ctx context.Context, b *strings.Builder, first *deploy.Deployment) error {
	base, front, back := first.Outputs()
	cfg := first.Config()
	site := deploy.SiteOf(cfg.Env, cfg.StateBucket, base, front, back)
	ecsc := ecs.NewFromConfig(r.AWS)
	read := func(name string) (*State, error) {
		st, err := Read(ctx, ecsc, r.S3, site)
		if err != nil {
			return nil, fmt.Errorf("read the account after %s: %w", name, err)
		}
		fmt.Fprintf(b, "Emulated account after %s:\n\n```\n%s```\n\n", name, st.Text())
		return st, nil
	}
	sA, err := read("A")
	if err != nil {
		return err
	}

	stepB, stepC := r.Steps[1], r.Steps[2]
	dB, err := r.deploy(ctx, b, stepB, "Release B: "+whys(stepB))
	if err != nil {
		return err
	}
	sB, err := read("B")
	if err != nil {
		return err
	}
	if err := checks(b, "B", []check{
		{sB.Image == dB.Image() && sB.WorkerImage == dB.Image() && sB.Image != sA.Image, "API and worker run B's image " + dB.Image()},
		{sB.CPU == APICPU && sB.Memory == APIMemory, fmt.Sprintf("the API's revision carries OpenTofu's new cpu/memory %s/%s (A: %s/%s; got %s/%s)", APICPU, APIMemory, sA.CPU, sA.Memory, sB.CPU, sB.Memory)},
		{sB.EnvFile != sA.EnvFile && sB.EnvFile == dB.EnvFileKey(), "the services read B's env file " + sB.EnvFile + " (A's: " + sA.EnvFile + ")"},
		{strings.Contains(sB.EnvBody, "SENDGRID_SENDER_EMAIL="+SenderB+"\n"), "B's env file carries B's input (" + SenderB + ")"},
		{sB.Entry != sA.Entry, "index.html references B's entry " + sB.Entry + " (A's: " + sA.Entry + ")"},
	}); err != nil {
		return err
	}

	if _, err := r.deploy(ctx, b, stepC, "Release C: "+whys(stepC)+"; fails after its cut-over"); err == nil {
		return fmt.Errorf("release C deployed although its smoke check fails")
	} else if !strings.Contains(err.Error(), "smoke") {
		return fmt.Errorf("release C failed before its cut-over, not at the smoke check: %w", err)
	}
	sC, err := read("C's roll-back")
	if err != nil {
		return err
	}
	_, lockErr := r.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(cfg.StateBucket), Key: aws.String(deploy.LockKey(cfg.Env))})
	_, envAErr := r.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(site.ConfigBucket), Key: aws.String(sA.EnvFile)})
	if err := checks(b, "C", []check{
		{len(sB.SameRelease(sC)) == 0, "everything is B's again: " + orSame(sB.SameRelease(sC))},
		{lockErr != nil, "the deploy lock is released"},
		{envAErr == nil, "A's env file is still there for a rollback"},
	}); err != nil {
		return err
	}

	o := deploy.RollbackOptions{Who: "dry-run"}
	o.Timeouts.Rollout.PollInterval, o.Timeouts.InvalidationPoll = time.Second, time.Second
	p := deploy.Ports{AWS: r.AWS, S3: r.S3, RolloutOptions: emulator.RolloutOptions(), Out: r.Out}
	t0 := time.Now()
	text, err := deploy.RollbackRelease(ctx, p, site, r.Steps[0].GitSHA, o, false)
	fmt.Fprintf(b, "## `rollback --to %s` (release A) in %s\n\n```\n%s```\n\n", deploy.Short(r.Steps[0].GitSHA), time.Since(t0).Round(time.Second), text)
	if err != nil {
		return fmt.Errorf("rollback to A: %w", err)
	}
	sR, err := read("the rollback to A")
	if err != nil {
		return err
	}
	return checks(b, "the rollback", []check{
		{len(sA.SameRelease(sR)) == 0 && sR.Image == sA.Image, "everything is A's again: " + orSame(sA.SameRelease(sR))},
		{sR.CPU == sA.CPU && sR.Memory == sA.Memory, "A's revisions keep A's cpu/memory " + sA.CPU + "/" + sA.Memory},
	})
}

type check struct {
	ok   bool
	line string
}

// checks writes one ✔/✘ line per check and fails naming every failed one.
func checks(b *strings.Builder, after string, cs []check) error {
	var failed []string
	for _, c := range cs {
		mark := "✔"
		if !c.ok {
			mark = "✘"
			failed = append(failed, c.line)
		}
		fmt.Fprintf(b, "- %s %s\n", mark, c.line)
	}
	b.WriteString("\n")
	if len(failed) > 0 {
		return fmt.Errorf("the emulated account after %s: %s", after, strings.Join(failed, "; "))
	}
	return nil
}

func whys(s Step) string {
	var out []string
	seen := map[string]bool{}
	for _, e := range s.Edits {
		if !seen[e.Why] {
			seen[e.Why] = true
			out = append(out, e.Why)
		}
	}
	return fmt.Sprintf("commit %s, %s", deploy.Short(s.GitSHA), strings.Join(out, ", "))
}

func orSame(diff []string) string {
	if len(diff) == 0 {
		return "services' revisions, env file and index.html"
	}
	return strings.Join(diff, "; ")
}
