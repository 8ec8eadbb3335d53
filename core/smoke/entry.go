package smoke

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// EntryFile returns the entry script of a Vite-built index.html: the src of its first
// <script type="module" src=…> (Vite writes exactly one per HTML entry), as a path without the
// leading slash, query or fragment: `<script type="module" crossorigin src="/assets/index.D7pahZg3.js">`
// gives "assets/index.D7pahZg3.js". An absolute src (a CDN base) gives its path. Inline module
// scripts and nomodule scripts are skipped.
func EntryFile(indexHTML []byte) (string, error) {
	z := html.NewTokenizer(bytes.NewReader(indexHTML))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return "", errors.New(`index.html has no <script type="module" src=…>: not a Vite build (or not HTML)`)
			}
			return "", errors.New("index.html could not be parsed: " + z.Err().Error())
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "script" || !hasAttr {
				continue
			}
			var typ, src string
			var nomodule bool
			for more := true; more; {
				var k, v []byte
				k, v, more = z.TagAttr()
				switch strings.ToLower(string(k)) {
				case "type":
					typ = strings.ToLower(strings.TrimSpace(string(v)))
				case "src":
					src = strings.TrimSpace(string(v))
				case "nomodule":
					nomodule = true
				}
			}
			if typ == "module" && src != "" && !nomodule {
				if p := normalizeEntry(src); p != "" {
					return p, nil
				}
			}
		}
	}
}

// normalizeEntry turns a src or an expected entry into a comparable path: no scheme/host, no
// query or fragment, no leading slash or "./".
func normalizeEntry(s string) string {
	s = strings.TrimSpace(s)
	if u, err := url.Parse(s); err == nil {
		s = u.Path
	} else if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimPrefix(s, "./")
	return strings.TrimLeft(s, "/")
}

// entryMatches compares a found entry with the wanted one; a found path may carry a base-path
// prefix ("app/assets/x.js" matches "assets/x.js").
func entryMatches(found, want string) bool {
	return found == want || strings.HasSuffix(found, "/"+want)
}
