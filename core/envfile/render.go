package envfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// SecretRef is one entry of an ECS container definition's `secrets`: the variable Name and the
// Secrets Manager / SSM reference ECS resolves at task start.
type SecretRef struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

// Rendered is a template filled in and validated, split the way ECS consumes it.
type Rendered struct {
	// EnvFile holds the non-secret keys, for the task's `environmentFiles` (S3). Not in JSON.
	EnvFile []byte `json:"-"`
	// SHA256 is the hex SHA-256 of EnvFile.
	SHA256 string `json:"sha256"`
	// Keys are the names written to EnvFile, sorted.
	Keys []string `json:"keys"`
	// Secrets are the secret keys, for the container definition's `secrets`, sorted by name.
	Secrets []SecretRef `json:"secrets"`
	// File is the full rendered file (secret keys hold their references). Not in JSON.
	File *File `json:"-"`
}

var placeholder = regexp.MustCompile(`\$\{([^}]*)\}`)

// Render fills a template (an env file whose values may contain ${output_name} for an OpenTofu
// output and ${secret:name} for a secret reference) from outputs and secretRefs, validates the
// result against s, and splits it: non-secret keys into an env file, secret keys into
// []SecretRef. Optional keys that render empty are left out (the application default applies).
// Every unresolved placeholder and every validation problem is reported at once.
func Render(template []byte, s *Schema, outputs, secretRefs map[string]string) (*Rendered, error) {
	tf, err := Parse(template)
	if err != nil {
		return nil, fmt.Errorf("template:\n%w", err)
	}
	var missing []string
	out := &File{}
	for _, e := range tf.Entries {
		var lineMissing []string
		value := placeholder.ReplaceAllStringFunc(e.Value, func(m string) string {
			name := strings.TrimSpace(m[2 : len(m)-1])
			src, label := outputs, "output"
			if n, ok := strings.CutPrefix(name, "secret:"); ok {
				name, src, label = strings.TrimSpace(n), secretRefs, "secret reference"
			}
			v, ok := src[name]
			if !ok {
				lineMissing = append(lineMissing, fmt.Sprintf("%s %q", label, name))
				return m
			}
			return v
		})
		if len(lineMissing) > 0 {
			missing = append(missing, fmt.Sprintf("line %d: %s: no %s", e.Line, e.Key, strings.Join(lineMissing, ", no ")))
			continue
		}
		spec, known := s.Keys[e.Key]
		if value == "" && known && !spec.Required {
			continue
		}
		out.Entries = append(out.Entries, Entry{Key: e.Key, Value: value, Line: e.Line})
	}
	if len(missing) > 0 {
		return nil, errors.New("template: unresolved placeholders:\n" + strings.Join(missing, "\n"))
	}
	if err := Validate(out, s); err != nil {
		return nil, fmt.Errorf("rendered env file is invalid:\n%w", err)
	}
	r := &Rendered{File: out}
	plain := &File{}
	for _, e := range out.Entries {
		if s.Keys[e.Key].Secret {
			r.Secrets = append(r.Secrets, SecretRef{Name: e.Key, ValueFrom: ValueFrom(e.Value)})
			continue
		}
		plain.Entries = append(plain.Entries, e)
		r.Keys = append(r.Keys, e.Key)
	}
	sort.Slice(r.Secrets, func(i, j int) bool { return r.Secrets[i].Name < r.Secrets[j].Name })
	sort.Strings(r.Keys)
	if r.EnvFile, err = plain.Format(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(r.EnvFile)
	r.SHA256 = hex.EncodeToString(sum[:])
	return r, nil
}

// Text summarises the rendered file for people: key names and secret references, no values.
func (r *Rendered) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "env file: %d keys (sha256 %s)\n", len(r.Keys), shortHash(r.SHA256))
	fmt.Fprintf(&b, "  keys: %s\n", strings.Join(r.Keys, ", "))
	for _, s := range r.Secrets {
		fmt.Fprintf(&b, "  secret %s ← %s\n", s.Name, s.ValueFrom)
	}
	return b.String()
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
