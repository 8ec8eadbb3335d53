package deploy

import (
	"context"
	"fmt"
	"strings"

	"bookme-deploy/core/record"
	"bookme-deploy/core/stack"
)

// ReadSite reads the three stacks' current outputs (no plan): where the environment's release lives.
// When an output cannot be read, the error comes with the site as far as it is known (the
// environment and the state bucket at least: its records can still be read).
func ReadSite(ctx context.Context, t Tofu, env, stateBucket string) (Site, error) {
	if strings.TrimSpace(env) == "" {
		return Site{}, fmt.Errorf("no environment: give --env (before the function name)")
	}
	partial := Site{Env: env, StateBucket: stateBucket}
	out := map[string][]byte{}
	for _, name := range []string{stack.StackBase, stack.StackFrontend, stack.StackBackend} {
		o, err := t.Outputs(ctx, name)
		if err != nil {
			return partial, err
		}
		out[name] = o
	}
	base, err := stack.ParseBase(out[stack.StackBase])
	if err != nil {
		return partial, err
	}
	front, err := stack.ParseFrontend(out[stack.StackFrontend])
	if err != nil {
		return partial, err
	}
	back, err := stack.ParseBackend(out[stack.StackBackend])
	if err != nil {
		return partial, err
	}
	return SiteOf(env, stateBucket, base, front, back), nil
}

// ShowHistory is the `history` verb: the last n releases (text table, JSON, or the records' own
// Markdown summaries), the state bucket's records too (a deploy the lock refused writes there).
// runURL, when given, keeps only the records of that CI run: a workflow's step after a failed
// deploy writes the run's summary to the job summary with it.
func ShowHistory(ctx context.Context, p Ports, s Site, n int, format, runURL string) (string, error) {
	if format != "text" && format != FormatMarkdown && format != FormatJSON {
		return "", fmt.Errorf("--format %q: want text, %s or %s", format, FormatMarkdown, FormatJSON)
	}
	limit := n
	if runURL != "" {
		limit = 0 // the run's records are found by reading them
	}
	rs, err := History(ctx, p.S3, s.ConfigBucket, s.Env, limit, s.StateBucket)
	if err != nil {
		return "", err
	}
	var kept []Release
	for _, r := range rs {
		if (runURL == "" || r.RunURL == runURL) && (n <= 0 || len(kept) < n) {
			kept = append(kept, r)
		}
	}
	switch format {
	case FormatJSON:
		data, err := HistoryJSON(kept)
		return string(data) + "\n", err
	case FormatMarkdown:
		return historyMarkdown(ctx, p, kept, runURL)
	}
	return HistoryText(kept), nil
}

// historyMarkdown is each record's own Markdown summary, newest first.
func historyMarkdown(ctx context.Context, p Ports, rs []Release, runURL string) (string, error) {
	if len(rs) == 0 && runURL != "" {
		return "No deploy record of run " + runURL + ": the run stopped before it could write one (see its log).\n", nil
	}
	var b strings.Builder
	for _, r := range rs {
		if r.Problem != "" {
			fmt.Fprintf(&b, "Record s3://%s/%s could not be read: %s\n\n", r.Bucket, r.Key, r.Problem)
			continue
		}
		body, err := readRecord(ctx, p.S3, r.Bucket, r.Key)
		if err != nil {
			return "", err
		}
		rec, err := record.Parse(body)
		if err != nil {
			return "", err
		}
		b.WriteString(rec.Markdown() + "\n")
	}
	return b.String(), nil
}

// ShowStatus is the `status` verb: which release runs now.
func ShowStatus(ctx context.Context, p Ports, s Site) (string, error) {
	st, err := ReleaseStatus(ctx, p, s)
	if err != nil {
		return "", err
	}
	return st.Text(), nil
}
