package smoke

import (
	"context"
	"fmt"
	"net/http"
)

// SPA checks that the index.html served at url (the CloudFront distribution, e.g.
// https://app.example.com/) references entryFile, the hashed entry script of the bundle just
// released (e.g. "assets/index.D7pahZg3.js"; take it from the local build with EntryFile on
// dist/index.html; WithEntryKind(EntryScript) for a Create React App build). An older entry is retried for the bounded time (an edge may still hold the
// old index.html); anything but 200 other than 429/502/503/504 fails at once.
func SPA(ctx context.Context, url, entryFile string, opts ...Option) (*Result, error) {
	o := resolve(opts)
	want := normalizeEntry(entryFile)
	if want == "" {
		res := &Result{Check: "spa", URL: url, Reason: "no expected entry file given"}
		return res, fmt.Errorf("smoke: spa check: no expected entry file given (EntryFile of the built dist/index.html)")
	}
	var found string
	res, err := poll(ctx, "spa", url, 2<<20, o, func(r response) verdict {
		if r.status != http.StatusOK {
			return verdict{reason: fmt.Sprintf("HTTP %d, want 200", r.status)}
		}
		got, err := EntryFileOf(r.body, o.entryKind)
		if err != nil {
			return verdict{reason: err.Error()}
		}
		found = got
		if !entryMatches(got, want) {
			return verdict{retry: true, reason: fmt.Sprintf("index.html references %s, want %s (old index.html still cached?)", got, want)}
		}
		return verdict{ok: true}
	})
	res.WantEntry, res.Entry = want, found
	return res, err
}
