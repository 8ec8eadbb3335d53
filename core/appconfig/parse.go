package appconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Document is a parsed config file: its name (for messages), its content and the line of every
// field that was written ("client.output" → 12).
type Document struct {
	Name string
	File File
	// Present says a file was read (false: no file, every setting is the default).
	Present bool
	lines   map[string]int
}

// Line is the line a field was written on (0 when it was not).
func (d *Document) Line(field string) int { return d.lines[field] }

// Parse reads the YAML of a config file strictly: an unknown key, a value of the wrong type, a
// duplicate key or a bad duration is a problem; all of them are returned at once as Problems,
// each naming the file, the line and the field. Values are not checked further (Validate).
// Empty data is a file that sets nothing.
func Parse(name string, data []byte) (*Document, error) {
	doc := &Document{Name: name, Present: true, lines: map[string]int{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return doc, nil
		}
		return nil, Problems{syntaxProblem(name, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Problems{{File: name, Line: extra.Line, Message: "more than one YAML document (a second ---): write one"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, Problems{syntaxProblem(name, err)}
	}
	d := &decoder{name: name, lines: doc.lines}
	n := &root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return doc, nil
	}
	d.decode(n, reflect.ValueOf(&doc.File).Elem(), "")
	if err := d.probs.err(); err != nil {
		return nil, err
	}
	return doc, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxProblem(name string, err error) Problem {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{File: name, Line: line, Message: "not valid YAML: " + m[2]}
	}
	return Problem{File: name, Message: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

var (
	durationType = reflect.TypeOf(Duration(0))
	commandType  = reflect.TypeOf(Command{})
)

// decoder fills a value from a YAML node by the value's type, recording each field's line and
// every problem (it goes on after one, so that all are reported).
type decoder struct {
	name  string
	lines map[string]int
	probs Problems
}

func (d *decoder) problem(n *yaml.Node, field, format string, args ...any) {
	d.probs = append(d.probs, Problem{File: d.name, Line: n.Line, Field: field, Message: fmt.Sprintf(format, args...)})
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if _, ok := d.lines[field]; !ok && field != "" {
		d.lines[field] = n.Line
	}
	switch v.Type() {
	case durationType:
		d.duration(n, v, field)
		return
	case commandType:
		d.command(n, v, field)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, v, field)
	case reflect.Map:
		d.mapping(n, v, field)
	case reflect.Slice:
		d.list(n, v, field)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			d.problem(n, field, "must be a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		d.decode(n, e.Elem(), field)
		v.Set(e)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.problem(n, field, "must be true or false, got %s", kindName(n))
			return
		}
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			d.problem(n, field, "must be true or false, got %q", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.problem(n, field, "must be a whole number, got %s", kindName(n))
			return
		}
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil || i != int64(int(i)) {
			d.problem(n, field, "must be a whole number, got %q", n.Value)
			return
		}
		v.SetInt(i)
	default:
		panic(fmt.Sprintf("appconfig: no decoding for %s (%s)", v.Type(), field))
	}
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.problem(n, field, `must be a Go duration such as "15m" or "30s", got %s`, kindName(n))
		return
	}
	t, err := time.ParseDuration(n.Value)
	if err != nil {
		d.problem(n, field, `must be a Go duration such as "15m" or "30s", got %q`, n.Value)
		return
	}
	v.Set(reflect.ValueOf(Duration(t)))
}

func (d *decoder) command(n *yaml.Node, v reflect.Value, field string) {
	var c Command
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag != "!!null":
		switch strings.TrimSpace(n.Value) {
		case "":
			d.problem(n, field, "an empty command: write none to run nothing")
			return
		case "none":
			c.None = true
		case "builtin":
			c.Builtin = true
		default:
			c = Shell(n.Value)
		}
	case n.Kind == yaml.SequenceNode:
		if len(n.Content) == 0 {
			d.problem(n, field, "an empty command: write none to run nothing")
			return
		}
		for i, item := range n.Content {
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
				d.problem(item, fmt.Sprintf("%s[%d]", field, i), "a command's words must be strings, got %s", kindName(item))
				return
			}
			c.Argv = append(c.Argv, item.Value)
		}
	default:
		d.problem(n, field, `must be a command: a string (run by sh -c), a list of words, or none; got %s`, kindName(n))
		return
	}
	v.Set(reflect.ValueOf(c))
}

// keys are a struct's YAML keys with the index path of their field (inline structs flattened).
func keys(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" {
			for k, idx := range keys(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name != "" && name != "-" {
			out[name] = []int{i}
		}
	}
	return out
}

func sortedKeys(m map[string][]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "client:" with nothing under it sets nothing
	}
	if n.Kind != yaml.MappingNode {
		d.problem(n, field, "must be a mapping of keys, got %s", kindName(n))
		return
	}
	known := keys(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name := k.Value
		path := join(field, name)
		idx, ok := known[name]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.problem(k, field, "a key must be a plain name, got %s", kindName(k))
			continue
		case seen[name]:
			d.problem(k, path, "written twice")
			continue
		case !ok:
			where := field
			if where == "" {
				where = "the top level"
			}
			d.problem(k, path, "unknown key (%s takes: %s)", where, strings.Join(sortedKeys(known), ", "))
			continue
		}
		seen[name] = true
		d.lines[path] = k.Line
		d.decode(val, v.FieldByIndex(idx), path)
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.problem(n, field, "must be a mapping of names to values, got %s", kindName(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" || k.Value == "" {
			d.problem(k, field, "a key must be a plain name, got %s", kindName(k))
			continue
		}
		path := join(field, k.Value)
		if seen[k.Value] {
			d.problem(k, path, "written twice")
			continue
		}
		seen[k.Value] = true
		d.lines[path] = k.Line
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, e, path)
		m.SetMapIndex(reflect.ValueOf(k.Value), e)
	}
	v.Set(m)
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.problem(n, field, "must be a list, got %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		path := fmt.Sprintf("%s[%d]", field, i)
		d.lines[path] = item.Line
		d.decode(item, s.Index(i), path)
	}
	v.Set(s)
}
