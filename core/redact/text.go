package redact

import (
	"strings"
)

// String returns s with every known secret (and its encoded forms) and every credential-looking
// value replaced by Marker. Text without either is returned as it is (no copy).
func (r *Redactor) String(s string) string {
	var st state
	return r.redact(s, &st)
}

// Bytes is String for a byte slice; b itself is returned when nothing was redacted.
func (r *Redactor) Bytes(b []byte) []byte {
	s := string(b)
	if out := r.String(s); out != s {
		return []byte(out)
	}
	return b
}

// Strings redacts each string of ss in place and returns ss.
func (r *Redactor) Strings(ss []string) []string {
	for i, s := range ss {
		ss[i] = r.String(s)
	}
	return ss
}

// Error returns err with its message redacted: err itself when the message holds nothing to redact,
// else an error whose Error() is the redacted message and which unwraps to err (errors.Is and
// errors.As still see the cause; printing the cause itself is the caller's choice). Nil stays nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := r.String(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// state is what redaction carries from one piece of a stream to the next: the label of a private
// key block whose END line has not been seen yet.
type state struct{ inKey string }

func (r *Redactor) redact(s string, st *state) string {
	return applyPatterns(replaceSecrets(r.matcher(), s), st)
}

// replaceSecrets replaces every known secret form found in s.
func replaceSecrets(m *matcher, s string) string {
	var sp []span
	m.each(s, func(at int, n *needle) {
		end := at + len(n.s)
		if k := len(sp) - 1; k >= 0 && at <= sp[k].end {
			sp[k].end = max(sp[k].end, end)
			return
		}
		sp = append(sp, span{at, end})
	})
	if len(sp) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	writeSpans(&b, s, sp)
	return b.String()
}

// writeSpans writes s with each span replaced by Marker.
func writeSpans(b *strings.Builder, s string, sp []span) {
	pos := 0
	for _, p := range sp {
		b.WriteString(s[pos:p.start])
		b.WriteString(Marker)
		pos = p.end
	}
	b.WriteString(s[pos:])
}

// applyPatterns redacts what the patterns find, line by line, and private key blocks across lines:
// everything between a BEGIN … PRIVATE KEY line and its END line (or the end of t, the block then
// continuing in st).
func applyPatterns(t string, st *state) string {
	var b strings.Builder
	pos := 0
	if st.inKey != "" {
		end := strings.Index(t, "-----END "+st.inKey+"-----")
		if end < 0 {
			return ""
		}
		st.inKey, pos = "", end
	}
	hits := triggerLines(t[pos:])
	if len(hits) == 0 && pos == 0 {
		return t
	}
	b.Grow(len(t))
	base := pos
	for _, h := range hits {
		h.start, h.end = h.start+base, h.end+base
		if h.end <= pos {
			continue
		}
		if h.start < pos { // the rest of a private key's END line
			cut := pos - h.start
			var evs []event
			for _, ev := range h.evs {
				if ev.at >= cut {
					evs = append(evs, event{ev.at - cut, ev.n})
				}
			}
			h.start, h.evs = pos, evs
		}
		b.WriteString(t[pos:h.start])
		line := t[h.start:h.end]
		if h.mask&patPrivateKey != 0 {
			if m := privateKeyBegin.FindStringSubmatchIndex(line); m != nil {
				before := line[:m[0]]
				writeSpans(&b, before, lineSpans(before, eventsBefore(h.evs, m[0])))
				b.WriteString(line[m[0]:m[1]])
				b.WriteString(Marker)
				head := h.start + m[1]
				label := line[m[2]:m[3]]
				end := strings.Index(t[head:], "-----END "+label+"-----")
				if end < 0 {
					st.inKey = label
					return b.String()
				}
				pos = head + end
				continue
			}
		}
		writeSpans(&b, line, lineSpans(line, h.evs))
		pos = h.end
	}
	b.WriteString(t[pos:])
	return b.String()
}

// eventsBefore are the events whose trigger word ends before n.
func eventsBefore(evs []event, n int) []event {
	var out []event
	for _, ev := range evs {
		if ev.at+len(ev.n.s) <= n {
			out = append(out, ev)
		}
	}
	return out
}
