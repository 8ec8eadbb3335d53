package envfile

import (
	"errors"
	"fmt"
	"strings"
)

// Parse reads an env file: KEY=VALUE lines, blank lines and '#' comment lines. A value may be
// wrapped in double quotes (escapes \" \\ \n \t \$) or single quotes (literal); after the closing
// quote only blanks or a '# comment' may follow. Unquoted values run to the end of the line,
// blanks trimmed ('#' inside them is kept). Duplicate keys are refused.
//
// All problems are reported at once, one per line, each with its line number; values are never
// included in an error.
func Parse(data []byte) (*File, error) {
	f := &File{}
	var problems []string
	seen := map[string]int{}
	lines := strings.Split(string(data), "\n")
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimSuffix(raw, "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		key, rest, ok := strings.Cut(trimmed, "=")
		if !ok {
			problems = append(problems, fmt.Sprintf("line %d: expected KEY=VALUE, found no '='", n))
			continue
		}
		key = strings.TrimSpace(key)
		if !validKey(key) {
			problems = append(problems, fmt.Sprintf("line %d: invalid key name %q (letters, digits and '_', not starting with a digit)", n, printableKey(key)))
			continue
		}
		value, err := parseValue(strings.TrimSpace(rest))
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %s: %v", n, key, err))
			continue
		}
		if first, dup := seen[key]; dup {
			problems = append(problems, fmt.Sprintf("line %d: duplicate key %s (first set on line %d); keep one", n, key, first))
			continue
		}
		seen[key] = n
		f.Entries = append(f.Entries, Entry{Key: key, Value: value, Line: n})
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return f, nil
}

// printableKey shortens a bad key for an error message (it may be a pasted value).
func printableKey(k string) string {
	if len(k) > 40 {
		return k[:40] + "…"
	}
	return k
}

func parseValue(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch v[0] {
	case '\'':
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", errors.New("unterminated single quote")
		}
		return v[1 : 1+end], trailing(v[2+end:])
	case '"':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			c := v[i]
			switch c {
			case '\\':
				if i+1 >= len(v) {
					return "", errors.New("unterminated double quote")
				}
				i++
				switch v[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case '"', '\\', '$':
					b.WriteByte(v[i])
				default:
					return "", fmt.Errorf("unknown escape \\%c in double quotes", v[i])
				}
			case '"':
				return b.String(), trailing(v[i+1:])
			default:
				b.WriteByte(c)
			}
		}
		return "", errors.New("unterminated double quote")
	}
	return v, nil
}

func trailing(rest string) error {
	rest = strings.TrimSpace(rest)
	if rest == "" || strings.HasPrefix(rest, "#") {
		return nil
	}
	return errors.New("unexpected text after the closing quote")
}
