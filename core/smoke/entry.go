package smoke

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// How an index.html names its entry script (EntryFileOf's kind).
const (
	// EntryModule is Vite's: the first <script type="module" src>.
	EntryModule = "module"
	// EntryScript is Create React App's (webpack's): the first <script src> of the site itself,
	// `<script defer="defer" src="/static/js/main.<hash>.js">`, a classic script.
	EntryScript = "script"
)

// EntryFile returns the entry script of a Vite-built index.html: the src of its first
// <script type="module" src=…> (Vite writes exactly one per HTML entry), as a path without the
// leading slash, query or fragment: `<script type="module" crossorigin src="/assets/index.D7pahZg3.js">`
// gives "assets/index.D7pahZg3.js". An absolute src (a CDN base) gives its path. Inline module
// scripts and nomodule scripts are skipped.
func EntryFile(indexHTML []byte) (string, error) { return EntryFileOf(indexHTML, EntryModule) }

// EntryFileOf returns the entry script of an index.html built the way kind says: EntryModule ("" too)
// as EntryFile; EntryScript the src of the first classic or module <script src> (not nomodule, not a
// data block such as type="application/ld+json") that names no other host — a script of another host
// (an analytics tag in public/index.html) is taken only when the page has no script of its own:
// `<script defer="defer" src="/static/js/main.9ad53866.js">` gives "static/js/main.9ad53866.js".
func EntryFileOf(indexHTML []byte, kind string) (string, error) {
	switch kind {
	case "", EntryModule:
		kind = EntryModule
	case EntryScript:
	default:
		return "", fmt.Errorf("smoke: unknown entry kind %q (%s or %s)", kind, EntryModule, EntryScript)
	}
	z := html.NewTokenizer(bytes.NewReader(indexHTML))
	foreign := ""
	for {
		switch z.Next() {
		case html.ErrorToken:
			if !errors.Is(z.Err(), io.EOF) {
				return "", errors.New("index.html could not be parsed: " + z.Err().Error())
			}
			if foreign != "" {
				return foreign, nil
			}
			if kind == EntryModule {
				return "", errors.New(`index.html has no <script type="module" src=…>: not a Vite build (or not HTML)`)
			}
			return "", errors.New(`index.html has no <script src=…>: not a Create React App build (or not HTML)`)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "script" || !hasAttr {
				continue
			}
			s := scriptAttrs(z)
			if s.src == "" || s.nomodule {
				continue
			}
			p := normalizeEntry(s.src)
			switch {
			case p == "":
			case kind == EntryModule && s.typ == "module":
				return p, nil
			case kind == EntryScript && isScriptType(s.typ):
				if !s.otherHost {
					return p, nil
				}
				if foreign == "" {
					foreign = p
				}
			}
		}
	}
}

type scriptTag struct {
	typ, src            string
	nomodule, otherHost bool
}

func scriptAttrs(z *html.Tokenizer) scriptTag {
	var s scriptTag
	for more := true; more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		switch strings.ToLower(string(k)) {
		case "type":
			s.typ = strings.ToLower(strings.TrimSpace(string(v)))
		case "src":
			s.src = strings.TrimSpace(string(v))
		case "nomodule":
			s.nomodule = true
		}
	}
	if u, err := url.Parse(s.src); err == nil && u.Host != "" {
		s.otherHost = true
	}
	return s
}

// isScriptType: a script the browser runs (no type, a JavaScript MIME type, or module).
func isScriptType(typ string) bool {
	switch typ {
	case "", "module", "text/javascript", "application/javascript", "application/ecmascript", "text/ecmascript":
		return true
	}
	return false
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
