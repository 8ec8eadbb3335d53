package envfile

import (
	"fmt"
	"sort"
	"strings"
)

// KeyDiff lists the key names that differ between two env files. It never holds values.
type KeyDiff struct {
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	Changed []string `json:"changed"`
}

// DiffKeys compares old and new by key name; a key whose value differs is listed as Changed.
// Either side may be nil (no file).
func DiffKeys(old, new *File) KeyDiff {
	o, n := map[string]string{}, map[string]string{}
	if old != nil {
		o = old.Map()
	}
	if new != nil {
		n = new.Map()
	}
	d := KeyDiff{Added: []string{}, Removed: []string{}, Changed: []string{}}
	for k, nv := range n {
		ov, ok := o[k]
		switch {
		case !ok:
			d.Added = append(d.Added, k)
		case ov != nv:
			d.Changed = append(d.Changed, k)
		}
	}
	for k := range o {
		if _, ok := n[k]; !ok {
			d.Removed = append(d.Removed, k)
		}
	}
	sort.Strings(d.Added)
	sort.Strings(d.Removed)
	sort.Strings(d.Changed)
	return d
}

// Empty reports whether nothing differs.
func (d KeyDiff) Empty() bool {
	return len(d.Added)+len(d.Removed)+len(d.Changed) == 0
}

// Text renders the diff as "+KEY", "-KEY", "~KEY" lines (names only), or "no key changes".
func (d KeyDiff) Text() string {
	if d.Empty() {
		return "no key changes\n"
	}
	var b strings.Builder
	for _, k := range d.Added {
		fmt.Fprintf(&b, "+ %s\n", k)
	}
	for _, k := range d.Removed {
		fmt.Fprintf(&b, "- %s\n", k)
	}
	for _, k := range d.Changed {
		fmt.Fprintf(&b, "~ %s\n", k)
	}
	return b.String()
}

// Summary is a one-line count, e.g. "2 added, 0 removed, 1 changed".
func (d KeyDiff) Summary() string {
	return fmt.Sprintf("%d added, %d removed, %d changed", len(d.Added), len(d.Removed), len(d.Changed))
}

// joinOrNone joins names or says "none".
func joinOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
