package envfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Type names the kind of value a key holds.
type Type string

// The value types a schema may use.
const (
	// TypeString is any single-line text.
	TypeString Type = "string"
	// TypeInt is a base-10 integer (Min/Max may bound it).
	TypeInt Type = "int"
	// TypeBool is one of true, false, True, False, 1, 0.
	TypeBool Type = "bool"
	// TypeURL is an absolute URL with scheme and host (Schemes may restrict the scheme).
	TypeURL Type = "url"
	// TypeURLList is a comma-separated list of URLs (e.g. CORS origins).
	TypeURLList Type = "url_list"
	// TypeHost is a DNS name or IP address, without scheme or port.
	TypeHost Type = "host"
	// TypeHostList is a comma-separated list of hosts; a leading '.' (subdomain wildcard) is allowed.
	TypeHostList Type = "host_list"
	// TypeEnum is one of Values.
	TypeEnum Type = "enum"
)

// KeySpec describes one key of the env file.
type KeySpec struct {
	// Type of the value.
	Type Type `json:"type"`
	// Required keys must be present and non-empty.
	Required bool `json:"required,omitempty"`
	// Secret keys must hold a Secrets Manager or SSM reference, never the value itself; they go
	// to the task definition's `secrets`, not to the env file.
	Secret bool `json:"secret,omitempty"`
	// Values lists the allowed values of an enum.
	Values []string `json:"values,omitempty"`
	// Schemes restricts URL schemes (url, url_list); empty allows any.
	Schemes []string `json:"schemes,omitempty"`
	// Min and Max bound an int (inclusive) when set.
	Min *int64 `json:"min,omitempty"`
	Max *int64 `json:"max,omitempty"`
	// Description says what the key is for (documentation only).
	Description string `json:"description,omitempty"`
}

// Schema is the contract of an env file: every allowed key and its spec.
type Schema struct {
	// Keys maps key name → spec. Keys not listed are refused.
	Keys map[string]KeySpec `json:"keys"`
}

// LoadSchema parses schema.json and checks it is coherent (known types, enums with values).
func LoadSchema(data []byte) (*Schema, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s struct {
		Comment string             `json:"$comment"`
		Keys    map[string]KeySpec `json:"keys"`
	}
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	if len(s.Keys) == 0 {
		return nil, fmt.Errorf("schema: no keys defined")
	}
	for _, k := range sortedKeys(s.Keys) {
		spec := s.Keys[k]
		if !validKey(k) {
			return nil, fmt.Errorf("schema: invalid key name %q", k)
		}
		switch spec.Type {
		case TypeString, TypeInt, TypeBool, TypeURL, TypeURLList, TypeHost, TypeHostList:
		case TypeEnum:
			if len(spec.Values) == 0 {
				return nil, fmt.Errorf("schema: %s is an enum without values", k)
			}
		default:
			return nil, fmt.Errorf("schema: %s has unknown type %q (want string, int, bool, url, url_list, host, host_list or enum)", k, spec.Type)
		}
	}
	return &Schema{Keys: s.Keys}, nil
}

// SecretKeys returns the sorted names of the keys marked secret.
func (s *Schema) SecretKeys() []string {
	var out []string
	for _, k := range sortedKeys(s.Keys) {
		if s.Keys[k].Secret {
			out = append(out, k)
		}
	}
	return out
}

// RequiredKeys returns the sorted names of the required keys.
func (s *Schema) RequiredKeys() []string {
	var out []string
	for _, k := range sortedKeys(s.Keys) {
		if s.Keys[k].Required {
			out = append(out, k)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
