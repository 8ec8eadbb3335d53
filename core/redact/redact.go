// Package redact keeps secrets out of every text that leaves the module: errors, the deploy record
// and its Markdown summary, progress output and the traces' events.
//
// A Redactor replaces two kinds of text with Marker:
//
//   - known secret values, registered at run time with Add (AWS secret keys and session tokens, the
//     Redis AUTH token, the state-encryption passphrase, registry and database passwords), and
//     their encoded forms: base64 (at any alignment inside a longer base64 text, standard and URL
//     alphabets), URL query and path escaping, JSON and Go string escaping;
//   - text that looks like a credential whatever its value (patterns.go): AWS access key ids
//     (AKIA…, ASIA…), values of keys named like secrets (password=…, "secretAccessKey": "…",
//     passphrase = "…", api_key: …), Authorization headers, bearer tokens, private key blocks and
//     the password of URLs with userinfo (scheme://user:password@host).
//
// A Redactor is safe for concurrent use: Add publishes a new immutable matcher, readers never lock.
// Its methods accept a nil *Redactor, which applies the patterns only. The core finds the run's
// Redactor in the context (NewContext, From): code that only has a context never needs another way.
package redact

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// Marker replaces every redacted value.
const Marker = "[redacted]"

// MinSecretLen is the shortest value Add accepts: a shorter one would match ordinary text.
const MinSecretLen = 6

// Redactor redacts known secret values and credential-looking text. The zero value (and nil) knows
// no secret and applies the patterns.
type Redactor struct {
	addMu   sync.Mutex // serialises Add; readers use the published matcher only
	secrets atomic.Pointer[secretSet]
}

// secretSet is one immutable generation of the known secrets.
type secretSet struct {
	values map[string]bool
	m      *matcher
}

// New returns a Redactor that knows the given secret values (see Add; values shorter than
// MinSecretLen are refused with an error that does not name them).
func New(secrets ...string) (*Redactor, error) {
	r := &Redactor{}
	return r, r.Add(secrets...)
}

// ErrTooShort is returned (wrapped) by Add for values shorter than MinSecretLen: they cannot be
// redacted without corrupting ordinary text.
var ErrTooShort = errors.New("redact: secret shorter than 6 bytes not registered")

// Add registers secret values: from now on they (and their encoded forms) are redacted. Empty values
// are ignored; a value shorter than MinSecretLen is not registered and reported in the error (by
// count, never by value). Surrounding whitespace is ignored too (a value read from a file may end in
// a newline): both the value and its trimmed form are registered, and so is each line (of at least
// MinSecretLen bytes) of a value of several lines. Add on a nil Redactor does nothing.
func (r *Redactor) Add(secrets ...string) error {
	if r == nil {
		return nil
	}
	r.addMu.Lock()
	defer r.addMu.Unlock()
	old := r.secrets.Load()
	values := map[string]bool{}
	if old != nil {
		for v := range old.values {
			values[v] = true
		}
	}
	short, added := 0, 0
	for _, s := range secrets {
		vs := []string{s, strings.TrimSpace(s)}
		if strings.ContainsAny(s, "\n") {
			// A stream redacted line by line (Writer, Lines) never sees the whole secret: its lines
			// are registered as well (those long enough; a PEM key's are, and its block is a pattern).
			for _, l := range strings.Split(s, "\n") {
				if l = strings.TrimSpace(l); len(l) >= MinSecretLen {
					vs = append(vs, l)
				}
			}
		}
		for _, v := range vs {
			switch {
			case v == "" || values[v]:
			case len(v) < MinSecretLen:
				if v == strings.TrimSpace(s) {
					short++
				}
			default:
				values[v] = true
				added++
			}
		}
	}
	if added > 0 {
		needles := triggerNeedles()
		for v := range values {
			for _, f := range forms(v) {
				needles = append(needles, needle{s: f})
			}
		}
		r.secrets.Store(&secretSet{values: values, m: newMatcher(needles)})
	}
	if short > 0 {
		return fmt.Errorf("%w (%d value(s))", ErrTooShort, short)
	}
	return nil
}

// Len is the number of distinct secret values registered.
func (r *Redactor) Len() int {
	if r == nil {
		return 0
	}
	if s := r.secrets.Load(); s != nil {
		return len(s.values)
	}
	return 0
}

// matcher finds the known secrets and the patterns' trigger words (only the latter before Add).
func (r *Redactor) matcher() *matcher {
	if r != nil {
		if s := r.secrets.Load(); s != nil {
			return s.m
		}
	}
	return triggers
}
