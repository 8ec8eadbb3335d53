package deploy

import (
	"context"
	"fmt"
	"strings"

	"bookme-deploy/core/stack"
)

// ReadSite reads the three stacks' current outputs (no plan): where the environment's release lives.
func ReadSite(ctx context.Context, t Tofu, env, stateBucket string) (Site, error) {
	if strings.TrimSpace(env) == "" {
		return Site{}, fmt.Errorf("no environment: give --env (before the function name)")
	}
	out := map[string][]byte{}
	for _, name := range []string{stack.StackBase, stack.StackFrontend, stack.StackBackend} {
		o, err := t.Outputs(ctx, name)
		if err != nil {
			return Site{}, err
		}
		out[name] = o
	}
	base, err := stack.ParseBase(out[stack.StackBase])
	if err != nil {
		return Site{}, err
	}
	front, err := stack.ParseFrontend(out[stack.StackFrontend])
	if err != nil {
		return Site{}, err
	}
	back, err := stack.ParseBackend(out[stack.StackBackend])
	if err != nil {
		return Site{}, err
	}
	return SiteOf(env, stateBucket, base, front, back), nil
}

// ShowHistory is the `history` verb: the last n releases (text table or JSON), the state bucket's
// records too (a deploy the lock refused writes there).
func ShowHistory(ctx context.Context, p Ports, s Site, n int, format string) (string, error) {
	if err := CheckFormat(strings.Replace(format, "text", FormatMarkdown, 1)); err != nil {
		return "", err
	}
	rs, err := History(ctx, p.S3, s.ConfigBucket, s.Env, n, s.StateBucket)
	if err != nil {
		return "", err
	}
	if format == FormatJSON {
		data, err := HistoryJSON(rs)
		return string(data) + "\n", err
	}
	return HistoryText(rs), nil
}

// ShowStatus is the `status` verb: which release runs now.
func ShowStatus(ctx context.Context, p Ports, s Site) (string, error) {
	st, err := ReleaseStatus(ctx, p, s)
	if err != nil {
		return "", err
	}
	return st.Text(), nil
}
