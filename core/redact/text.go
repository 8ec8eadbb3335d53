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

// redact finds the known secrets and the patterns' trigger words in s in one pass, then writes s
// once with the union of the secrets' and the patterns' spans replaced by Marker.
func (r *Redactor) redact(s string, st *state) string {
	if st.inKey != "" { // the rest of a private key block: dropped up to its END line
		end := strings.Index(s, "-----END "+st.inKey+"-----")
		if end < 0 {
			return ""
		}
		st.inKey, s = "", s[end:]
	}
	f := r.matcher().find(s)
	sp := union(f.secrets, patternSpans(s, f.lines, st))
	if len(sp) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	writeSpans(&b, s, sp)
	return b.String()
}

// union merges two ordered span lists into one, joining overlapping spans.
func union(a, b []span) []span {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make([]span, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		var next span
		if len(b) == 0 || (len(a) > 0 && a[0].start <= b[0].start) {
			next, a = a[0], a[1:]
		} else {
			next, b = b[0], b[1:]
		}
		if k := len(out) - 1; k >= 0 && next.start <= out[k].end {
			out[k].end = max(out[k].end, next.end)
			continue
		}
		out = append(out, next)
	}
	return out
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

// patternSpans are the spans the patterns redact in t, given its lines holding trigger words, in order: values line by line, and private
// key blocks across lines — everything between a BEGIN … PRIVATE KEY line and its END line, or up
// to the end of t, the block then continuing in st.
func patternSpans(t string, lines []lineHit, st *state) []span {
	var out []span
	pos := 0 // everything before pos is dealt with
	for _, h := range lines {
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
		line := t[h.start:h.end]
		if h.mask&patPrivateKey != 0 {
			if m := privateKeyBegin.FindStringSubmatchIndex(line); m != nil {
				out = appendShifted(out, lineSpans(line[:m[0]], eventsBefore(h.evs, m[0])), h.start)
				head := h.start + m[1]
				label := line[m[2]:m[3]]
				end := strings.Index(t[head:], "-----END "+label+"-----")
				if end < 0 {
					st.inKey = label
					return append(out, span{head, len(t)})
				}
				if end > 0 {
					out = append(out, span{head, head + end})
				}
				pos = head + end
				continue
			}
		}
		out = appendShifted(out, lineSpans(line, h.evs), h.start)
		pos = h.end
	}
	return out
}

func appendShifted(out, sp []span, by int) []span {
	for _, s := range sp {
		out = append(out, span{s.start + by, s.end + by})
	}
	return out
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
