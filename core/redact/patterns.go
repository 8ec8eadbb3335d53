package redact

import (
	"regexp"
	"strings"
)

// The patterns: text that looks like a credential whatever its value. Each starts at a trigger word
// (found, ignoring case, by one pass of the trigger matcher); the text around a trigger is then
// checked by hand, so a text without any trigger costs that pass only and one with many stays
// linear.
const (
	// patAWSKeyID: an AWS access key id, long-term (AKIA…) or temporary (ASIA…): 20 upper-case
	// letters and digits between word boundaries.
	patAWSKeyID uint32 = 1 << iota
	// patKeyValue: a key named like a secret (…password, …secret, …token, …passphrase,
	// …secret_key, api_key, access_key, private_key, Authorization …), optionally quoted, a
	// separator (=, :, :=, =>) and its value (valueSpan).
	patKeyValue
	// patBearer: a bearer token (at least 16 characters, or 8 with a digit).
	patBearer
	// patURLUserinfo: the password of scheme://user:password@host (up to the last @ of the authority).
	patURLUserinfo
	// patPrivateKey: a PEM, OpenSSH or PGP private key block (applyPatterns: across lines).
	patPrivateKey
)

// keyWords end a key named like a secret; keySuffixes may follow them (SECRET_KEY, token-key).
var keyWords = []string{"password", "passwd", "passphrase", "secret", "token", "authorization",
	"apikey", "api_key", "api-key", "accesskey", "access_key", "access-key", "privatekey", "private_key",
	"private-key", "signingkey", "signing_key", "encryptionkey", "encryption_key", "masterkey", "master_key"}

// triggerNeedles are the patterns' trigger words (lower case).
func triggerNeedles() []needle {
	ns := []needle{{"akia", patAWSKeyID}, {"asia", patAWSKeyID}, {"bearer", patBearer}, {"://", patURLUserinfo},
		{"-----begin", patPrivateKey}}
	for _, k := range keyWords {
		ns = append(ns, needle{k, patKeyValue})
	}
	return ns
}

// triggers is the matcher of a Redactor that knows no secret.
var triggers = newMatcher(triggerNeedles())

// privateKeyBegin: a PEM/OpenSSH/PGP private key's first line (group 1 its label).
var privateKeyBegin = regexp.MustCompile(`-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----`)

// span is a part of a text to replace by Marker.
type span struct{ start, end int }

// event is a trigger word found at a position of a text.
type event struct {
	at int
	n  *needle
}

// lineSpans are the values the patterns redact in line (spans relative to it), given the trigger
// words found in it (positions relative to it), in order, not overlapping.
func lineSpans(line string, evs []event) []span {
	var out []span
	add := func(s, e int) {
		if e > s && !strings.HasPrefix(line[s:], Marker) {
			out = append(out, span{s, e})
		}
	}
	for _, ev := range evs {
		at, end := ev.at, ev.at+len(ev.n.s)
		switch ev.n.mask {
		case patKeyValue:
			if s, e, ok := keyValueAt(line, at, end, ev.n.s); ok {
				add(s, e)
			}
		case patAWSKeyID:
			if line[at] == 'A' && (at == 0 || !isWord(line[at-1])) && at+20 <= len(line) &&
				(line[at+1:at+4] == "KIA" || line[at+1:at+4] == "SIA") && allKeyIDChars(line[at+4:at+20]) &&
				(at+20 == len(line) || !isWord(line[at+20])) {
				add(at, at+20)
			}
		case patBearer:
			if at > 0 && isWord(line[at-1]) {
				continue
			}
			s := end
			for s < len(line) && (line[s] == ' ' || line[s] == '\t') {
				s++
			}
			if s == end {
				continue
			}
			e := s
			for e < len(line) && isTokenChar(line[e]) {
				e++
			}
			for e < len(line) && line[e] == '=' {
				e++
			}
			if tok := line[s:e]; len(tok) >= 16 || (len(tok) >= 8 && strings.ContainsAny(tok, "0123456789")) {
				add(s, e)
			}
		case patURLUserinfo:
			if s, e, ok := urlPassword(line, at); ok {
				add(s, e)
			}
		}
	}
	return merge(out)
}

// keyValueAt reads a key ending in the key word line[at:end] (then an optional _key/-key suffix,
// an optional closing quote, a separator) and returns its value's span.
func keyValueAt(line string, at, end int, word string) (int, int, bool) {
	if end < len(line) && isLetter(line[end]) {
		if !hasFoldPrefix(line[end:], "key") {
			return 0, 0, false
		}
		end += 3 // passwordkey, tokenkey
	} else if end+3 < len(line) && (line[end] == '_' || line[end] == '-') && hasFoldPrefix(line[end+1:], "key") {
		end += 4 // SECRET_KEY, token-key
	}
	if end < len(line) && isWord(line[end]) {
		return 0, 0, false // secretsmanager, tokenizer, password_hash
	}
	keyQuoted := false
	switch {
	case strings.HasPrefix(line[end:], `\"`):
		end, keyQuoted = end+2, true
	case end < len(line) && (line[end] == '"' || line[end] == '\''):
		end, keyQuoted = end+1, true
	}
	i := skipSpace(line, end)
	var sep string
	for _, s := range []string{":=", "=>", ":", "="} {
		if strings.HasPrefix(line[i:], s) {
			sep = s
			break
		}
	}
	if sep == "" {
		return 0, 0, false
	}
	j := skipSpace(line, i+len(sep))
	// A key word that is an ARN's or a path's segment (…:secret:name) followed by a bare ':' names a
	// resource, it holds no credential.
	if !keyQuoted && sep == ":" && j == i+1 && at > 0 && line[at-1] == ':' {
		return 0, 0, false
	}
	s, e := valueSpan(line, j, strings.EqualFold(word, "authorization"))
	if placeholder(line[s:e]) || strings.HasPrefix(line[s:], Marker) {
		return 0, 0, false
	}
	return s, e, true
}

// urlPassword is the password of the URL whose "://" is at at: the scheme must be there, the
// authority (up to /, ?, #, a quote or a space) must hold user:password@ (the last @ ends it).
func urlPassword(line string, at int) (int, int, bool) {
	s := at
	for s > 0 && (isLetter(line[s-1]) || isDigit(line[s-1]) || line[s-1] == '+' || line[s-1] == '.' || line[s-1] == '-') {
		s--
	}
	if s == at || !isLetter(line[s]) {
		return 0, 0, false
	}
	a := at + 3
	e := a
	for e < len(line) && !strings.ContainsRune(" \t\r\n/?#'\"", rune(line[e])) {
		e++
	}
	auth := line[a:e]
	last := strings.LastIndexByte(auth, '@')
	if last < 0 {
		return 0, 0, false
	}
	colon := strings.IndexByte(auth[:last], ':')
	if colon < 0 || strings.IndexByte(auth[:colon], '@') >= 0 {
		return 0, 0, false
	}
	return a + colon + 1, a + last, true
}

// valueSpan is the value starting at at: a quoted string (", ' or \" quotes, up to the closing
// quote), the rest of the line up to a quote when rest (an Authorization header's scheme and
// credentials), or else one word.
func valueSpan(s string, at int, rest bool) (int, int) {
	switch {
	case strings.HasPrefix(s[at:], `\"`):
		start := at + 2
		if i := strings.Index(s[start:], `\"`); i >= 0 {
			return start, start + i
		}
		return start, lineEnd(s, start)
	case at < len(s) && (s[at] == '"' || s[at] == '\''):
		q, start := s[at], at+1
		for i := start; i < len(s) && s[i] != '\n'; i++ {
			if s[i] == '\\' {
				i++
				continue
			}
			if s[i] == q {
				return start, i
			}
		}
		return start, lineEnd(s, start)
	case rest:
		end := at
		for end < len(s) && s[end] != '\n' && s[end] != '\r' && s[end] != '"' && s[end] != '\'' && s[end] != '`' {
			end++
		}
		for end > at && (s[end-1] == ' ' || s[end-1] == '\t') {
			end--
		}
		return at, end
	}
	end := at
	for end < len(s) && !strings.ContainsRune(" \t\r\n\"'`,;&)}]>", rune(s[end])) {
		end++
	}
	return at, end
}

func lineEnd(s string, from int) int {
	if i := strings.IndexByte(s[from:], '\n'); i >= 0 {
		return from + i
	}
	return len(s)
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// placeholder says whether a value is not a secret but a stand-in for one (or nothing).
func placeholder(v string) bool {
	if v == "" || strings.Trim(v, "*") == "" {
		return true
	}
	switch strings.ToLower(v) {
	case "null", "nil", "none", "true", "false":
		return true
	}
	for _, p := range []string{Marker, "(sensitive", "${", "<", "%s", "%v", "%q", "{{"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isWord(c byte) bool   { return isLetter(c) || isDigit(c) || c == '_' }
func isTokenChar(c byte) bool {
	return isLetter(c) || isDigit(c) || strings.IndexByte("-._~+/", c) >= 0
}

func allKeyIDChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= 'A' && s[i] <= 'Z') && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// merge sorts the spans by start and joins overlapping ones.
func merge(sp []span) []span {
	if len(sp) < 2 {
		return sp
	}
	for i := 1; i < len(sp); i++ { // insertion sort: a line has few spans
		for j := i; j > 0 && sp[j].start < sp[j-1].start; j-- {
			sp[j], sp[j-1] = sp[j-1], sp[j]
		}
	}
	out := sp[:1]
	for _, s := range sp[1:] {
		last := &out[len(out)-1]
		if s.start <= last.end {
			last.end = max(last.end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

// lineHit is a line holding trigger words (events relative to the line; mask their patterns).
type lineHit struct {
	start, end int
	mask       uint32
	evs        []event
}

// found is what one pass of a matcher found in a text: the known secrets' spans (overlapping ones
// joined) and the lines holding trigger words.
type found struct {
	secrets []span
	lines   []lineHit
}

func (m *matcher) find(t string) found {
	var f found
	m.each(t, func(at int, n *needle) {
		if n.mask == 0 {
			end := at + len(n.s)
			if k := len(f.secrets) - 1; k >= 0 && at <= f.secrets[k].end {
				f.secrets[k].end = max(f.secrets[k].end, end)
				return
			}
			f.secrets = append(f.secrets, span{at, end})
			return
		}
		k := len(f.lines) - 1
		if k < 0 || at >= f.lines[k].end {
			f.lines = append(f.lines, lineHit{start: strings.LastIndexByte(t[:at], '\n') + 1, end: lineEnd(t, at)})
			k++
		}
		f.lines[k].mask |= n.mask
		f.lines[k].evs = append(f.lines[k].evs, event{at - f.lines[k].start, n})
	})
	return f
}

// Found are the values the patterns would redact in text (each once, those of at least
// MinSecretLen bytes): the way to register the secrets inside a configuration text whose whole is
// not what leaks — OpenTofu's TF_ENCRYPTION (its passphrase = "…"), a shared credentials file (its
// aws_secret_access_key = …). Private key blocks are not returned (add the key itself).
func Found(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range triggers.find(text).lines {
		line := text[h.start:h.end]
		for _, sp := range lineSpans(line, h.evs) {
			if v := line[sp.start:sp.end]; len(v) >= MinSecretLen && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}
