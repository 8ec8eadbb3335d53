package release

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestIsHashed(t *testing.T) {
	cases := map[string]bool{
		"static/js/main.8f3a2b1c.js":             true,
		"static/js/787.1a2b3c4d.chunk.js":        true,
		"static/js/main.8f3a2b1c.js.map":         true,
		"static/css/main.0a1b2c3d.css":           true,
		"assets/index-BHd3cGz4.js":               true,
		"assets/vendor-4f2a9c1d.css":             true,
		"static/media/logo.6ce24c58023cc2f8.svg": true,
		"index.html":                             false,
		"index.8f3a2b1c.html":                    false, // HTML is an entry point, never immutable
		"favicon.ico":                            false,
		"manifest.json":                          false,
		"robots.txt":                             false,
		"asset-manifest.json":                    false,
		"static/js/my-component.js":              false, // a word, not a hash
		"static/js/main.chunk.js":                false,
		"service-worker.js":                      false,
		"static/js/main.1234.js":                 false, // too short
		"static/js/main.abcdefgh.js":             false, // no digit: a word
		"logo192.png":                            false,
		"assets/Home.BRl_crds.js":                true, // Vite base64url hash without a digit
		"assets/index.B43b3h-f.js":               true,
		"assets/Offer.xuYOtVam.css":              true,
		"static/js/Component.Settings.js":        false, // Capitalised words, not hashes
	}
	for name, want := range cases {
		if got := IsHashed(name); got != want {
			t.Errorf("IsHashed(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestHeadersDefaultsAndRules(t *testing.T) {
	rules, err := ParseRules([]byte(`{"rules":[
		{"match":"service-worker.js","cacheControl":"no-cache, no-store"},
		{"match":"static/media/*","cacheControl":"public, max-age=86400"},
		{"match":"*.data","contentType":"application/octet-stream"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, ct, cc string }{
		{"index.html", "text/html; charset=utf-8", CacheNoCache},
		{"static/js/main.8f3a2b1c.js", "text/javascript; charset=utf-8", CacheImmutable},
		{"static/js/x.8f3a2b1c.mjs", "text/javascript; charset=utf-8", CacheImmutable},
		{"static/css/main.0a1b2c3d.css", "text/css; charset=utf-8", CacheImmutable},
		{"static/js/main.8f3a2b1c.js.map", "application/json", CacheImmutable},
		{"manifest.webmanifest", "application/manifest+json", CacheNoCache},
		{"app.1a2b3c4d.wasm", "application/wasm", CacheImmutable},
		{"fonts/inter.1a2b3c4d.woff2", "font/woff2", CacheImmutable},
		{"favicon.ico", "image/x-icon", CacheNoCache},
		{"logo.svg", "image/svg+xml", CacheNoCache},
		{"service-worker.js", "text/javascript; charset=utf-8", "no-cache, no-store"},
		{"static/media/logo.6ce24c58.png", "image/png", "public, max-age=86400"}, // rule beats the hash default
		{"blob.data", "application/octet-stream", CacheNoCache},
	}
	for _, c := range cases {
		ct, cc := Headers(c.path, nil, rules)
		if ct != c.ct || cc != c.cc {
			t.Errorf("Headers(%q) = %q, %q; want %q, %q", c.path, ct, cc, c.ct, c.cc)
		}
	}
}

func TestContentTypeSniffsUnknownExtensions(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	if got := ContentType("images/photo", png); got != "image/png" {
		t.Errorf("sniffed PNG without extension = %q", got)
	}
	if got := ContentType("LICENSE", []byte("MIT License\n")); got != "text/plain; charset=utf-8" {
		t.Errorf("sniffed text = %q", got)
	}
	if got := ContentType("page.HTML", nil); got != "text/html; charset=utf-8" {
		t.Errorf("upper-case extension = %q", got)
	}
}

func TestParseRulesRejectsBadInput(t *testing.T) {
	for _, bad := range []string{
		`{"rules":[{"match":"*.js"}]}`,                        // sets nothing
		`{"rules":[{"cacheControl":"no-cache"}]}`,             // no glob
		`{"rules":[{"match":"[","cacheControl":"no-cache"}]}`, // bad glob
		`{"rules":[{"match":"*.js","cache":"no-cache"}]}`,     // unknown field
		`not json`,
	} {
		if _, err := ParseRules([]byte(bad)); err == nil {
			t.Errorf("ParseRules(%s) accepted bad input", bad)
		}
	}
}

func TestMultipartETagMath(t *testing.T) {
	// 20 MiB + 3 bytes in 8 MiB parts: 3 parts.
	data := bytes.Repeat([]byte("0123456789abcdef"), (20<<20)/16)
	data = append(data, 'x', 'y', 'z')
	size := int64(len(data))
	if n := PartCount(size, 8<<20); n != 3 {
		t.Fatalf("PartCount = %d, want 3", n)
	}
	// Reference computed by hand: md5 of the concatenated part md5s.
	var cat []byte
	for off := 0; off < len(data); off += 8 << 20 {
		end := off + 8<<20
		if end > len(data) {
			end = len(data)
		}
		s := md5.Sum(data[off:end])
		cat = append(cat, s[:]...)
	}
	all := md5.Sum(cat)
	want := hex.EncodeToString(all[:]) + "-3"
	got, err := MultipartETag(bytes.NewReader(data), size, 8<<20)
	if err != nil || got != want {
		t.Fatalf("MultipartETag = %q, %v; want %q", got, err, want)
	}
	d, parts := ParseETag(`"` + want + `"`)
	if parts != 3 || d+"-3" != want {
		t.Errorf("ParseETag = %q, %d", d, parts)
	}
	if d, parts := ParseETag(`"D41D8CD98F00B204E9800998ECF8427E"`); parts != 0 || d != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Errorf("ParseETag single = %q, %d", d, parts)
	}
	sizes := MultipartPartSizes(size, 3)
	if len(sizes) == 0 || sizes[0] != 8<<20 {
		t.Errorf("MultipartPartSizes(20MiB, 3) = %v, want 8 MiB first", sizes)
	}
	for _, ps := range sizes {
		if PartCount(size, ps) != 3 {
			t.Errorf("candidate part size %d gives %d parts", ps, PartCount(size, ps))
		}
	}
	// matchesMultipart finds it and rejects a different file.
	if !matchesMultipartBytes(data, want) {
		t.Errorf("matchesMultipart did not recognise its own ETag")
	}
	other := append([]byte(nil), data...)
	other[5] = '!'
	if matchesMultipartBytes(other, want) {
		t.Errorf("matchesMultipart accepted different bytes")
	}
	// A 6 MiB file uploaded in 5 MiB parts (SDK upload manager default): 2 parts.
	six := data[:6<<20]
	e5, _ := MultipartETag(bytes.NewReader(six), int64(len(six)), 5<<20)
	if !strings.HasSuffix(e5, "-2") || !matchesMultipartBytes(six, e5) {
		t.Errorf("5 MiB-part ETag %q not matched", e5)
	}
}

func matchesMultipartBytes(b []byte, etag string) bool {
	return matchesMultipart(func() (io.ReaderAt, func() error, error) {
		return bytes.NewReader(b), func() error { return nil }, nil
	}, int64(len(b)), fmt.Sprintf("%q", etag))
}
