package smoke

import (
	"context"
	"strings"
)

// Target is what a release's smoke check looks at.
type Target struct {
	// APIURL is the API's base URL (through the load balancer).
	APIURL string
	// APIPath is fetched from APIURL (default PingPath), APIStatus expected (default 200) and
	// APIBodyContains, when set, must be in the answer's body.
	APIPath         string
	APIStatus       int
	APIBodyContains string
	// ClientURL is the SPA's URL (through CloudFront) and Entry the hashed entry file its index.html
	// must reference (the new release's, not a cached older one); EntryKind says how that HTML names
	// it (EntryModule, the default, or EntryScript: EntryFileOf).
	ClientURL, Entry, EntryKind string
	// ClientBucket is the bucket CloudFront serves the SPA from.
	ClientBucket string
	// Release is the commit the API must answer as (ReleaseHeader); empty: any answer with the
	// wanted status will do. AnyRelease keeps Release for the report but does not demand the header:
	// the app does not echo ReleaseEnv (bookme-deploy.yaml's smoke.api.release: false).
	Release    string
	AnyRelease bool
	// Image is the release's image (repo@digest), and Cluster and Services the ECS services that must
	// run it: what a check that cannot reach the API over HTTP looks at instead.
	Image, Cluster string
	Services       []string
}

// HTTP checks the API and the SPA over HTTP: the API answers t.APIPath with t.APIStatus (and
// t.APIBodyContains) as the new release (when t.Release is set and not t.AnyRelease), and the SPA's
// index.html references the new release's entry file.
func HTTP(ctx context.Context, t Target, opts ...Option) (string, error) {
	api, err := API(ctx, t.APIURL, append(append([]Option(nil), opts...), t.APIOptions()...)...)
	if err != nil {
		return "", err
	}
	spa, err := SPA(ctx, t.ClientURL, t.Entry, append(append([]Option(nil), opts...), WithEntryKind(t.EntryKind))...)
	if err != nil {
		return "", err
	}
	return firstLine(api.Text()) + "; " + firstLine(spa.Text()), nil
}

// APIOptions are the API check's options the target sets: path, status, body and release.
func (t Target) APIOptions() []Option {
	o := []Option{WithPath(t.APIPath), WithStatus(t.APIStatus), WithBodyContains(t.APIBodyContains)}
	if t.Release != "" && !t.AnyRelease {
		o = append(o, WithRelease(t.Release))
	}
	return o
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
