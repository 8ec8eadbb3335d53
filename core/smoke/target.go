package smoke

import (
	"context"
	"strings"
)

// Target is what a release's smoke check looks at.
type Target struct {
	// APIURL is the API's base URL (through the load balancer).
	APIURL string
	// ClientURL is the SPA's URL (through CloudFront) and Entry the hashed entry file its index.html
	// must reference (the new release's, not a cached older one).
	ClientURL, Entry string
	// ClientBucket is the bucket CloudFront serves the SPA from.
	ClientBucket string
	// Release is the commit the API must answer as (ReleaseHeader); empty: any 200 will do.
	Release string
	// Image is the release's image (repo@digest), and Cluster and Services the ECS services that must
	// run it: what a check that cannot reach the API over HTTP looks at instead.
	Image, Cluster string
	Services       []string
}

// HTTP checks the API and the SPA over HTTP: the API answers as the new release (when t.Release is
// set), and the SPA's index.html references the new release's entry file.
func HTTP(ctx context.Context, t Target, opts ...Option) (string, error) {
	apiOpts := opts
	if t.Release != "" {
		apiOpts = append(append([]Option(nil), opts...), WithRelease(t.Release))
	}
	api, err := API(ctx, t.APIURL, apiOpts...)
	if err != nil {
		return "", err
	}
	spa, err := SPA(ctx, t.ClientURL, t.Entry, opts...)
	if err != nil {
		return "", err
	}
	return firstLine(api.Text()) + "; " + firstLine(spa.Text()), nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
