package release

import (
	"path"
	"strings"
	"testing"
)

// FuzzHeaders checks the cache-rule matcher and the default header rules on arbitrary paths and
// globs: Headers never panics, always returns a Content-Type and a Cache-Control, a rule wins
// exactly when its glob matches (the base name for a glob without "/", the whole path otherwise),
// HTML is never immutable, and without a matching rule the Cache-Control follows IsHashed.
// `go test` runs only the committed seeds (testdata/fuzz/FuzzHeaders); explore with
// `scripts/fuzz` or `go test -run '^$' -fuzz=FuzzHeaders -fuzztime=30s ./core/release/`.
func FuzzHeaders(f *testing.F) {
	for _, s := range []struct{ rel, glob string }{
		{"index.html", "*.html"},
		{"static/js/main.8f3a2b1c.js", "static/js/*.js"},
		{"static/media/logo.6ce24c58.png", "static/media/*"},
		{"service-worker.js", "service-worker.js"},
		{"assets/index-BHd3cGz4.js", "*.js"},
		{"docs/index.8f3a2b1c.html", "docs/*"},
		{"a/b/c.d.e.f", "[a-z]*.?"},
		{"weird name ü.1234567a.css", "*ü*"},
		{"x.wasm", "["},
		{"", ""},
	} {
		f.Add(s.rel, s.glob, []byte("<!doctype html>"))
	}
	const marker = "fuzz-rule-marker"
	f.Fuzz(func(t *testing.T, rel, glob string, head []byte) {
		ct, cc := Headers(rel, head, nil)
		if ct == "" || cc == "" {
			t.Fatalf("Headers(%q) gave an empty header: %q, %q", rel, ct, cc)
		}
		hashed := IsHashed(rel)
		if IsHTML(rel) && hashed {
			t.Fatalf("IsHashed(%q) is true for an HTML entry point", rel)
		}
		if want := map[bool]string{true: CacheImmutable, false: CacheNoCache}[hashed]; cc != want {
			t.Fatalf("Headers(%q) Cache-Control %q without rules, want %q (IsHashed %v)", rel, cc, want, hashed)
		}
		if IsHashed(path.Base(rel)) != hashed {
			t.Fatalf("IsHashed(%q) depends on the directory", rel)
		}
		// One rule: it must win exactly when path.Match says so.
		rules := []Rule{{Match: glob, CacheControl: marker}}
		_, gotCC := Headers(rel, head, rules)
		target := rel
		if !strings.Contains(glob, "/") {
			target = path.Base(rel)
		}
		matched, err := path.Match(glob, target)
		if err != nil {
			matched = false
		}
		if (gotCC == marker) != matched {
			t.Fatalf("rule %q on %q: applied=%v, path.Match(%q, %q)=%v", glob, rel, gotCC == marker, glob, target, matched)
		}
		// A later rule never beats an earlier matching one.
		rules = append(rules, Rule{Match: "*", CacheControl: "second"})
		if _, cc2 := Headers(rel, head, rules); matched && cc2 != marker {
			t.Fatalf("first matching rule %q lost to a later one on %q: %q", glob, rel, cc2)
		}
	})
}
