package deploy

import (
	"fmt"
	"strings"
)

// The operator verbs take a command as one string (a Dagger flag cannot carry a list with commas in
// it): SplitCommand turns it into argv the way a POSIX shell splits words, without expanding
// anything; QuoteArgv prints argv back so that a shell splits it into the same words.

// SplitCommand splits s into words: blanks separate words; 'single quotes' keep everything
// literally; "double quotes" keep everything but a backslash before $ ` " \ or a newline; a
// backslash outside quotes keeps the next character. Nothing is expanded ($VAR, *, ~ stay as they
// are: no shell runs the command). An unterminated quote or a trailing backslash is an error, and so
// is a command with no word.
func SplitCommand(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // a word has started (an empty quoted word counts)
	)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\\':
			if i+1 >= len(rs) {
				return nil, fmt.Errorf("command %q ends with a backslash", s)
			}
			i++
			if rs[i] != '\n' { // backslash-newline joins lines
				cur.WriteRune(rs[i])
				in = true
			}
		case c == '\'':
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("command %q: unterminated single quote", s)
			}
			cur.WriteString(string(rs[i+1 : j]))
			in, i = true, j
		case c == '"':
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				if rs[j] == '\\' && j+1 < len(rs) && strings.ContainsRune("$`\"\\\n", rs[j+1]) {
					j++
					if rs[j] != '\n' {
						cur.WriteRune(rs[j])
					}
					continue
				}
				cur.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("command %q: unterminated double quote", s)
			}
			in, i = true, j
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("no command: give the command to run, e.g. \"python manage.py createsuperuser --noinput\"")
	}
	return words, nil
}

// QuoteArgv prints argv as one shell line that splits (SplitCommand or sh) into the same words:
// plain words as they are, others in single quotes ('\” for a quote inside).
func QuoteArgv(argv []string) string {
	out := make([]string, len(argv))
	for i, w := range argv {
		out[i] = quoteWord(w)
	}
	return strings.Join(out, " ")
}

func quoteWord(w string) string {
	if w == "" {
		return "''"
	}
	plain := true
	for _, c := range w {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:=@,+%^", c)) {
			plain = false
			break
		}
	}
	if plain {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
