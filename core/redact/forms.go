package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// forms are the texts a secret value v may show as: itself, escaped for JSON (with and without HTML
// escaping) and Go string literals, URL query and path escaped (upper- and lower-case hex), and
// base64 in the standard and URL alphabets — for base64, the part of the encoding that v alone
// determines at each of the three alignments v can have inside a longer encoded text (an ECR token
// is base64("AWS:" + password), a Docker config's auth base64(user + ":" + password)).
func forms(v string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(f string) {
		if len(f) >= minNeedle && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	add(v)
	if b, err := json.Marshal(v); err == nil {
		add(string(b[1 : len(b)-1]))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) == nil {
		b := bytes.TrimSpace(buf.Bytes())
		add(string(b[1 : len(b)-1]))
	}
	q := strconv.Quote(v)
	add(q[1 : len(q)-1])
	for _, e := range []string{url.QueryEscape(v), url.PathEscape(v)} {
		add(e)
		add(lowerHexEscapes(e))
	}
	for _, m := range base64Middles(v) {
		add(m)
		add(strings.NewReplacer("+", "-", "/", "_").Replace(m))
	}
	return out
}

// base64Middles are, for each alignment k (v starting k bytes into a 3-byte group), the base64
// characters that depend on v's bytes only: the leading characters that mix in the preceding bytes
// and the trailing ones that mix in the following bytes are left out.
func base64Middles(v string) []string {
	var out []string
	for k := 0; k < 3; k++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, k), v...))
		first := (8*k + 5) / 6       // characters touching the k prefix bytes
		last := 8 * (k + len(v)) / 6 // characters fully inside prefix+v
		if last > len(enc) || first >= last {
			continue
		}
		out = append(out, enc[first:last])
	}
	return out
}

// lowerHexEscapes writes %XX escapes with lower-case hex digits (some encoders do).
func lowerHexEscapes(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}
