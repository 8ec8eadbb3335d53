package appconfig

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with the file: where (line 0: the field was not written, or the whole
// file), which field ("client.output") and what.
type Problem struct {
	File    string
	Line    int
	Field   string
	Message string
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += fmt.Sprintf(":%d", p.Line)
	}
	if p.Field == "" {
		return loc + ": " + p.Message
	}
	return loc + ": " + p.Field + ": " + p.Message
}

// Problems are every problem of a file; as an error, one per line, in file order.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sorted() Problems {
	out := append(Problems(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Field < out[j].Field
	})
	// the same problem found twice (an environment's resolved settings) is said once
	dedup := out[:0]
	seen := map[string]bool{}
	for _, p := range out {
		if s := p.String(); !seen[s] {
			seen[s] = true
			dedup = append(dedup, p)
		}
	}
	return dedup
}

func (ps Problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps.sorted()
}
