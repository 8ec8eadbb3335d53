package redact

import "sort"

// minNeedle is the shortest text a matcher looks for (its index is on 3-byte prefixes).
const minNeedle = 3

// needle is one text a matcher finds: a secret's form (mask 0, matched exactly) or a pattern's
// trigger word (matched ignoring ASCII case; mask says which patterns it triggers).
type needle struct {
	s    string
	mask uint32
}

// matcher finds many needles in one pass: each position's first three bytes, ASCII case folded, are
// hashed into a 64 Kibit filter; only filter hits look up the needles starting with those bytes and
// compare them. The filter fits in the L1 cache, so a text with few hits is read at a few hundred
// MB/s whatever the number of needles. One matcher holds a Redactor's secrets and the patterns'
// trigger words: one pass finds both.
type matcher struct {
	tab    *[256]byte
	filter [1 << 16 / 64]uint64
	// byKey holds each needle index under its 3-byte key, longest needle first.
	byKey   map[uint32][]int
	needles []needle
}

// lower folds ASCII upper case (initialised before the package's matchers, which depend on it).
var lower = func() (low [256]byte) {
	for i := range 256 {
		low[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			low[i] = byte(i) + 'a' - 'A'
		}
	}
	return low
}()

func newMatcher(needles []needle) *matcher {
	m := &matcher{tab: &lower, byKey: map[uint32][]int{}}
	for _, n := range needles {
		if len(n.s) < minNeedle {
			continue
		}
		m.needles = append(m.needles, n)
	}
	sort.SliceStable(m.needles, func(i, j int) bool { return len(m.needles[i].s) > len(m.needles[j].s) })
	for i, n := range m.needles {
		k := m.key(n.s)
		m.byKey[k] = append(m.byKey[k], i)
		h := hash(k)
		m.filter[h>>6] |= 1 << (h & 63)
	}
	return m
}

func (m *matcher) key(s string) uint32 {
	t := m.tab
	return uint32(t[s[0]]) | uint32(t[s[1]])<<8 | uint32(t[s[2]])<<16
}

func hash(k uint32) uint32 { return (k * 2654435761) >> 16 }

// each calls f(at, needle) for the needles found in s, in order of position: at each position the
// longest secret and the longest trigger word starting there.
func (m *matcher) each(s string, f func(at int, n *needle)) {
	if m == nil || len(m.needles) == 0 || len(s) < minNeedle {
		return
	}
	t := m.tab
	k := uint32(t[s[0]])<<8 | uint32(t[s[1]])<<16
	for i := 0; i+minNeedle <= len(s); i++ {
		k = k>>8 | uint32(t[s[i+2]])<<16
		h := hash(k)
		if m.filter[h>>6]&(1<<(h&63)) == 0 {
			continue
		}
		secret, trigger := false, false
		for _, ni := range m.byKey[k] {
			n := &m.needles[ni]
			if len(s)-i < len(n.s) || (n.mask == 0 && secret) || (n.mask != 0 && trigger) {
				continue
			}
			if n.mask == 0 && s[i:i+len(n.s)] == n.s {
				secret = true
				f(i, n)
			} else if n.mask != 0 && equalFold(s[i:i+len(n.s)], n.s) {
				trigger = true
				f(i, n)
			}
			if secret && trigger {
				break
			}
		}
	}
}

// equalFold compares ASCII case-insensitively (b is lower case).
func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if lower[a[i]] != b[i] {
			return false
		}
	}
	return true
}
