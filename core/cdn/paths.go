package cdn

import (
	"net/url"
	"path"
	"sort"
	"strings"

	"bookme-deploy/core/release"
)

// Paths turns bundle-relative changed paths into CloudFront invalidation paths: hashed names
// dropped, each path made absolute and URL-escaped, "index.html" also as its directory ("/",
// "/docs/"), duplicates removed, sorted. More than threshold paths (0 = DefaultThreshold) become
// ["/*"]; collapsed reports that. No changed path gives no path at all.
func Paths(changed []string, threshold int) (paths []string, collapsed bool) {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	set := map[string]bool{}
	for _, c := range changed {
		c = strings.TrimPrefix(c, "/")
		if c == "" || release.IsHashed(c) {
			continue
		}
		set["/"+escapePath(c)] = true
		if path.Base(c) == "index.html" {
			dir := path.Dir(c)
			if dir == "." {
				set["/"] = true
			} else {
				set["/"+escapePath(dir)+"/"] = true
			}
		}
	}
	for p := range set {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	if len(paths) > threshold {
		return []string{"/*"}, true
	}
	return paths, false
}

func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
