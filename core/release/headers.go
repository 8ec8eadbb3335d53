package release

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path"
	"strings"
)

// Cache-Control values of the default rules.
const (
	// CacheImmutable is sent for content-hashed assets: their name changes when their bytes do.
	CacheImmutable = "public, max-age=31536000, immutable"
	// CacheNoCache is sent for HTML entry points and every non-hashed file: browsers and
	// CloudFront revalidate them on each use, so a release is visible at once.
	CacheNoCache = "no-cache"
)

// contentTypes maps a lower-case extension to the Content-Type sent to S3. Text types carry
// charset=utf-8 (bundlers emit UTF-8). Extensions not listed fall back to content sniffing.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".htm":         "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".cjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".wasm":        "application/wasm",
	".txt":         "text/plain; charset=utf-8",
	".xml":         "application/xml",
	".pdf":         "application/pdf",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".ttf":         "font/ttf",
	".otf":         "font/otf",
	".eot":         "application/vnd.ms-fontobject",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/x-icon",
	".bmp":         "image/bmp",
	".mp4":         "video/mp4",
	".webm":        "video/webm",
	".mp3":         "audio/mpeg",
	".ogg":         "audio/ogg",
	".wav":         "audio/wav",
}

// ContentType returns the Content-Type for a bundle file: by extension first, and when the
// extension is unknown by sniffing head (the first up-to-512 bytes, http.DetectContentType).
func ContentType(name string, head []byte) string {
	if ct, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return ct
	}
	return http.DetectContentType(head)
}

// IsHTML reports whether name is an HTML entry point (written last, never cached for long).
func IsHTML(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".html" || ext == ".htm"
}

// IsHashed reports whether a file name carries a content hash, so its bytes never change under
// that name. Recognised forms (the base name is split at dots):
//
//	main.8f3a2b1c.js, 787.1a2b3c4d.chunk.js, main.8f3a2b1c.js.map   (webpack/CRA: a middle segment)
//	index-BHd3cGzA.js, vendor-4f2a9c1d.css                           (Vite/Rollup: "-hash" ending the stem)
//
// A hash segment is 8–64 characters of [A-Za-z0-9_-] with a digit or an upper-case letter after
// the first (so plain words such as "component" or "Component" never count). HTML files are never hashed.
func IsHashed(name string) bool {
	base := path.Base(name)
	if IsHTML(base) {
		return false
	}
	parts := strings.Split(base, ".")
	if len(parts) < 2 {
		return false
	}
	for _, seg := range parts[1 : len(parts)-1] {
		if isHashSegment(seg) {
			return true
		}
	}
	stem := parts[0]
	if i := strings.LastIndex(stem, "-"); i > 0 && isHashSegment(stem[i+1:]) {
		return true
	}
	return false
}

func isHashSegment(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	// Vite/Rollup hashes are base64url: letters of both cases, digits, '_' and '-'. A word is all
	// lower case, or Capitalised: a digit or an upper-case letter after the first marks a hash.
	marked := false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			marked = true
		case c >= 'A' && c <= 'Z':
			if i > 0 {
				marked = true
			}
		case c >= 'a' && c <= 'z', c == '_', c == '-':
		default:
			return false
		}
	}
	return marked
}

// Rule overrides the default headers of the files it matches. The first matching rule wins;
// an empty field keeps the default for that header.
type Rule struct {
	// Match is a path.Match glob. A pattern with a "/" matches the bundle-relative path
	// ("static/js/*.js"); one without matches the base name anywhere ("*.webmanifest").
	// "**" is not special.
	Match string `json:"match"`
	// CacheControl replaces the default Cache-Control.
	CacheControl string `json:"cacheControl,omitempty"`
	// ContentType replaces the detected Content-Type.
	ContentType string `json:"contentType,omitempty"`
}

// rulesFile is the JSON form of a rules file.
type rulesFile struct {
	Rules []Rule `json:"rules"`
}

// LoadRules reads a rules file: JSON of the form
//
//	{"rules": [
//	  {"match": "service-worker.js", "cacheControl": "no-cache, no-store"},
//	  {"match": "static/media/*",    "cacheControl": "public, max-age=86400"},
//	  {"match": "*.wasm",            "contentType": "application/wasm"}
//	]}
//
// Unknown fields, bad globs and rules that set nothing are errors.
func LoadRules(file string) ([]Rule, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("release: read rules file: %w", err)
	}
	return ParseRules(b)
}

// ParseRules parses the JSON of a rules file (see LoadRules).
func ParseRules(b []byte) ([]Rule, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var f rulesFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf(`release: rules file is not {"rules":[{"match":…,"cacheControl":…,"contentType":…}]}: %w`, err)
	}
	for i, r := range f.Rules {
		if r.Match == "" {
			return nil, fmt.Errorf("release: rules file: rule %d has no \"match\" glob", i+1)
		}
		if _, err := path.Match(r.Match, ""); err != nil {
			return nil, fmt.Errorf("release: rules file: rule %d: bad glob %q: %v", i+1, r.Match, err)
		}
		if r.CacheControl == "" && r.ContentType == "" {
			return nil, fmt.Errorf("release: rules file: rule %d (%q) sets neither cacheControl nor contentType", i+1, r.Match)
		}
	}
	return f.Rules, nil
}

// Headers returns the Content-Type and Cache-Control for the bundle-relative path rel: the
// defaults (ContentType; CacheImmutable for hashed names, CacheNoCache otherwise) overridden by
// the first matching rule.
func Headers(rel string, head []byte, rules []Rule) (contentType, cacheControl string) {
	contentType = ContentType(rel, head)
	cacheControl = CacheNoCache
	if IsHashed(rel) {
		cacheControl = CacheImmutable
	}
	for _, r := range rules {
		if ruleMatches(r.Match, rel) {
			if r.ContentType != "" {
				contentType = r.ContentType
			}
			if r.CacheControl != "" {
				cacheControl = r.CacheControl
			}
			break
		}
	}
	return contentType, cacheControl
}

// MatchingRule is the index of the rule that sets rel's headers (the first that matches), or -1.
func MatchingRule(rel string, rules []Rule) int {
	for i, r := range rules {
		if ruleMatches(r.Match, rel) {
			return i
		}
	}
	return -1
}

func ruleMatches(pattern, rel string) bool {
	target := rel
	if !strings.Contains(pattern, "/") {
		target = path.Base(rel)
	}
	ok, _ := path.Match(pattern, target)
	return ok
}
