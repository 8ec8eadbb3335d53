package smoke

import (
	"context"
	"fmt"
	"strings"
)

// PingPath is the API's health check, relative to its base URL.
const PingPath = "/auth/ping/"

// ReleaseHeader is the response header in which the API names the release that answers: the
// commit the pipeline bakes into the image as ReleaseEnv. The reference app sets it on its health
// check (examples/bookme/api/core/middleware.py).
const ReleaseHeader = "X-Bookme-Release"

// ReleaseEnv is the image's environment variable holding the release's commit.
const ReleaseEnv = "BOOKME_RELEASE"

// Confirmations is how many answers in a row must come from the new release: the load balancer
// spreads requests over every registered target, so one answer proves only one task.
const Confirmations = 3

// API checks that GET <baseURL>/auth/ping/ answers 200 through the load balancer, retrying while
// the ALB warms up (see package doc); WithPath, WithStatus and WithBodyContains change what is
// fetched and expected. Redirects are followed only within the same host (Django's APPEND_SLASH,
// an http→https redirect). With WithRelease, the answers must also name the new release in
// ReleaseHeader, Confirmations times in a row: an old task still answering is retried (the roll
// drains it), a release that never answers fails when the budget is spent. The Result is returned
// also when the check fails.
func API(ctx context.Context, baseURL string, opts ...Option) (*Result, error) {
	o := resolve(opts)
	u := strings.TrimRight(strings.TrimSpace(baseURL), "/") + "/" + strings.TrimLeft(o.path, "/")
	streak := 0
	return poll(ctx, "api", u, 64<<10, o, func(r response) verdict {
		if r.status != o.status {
			reason := fmt.Sprintf("HTTP %d, want %d", r.status, o.status)
			if len(r.body) > 0 {
				reason += ": " + oneLine(string(r.body), 200)
			}
			return verdict{reason: reason}
		}
		if o.bodyContains != "" && !strings.Contains(string(r.body), o.bodyContains) {
			// retried: an old task may still answer while the roll drains it
			return verdict{retry: true, reason: fmt.Sprintf("HTTP %d without %q in the body: %s", r.status, o.bodyContains, oneLine(string(r.body), 200))}
		}
		if o.release == "" {
			return verdict{ok: true}
		}
		return o.judgeRelease(r, &streak)
	})
}

// judgeRelease counts the answers in a row that name the wanted release.
func (o options) judgeRelease(r response, streak *int) verdict {
	switch r.release {
	case o.release:
		*streak++
		if *streak >= Confirmations {
			return verdict{ok: true}
		}
		return verdict{retry: true, reason: fmt.Sprintf("release %s answered %d of %d times in a row", short(o.release), *streak, Confirmations)}
	case "":
		*streak = 0
		return verdict{retry: true, reason: fmt.Sprintf("the API answered without %s: it does not say which release answers", ReleaseHeader)}
	default:
		*streak = 0
		return verdict{retry: true, reason: fmt.Sprintf("answered by release %s, want %s (old tasks still serving)", short(r.release), short(o.release))}
	}
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
