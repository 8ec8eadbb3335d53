package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// plant encodes secret the way enc says and puts it into text at a position chosen by pos.
func plant(text, secret string, pos uint16, enc byte) (string, string) {
	var form string
	switch enc % 5 {
	case 0:
		form = secret
	case 1:
		b, _ := json.Marshal(secret)
		form = string(b)
	case 2:
		form = url.QueryEscape(secret)
	case 3:
		form = base64.StdEncoding.EncodeToString([]byte(secret))
	case 4:
		form = "password=" + secret
	}
	i := 0
	if len(text) > 0 {
		i = int(pos) % (len(text) + 1)
	}
	return text[:i] + form + text[i:], form
}

// visible is what must not survive: the secret itself, or the part of its base64 form that only the
// secret determines.
func visible(secret string, enc byte) string {
	if enc%5 == 3 {
		return base64Middles(secret)[0]
	}
	return secret
}

// For any text with planted secrets (as they are or encoded), the output never shows one: no piece
// of the output between two markers contains it.
func FuzzRedactPlanted(f *testing.F) {
	f.Add("2026-11-26 GET /api 200\nready", "hunter2hunter2", "AKIAIOSFODNN7EXAMPLE", uint16(5), uint16(9), byte(0), byte(3))
	f.Add("password=", "p@ss w0rd\"x", "tok/en+==", uint16(9), uint16(0), byte(1), byte(2))
	f.Add("-----BEGIN RSA PRIVATE KEY-----\nabc", "secret-value", "\nnewline\tsecret", uint16(40), uint16(3), byte(4), byte(1))
	f.Add("postgres://u:", "zzzzzz", "zzzzzzzz", uint16(13), uint16(13), byte(0), byte(0))
	f.Fuzz(func(t *testing.T, text, s1, s2 string, p1, p2 uint16, e1, e2 byte) {
		r := &Redactor{}
		_ = r.Add(s1, s2)
		in, _ := plant(text, s1, p1, e1)
		in, _ = plant(in, s2, p2, e2)
		out := r.String(in)
		pieces := strings.Split(out, Marker)
		for _, c := range []struct {
			s   string
			enc byte
		}{{s1, e1}, {s2, e2}} {
			if len(c.s) < MinSecretLen {
				continue
			}
			v := visible(c.s, c.enc)
			for _, p := range pieces {
				if strings.Contains(p, v) {
					t.Fatalf("secret %q (enc %d) survives in %q\ninput %q", c.s, c.enc%5, out, in)
				}
			}
		}
		// The writer, fed byte by byte, redacts as much (it may redact more: key blocks carry over).
		var b strings.Builder
		w := NewWriter(&b, r)
		for i := range len(in) {
			_, _ = w.Write([]byte{in[i]})
		}
		_ = w.Flush()
		multiLine := strings.ContainsAny(s1+s2, "\n")
		if b.String() != out && !strings.Contains(in, "PRIVATE KEY") && !multiLine {
			t.Fatalf("writer %q\nstring %q", b.String(), out)
		}
	})
}
