// Package envfile is the service-config core: it parses env files (KEY=VALUE), validates them
// against a schema (service-config/api/schema.json), renders a template (service-config/api/env.tmpl)
// from OpenTofu outputs and Secrets Manager references, compares two files by key name, and pushes
// the rendered file to the private config bucket (plan → apply).
//
// Values are never printed: errors name keys and line numbers, diffs list key names only, and
// plans carry a content hash instead of the content.
package envfile

import (
	"fmt"
	"sort"
	"strings"
)

// Entry is one KEY=VALUE line of an env file.
type Entry struct {
	// Key is the variable name.
	Key string `json:"key"`
	// Value is the unquoted value. It is never logged.
	Value string `json:"-"`
	// Line is the 1-based line number the entry came from (0 when built in code).
	Line int `json:"line,omitempty"`
}

// File is a parsed env file: its entries in file order, keys unique.
type File struct {
	Entries []Entry
}

// Get returns the value of key and whether it is set.
func (f *File) Get(key string) (string, bool) {
	for _, e := range f.Entries {
		if e.Key == key {
			return e.Value, true
		}
	}
	return "", false
}

// Map returns the entries as a map key → value.
func (f *File) Map() map[string]string {
	m := make(map[string]string, len(f.Entries))
	for _, e := range f.Entries {
		m[e.Key] = e.Value
	}
	return m
}

// Keys returns the sorted key names.
func (f *File) Keys() []string {
	keys := make([]string, 0, len(f.Entries))
	for _, e := range f.Entries {
		keys = append(keys, e.Key)
	}
	sort.Strings(keys)
	return keys
}

// Format writes the entries as an env file the way ECS `environmentFiles` reads it: one
// KEY=VALUE per line, values unquoted (ECS takes everything after the first '=' literally).
// It fails on a value ECS could not carry unchanged (a line break, surrounding blanks, a
// leading quote), naming the key only.
func (f *File) Format() ([]byte, error) {
	var b strings.Builder
	for _, e := range f.Entries {
		if !validKey(e.Key) {
			return nil, fmt.Errorf("env file: invalid key name %q", e.Key)
		}
		if err := literalSafe(e.Value); err != nil {
			return nil, fmt.Errorf("env file: %s: %v", e.Key, err)
		}
		b.WriteString(e.Key)
		b.WriteByte('=')
		b.WriteString(e.Value)
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}

// literalSafe reports why a value cannot be written unquoted and read back identically.
func literalSafe(v string) error {
	switch {
	case strings.ContainsAny(v, "\r\n\x00"):
		return fmt.Errorf("value contains a line break or NUL; env files hold one line per variable")
	case v != strings.TrimSpace(v):
		return fmt.Errorf("value has leading or trailing blanks, which ECS would keep")
	case strings.HasPrefix(v, `"`) || strings.HasPrefix(v, `'`):
		return fmt.Errorf("value starts with a quote, which ECS would keep literally")
	}
	return nil
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
