package envfile

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with an env file. Its message names the key, never the value.
type Problem struct {
	// Line is the 1-based line of the offending entry, 0 when the problem is a missing key.
	Line int `json:"line,omitempty"`
	// Key is the key concerned.
	Key string `json:"key"`
	// Message says what is wrong and what to do.
	Message string `json:"message"`
}

// String renders the problem as "line N: message".
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return p.Message
}

// ValidationError lists every problem found, one per line.
type ValidationError struct {
	Problems []Problem `json:"problems"`
}

// Error joins the problems, one per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

var (
	placeholderRE = regexp.MustCompile(`<[^<>]*>`)
	unrenderedRE  = regexp.MustCompile(`\$\{[^}]*\}`)
	// arn:<partition>:secretsmanager:<region>:<account>:secret:<name>[:json-key:version-stage:version-id]
	// ('!' occurs in RDS-managed secret names: rds!db-…)
	secretsManagerRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+(:[^:\s]*:[^:\s]*:[^:\s]*)?$`)
	// arn:<partition>:ssm:<region>:<account>:parameter/<name>
	ssmARNRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:ssm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:parameter/[A-Za-z0-9/_.-]+$`)
	// ssm:<parameter name> — a parameter of the task's own region.
	ssmNameRE = regexp.MustCompile(`^ssm:/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)
	hostRE    = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)
)

// IsSecretRef reports whether v is a reference ECS can resolve at task start: a Secrets Manager
// ARN (optionally with :json-key:version-stage:version-id), an SSM parameter ARN, or
// "ssm:<parameter name>".
func IsSecretRef(v string) bool {
	return secretsManagerRE.MatchString(v) || ssmARNRE.MatchString(v) || ssmNameRE.MatchString(v)
}

// ValueFrom converts a secret reference into what an ECS container definition's
// secrets[].valueFrom takes: ARNs unchanged, "ssm:<name>" → "<name>".
func ValueFrom(ref string) string {
	if name, ok := strings.CutPrefix(ref, "ssm:"); ok {
		return name
	}
	return ref
}

// Validate checks f against s and returns a *ValidationError listing every problem: unknown
// keys, duplicate keys, missing or empty required keys, placeholders (<…> or ${…}) left in,
// secret keys written in plain text, secret references in non-secret keys, and type errors.
// It returns nil when f is valid.
func Validate(f *File, s *Schema) error {
	var problems []Problem
	add := func(line int, key, format string, args ...any) {
		problems = append(problems, Problem{Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
	}
	seen := map[string]int{}
	for _, e := range f.Entries {
		if first, dup := seen[e.Key]; dup {
			add(e.Line, e.Key, "duplicate key %s (first set on line %d); keep one", e.Key, first)
			continue
		}
		seen[e.Key] = e.Line
		spec, known := s.Keys[e.Key]
		if !known {
			add(e.Line, e.Key, "unknown key %s: add it to schema.json or remove it", e.Key)
			continue
		}
		v := e.Value
		if v == "" {
			if spec.Required {
				add(e.Line, e.Key, "%s is required but empty", e.Key)
			}
			continue
		}
		if placeholderRE.MatchString(v) {
			add(e.Line, e.Key, "%s still holds a <…> placeholder: put the real value (or reference) in", e.Key)
			continue
		}
		if unrenderedRE.MatchString(v) {
			add(e.Line, e.Key, "%s still holds an unrendered ${…} placeholder: render the template first", e.Key)
			continue
		}
		if spec.Secret {
			if !IsSecretRef(v) {
				add(e.Line, e.Key, "%s is a secret and is written in plain text: use a Secrets Manager ARN (arn:aws:secretsmanager:…) or ssm:<parameter>", e.Key)
			}
			continue
		}
		if IsSecretRef(v) {
			add(e.Line, e.Key, "%s is not a secret but holds a secret reference, which ECS would pass on literally: mark it secret in schema.json or put the value in", e.Key)
			continue
		}
		if msg := checkType(spec, v); msg != "" {
			add(e.Line, e.Key, "%s: %s", e.Key, msg)
		}
	}
	for _, k := range s.RequiredKeys() {
		if _, ok := seen[k]; !ok {
			add(0, k, "missing required key %s", k)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: problems}
}

// checkType returns "" when v fits spec, else what was expected (without the value).
func checkType(spec KeySpec, v string) string {
	switch spec.Type {
	case TypeString:
		if strings.ContainsAny(v, "\r\n") {
			return "want a single line"
		}
	case TypeInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "want an integer"
		}
		if spec.Min != nil && n < *spec.Min {
			return fmt.Sprintf("want an integer ≥ %d", *spec.Min)
		}
		if spec.Max != nil && n > *spec.Max {
			return fmt.Sprintf("want an integer ≤ %d", *spec.Max)
		}
	case TypeBool:
		switch v {
		case "true", "false", "True", "False", "1", "0":
		default:
			return "want a boolean (true, false, True, False, 1 or 0)"
		}
	case TypeURL:
		return checkURL(v, spec.Schemes)
	case TypeURLList:
		for i, item := range strings.Split(v, ",") {
			if msg := checkURL(strings.TrimSpace(item), spec.Schemes); msg != "" {
				return fmt.Sprintf("item %d: %s", i+1, msg)
			}
		}
	case TypeHost:
		if !isHost(v) {
			return "want a host name or IP address (no scheme, no port)"
		}
	case TypeHostList:
		for i, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "*" {
				continue
			}
			if !isHost(strings.TrimPrefix(item, ".")) {
				return fmt.Sprintf("item %d: want a host name, .domain or *, comma-separated", i+1)
			}
		}
	case TypeEnum:
		if !slices.Contains(spec.Values, v) {
			return fmt.Sprintf("want one of %s", strings.Join(spec.Values, ", "))
		}
	}
	return ""
}

func checkURL(v string, schemes []string) string {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "want an absolute URL (scheme://host…)"
	}
	if len(schemes) > 0 && !slices.Contains(schemes, u.Scheme) {
		return fmt.Sprintf("want a URL with scheme %s", strings.Join(schemes, " or "))
	}
	return ""
}

func isHost(v string) bool {
	if net.ParseIP(v) != nil {
		return true
	}
	return len(v) <= 253 && hostRE.MatchString(v)
}
