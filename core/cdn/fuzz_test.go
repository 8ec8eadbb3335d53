package cdn

import (
	"net/url"
	"sort"
	"strings"
	"testing"

	"bookme-deploy/core/release"
)

// FuzzPaths checks the invalidation path collapser on arbitrary changed-path lists (one path per
// line) and thresholds: Paths never panics, returns sorted unique absolute paths, never more than
// the threshold (else exactly ["/*"]), never a hashed asset, and every non-hashed input appears
// (URL-escaped, so a path CloudFront receives has no blank or control character in it).
// `go test` runs only the committed seeds (testdata/fuzz/FuzzPaths); explore with `scripts/fuzz`
// or `go test -run '^$' -fuzz=FuzzPaths -fuzztime=30s ./core/cdn/`.
func FuzzPaths(f *testing.F) {
	f.Add("index.html\nstatic/js/main.8f3a2b1c.js\nfavicon.ico", 0)
	f.Add("docs/index.html\n/robots.txt\nimages/my photo.png", 2)
	f.Add("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\no\np", 15)
	f.Add("index.html", 1)
	f.Add("ü/ß.txt\n%41\n?x#y", 3)
	f.Add("", -4)
	f.Fuzz(func(t *testing.T, lines string, threshold int) {
		changed := strings.Split(lines, "\n")
		got, collapsed := Paths(changed, threshold)
		limit := threshold
		if limit <= 0 {
			limit = DefaultThreshold
		}
		if collapsed {
			if len(got) != 1 || got[0] != "/*" {
				t.Fatalf("collapsed but paths = %q", got)
			}
			return
		}
		if len(got) > limit {
			t.Fatalf("%d paths above the threshold %d, not collapsed", len(got), limit)
		}
		if !sort.StringsAreSorted(got) {
			t.Fatalf("paths not sorted: %q", got)
		}
		seen := map[string]bool{}
		for _, p := range got {
			if seen[p] {
				t.Fatalf("duplicate path %q", p)
			}
			seen[p] = true
			if !strings.HasPrefix(p, "/") {
				t.Fatalf("path %q is not absolute", p)
			}
			if strings.ContainsAny(p, " \t\r\n\x00") {
				t.Fatalf("path %q carries a blank or control character", p)
			}
			raw, err := url.PathUnescape(p)
			if err != nil {
				t.Fatalf("path %q does not unescape: %v", p, err)
			}
			if raw != "/" && !strings.HasSuffix(raw, "/") && release.IsHashed(raw) {
				t.Fatalf("hashed asset %q invalidated", raw)
			}
		}
		for _, c := range changed {
			c = strings.TrimPrefix(c, "/")
			if c == "" || release.IsHashed(c) {
				continue
			}
			if !seen["/"+escapePath(c)] {
				t.Fatalf("changed path %q missing from %q", c, got)
			}
		}
	})
}
