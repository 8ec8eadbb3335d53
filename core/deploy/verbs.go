package deploy

import (
	"context"
	"fmt"
)

// Maker makes a fresh deployment of one configuration (a pre-flight and the deploy are two).
type Maker func() (*Deployment, error)

// Ship is `deploy`: with a reviewed plan (Config.Planned) a fresh deployment plans again and
// refuses any drift first; then the deploy runs. It returns the Markdown summary; a failed deploy's
// error carries it too.
func Ship(ctx context.Context, mk Maker) (string, error) {
	d, err := mk()
	if err != nil {
		return "", err
	}
	if planned := d.cfg.Planned; planned != nil {
		check, err := mk()
		if err != nil {
			return "", err
		}
		if err := Preflight(ctx, check, planned); err != nil {
			return "", err
		}
	}
	rep, err := d.Deploy(ctx)
	if err != nil {
		return "", fmt.Errorf("deploy failed: %w\n\n%s", err, d.Summary(rep))
	}
	return d.Summary(rep), nil
}

// Plan formats of Review.
const (
	FormatMarkdown = "markdown"
	FormatJSON     = "json"
)

// CheckFormat refuses an unknown plan format before anything runs.
func CheckFormat(format string) error {
	if format != FormatMarkdown && format != FormatJSON {
		return fmt.Errorf("--format %q: want %s or %s", format, FormatMarkdown, FormatJSON)
	}
	return nil
}

// PlanMarker is the last line of the Markdown plan: a workflow greps it to tell "no changes" from
// drift while the plan itself still reaches the job summary (an error would keep it on stderr).
func PlanMarker(changes int) string {
	return fmt.Sprintf("<!-- bookme-plan: %d resource changes -->\n", changes)
}

// Review is `plan`: the Markdown plan, or (FormatJSON) the plan file `deploy --plan-file` takes.
// With detailedExitcode, any change OpenTofu would make is an error (drift detection); without it,
// the plan ends with PlanMarker.
func Review(ctx context.Context, mk Maker, detailedExitcode bool, format string) (string, error) {
	if err := CheckFormat(format); err != nil {
		return "", err
	}
	d, err := mk()
	if err != nil {
		return "", err
	}
	rep := d.Plan(ctx)
	n := d.Stats().TofuResourceChange
	text := fmt.Sprintf("## Plan for %s (commit %s)\n\n%s```\n%s```\n", d.cfg.Env, Short(d.cfg.GitSHA), d.PlanText(), rep.Text())
	if err := rep.Err(); err != nil {
		return "", fmt.Errorf("plan failed: %w\n\n%s", err, text)
	}
	text += PlanMarker(n)
	if detailedExitcode && n > 0 {
		return "", fmt.Errorf("drift: OpenTofu would change %d resources\n\n%s", n, text)
	}
	if format == FormatJSON {
		d.prints.Text = text
		data, err := d.prints.JSON()
		return string(data) + "\n", err
	}
	return text, nil
}
