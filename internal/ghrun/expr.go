package ghrun

import (
	"fmt"
	"regexp"
	"strings"
)

// Contexts are the values expressions read, by dotted name ("vars.AWS_REGION", "runner.temp",
// "inputs.environment"). A name of a known context that is not given is empty, as GitHub makes an
// unset variable, secret or input; an unknown context is an error.
type Contexts map[string]string

// known are the contexts a workflow may name.
var known = map[string]bool{"github": true, "vars": true, "secrets": true, "inputs": true, "runner": true,
	"env": true, "job": true, "steps": true, "matrix": true, "needs": true, "strategy": true}

var (
	exprRe = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)
	refRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)+$`)
)

// Expand replaces every `${{ … }}` in s by its value.
func Expand(s string, c Contexts) (string, error) {
	var first error
	out := exprRe.ReplaceAllStringFunc(s, func(m string) string {
		v, err := Eval(exprRe.FindStringSubmatch(m)[1], c)
		if err != nil && first == nil {
			first = err
		}
		return v
	})
	return out, first
}

// Eval evaluates an expression's body. Supported: context references, 'string' literals and `||`
// (the first operand that is not empty). Anything else is refused, so that a workflow using more
// than this fails its test instead of running with a wrong value.
func Eval(expr string, c Contexts) (string, error) {
	for _, term := range splitOr(expr) {
		term = strings.TrimSpace(term)
		v, err := operand(term, c)
		if err != nil {
			return "", fmt.Errorf("expression %q: %w", expr, err)
		}
		if v != "" {
			return v, nil
		}
	}
	return "", nil
}

func operand(term string, c Contexts) (string, error) {
	switch {
	case len(term) >= 2 && term[0] == '\'' && term[len(term)-1] == '\'':
		inner := term[1 : len(term)-1]
		if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			return "", fmt.Errorf("malformed string %s", term)
		}
		return strings.ReplaceAll(inner, "''", "'"), nil
	case refRe.MatchString(term):
		ctx, _, _ := strings.Cut(term, ".")
		if !known[ctx] {
			return "", fmt.Errorf("unknown context %q", ctx)
		}
		return c[term], nil
	}
	return "", fmt.Errorf("unsupported operand %q (only context references, 'strings' and ||)", term)
}

// splitOr splits on || outside string literals.
func splitOr(s string) []string {
	var parts []string
	in, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			in = !in
		case !in && strings.HasPrefix(s[i:], "||"):
			parts = append(parts, s[start:i])
			start = i + 2
			i++
		}
	}
	return append(parts, s[start:])
}
