package smoke

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// PingPath is the API's health check, relative to its base URL.
const PingPath = "/auth/ping/"

// API checks that GET <baseURL>/auth/ping/ answers 200 through the load balancer, retrying while
// the ALB warms up (see package doc). Redirects are followed only within the same host (Django's
// APPEND_SLASH, an http→https redirect). The Result is returned also when the check fails.
func API(ctx context.Context, baseURL string, opts ...Option) (*Result, error) {
	o := resolve(opts)
	u := strings.TrimRight(strings.TrimSpace(baseURL), "/") + PingPath
	return poll(ctx, "api", u, 64<<10, o, func(r response) verdict {
		if r.status == http.StatusOK {
			return verdict{ok: true}
		}
		reason := fmt.Sprintf("HTTP %d, want 200", r.status)
		if len(r.body) > 0 {
			reason += ": " + oneLine(string(r.body), 200)
		}
		return verdict{reason: reason}
	})
}
