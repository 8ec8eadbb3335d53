package rollout

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// Diff returns a readable, line-per-field difference between two task-definition inputs:
//
//	~ containerDefinitions[web].image: "repo@sha256:aaa…" → "repo@sha256:bbb…"
//	+ tags[git-sha]: "1a2b3c4"
//
// Containers and tags are addressed by name/key, not position. Empty when nothing differs.
func Diff(from, to *ecs.RegisterTaskDefinitionInput) string {
	a, b := map[string]string{}, map[string]string{}
	flatten(reflect.ValueOf(from), "", a)
	flatten(reflect.ValueOf(to), "", b)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var sb strings.Builder
	for _, k := range sorted {
		av, inA := a[k]
		bv, inB := b[k]
		switch {
		case inA && inB && av != bv:
			fmt.Fprintf(&sb, "  ~ %s: %s → %s\n", k, av, bv)
		case inA && !inB:
			fmt.Fprintf(&sb, "  - %s: %s\n", k, av)
		case !inA && inB:
			fmt.Fprintf(&sb, "  + %s: %s\n", k, bv)
		}
	}
	return sb.String()
}

// flatten writes every non-empty leaf of v as path → printed value.
func flatten(v reflect.Value, path string, out map[string]string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if t, ok := v.Interface().(*time.Time); ok {
			out[path] = t.UTC().Format(time.RFC3339)
			return
		}
		flatten(v.Elem(), path, out)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "ResultMetadata" {
				continue
			}
			flatten(v.Field(i), join(path, lowerFirst(f.Name)), out)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			flatten(v.Index(i), path+"["+elemKey(v.Index(i), i)+"]", out)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			flatten(v.MapIndex(k), path+"["+fmt.Sprint(k.Interface())+"]", out)
		}
	case reflect.String:
		if v.Len() > 0 {
			out[path] = fmt.Sprintf("%q", v.String())
		}
	default:
		if v.IsValid() {
			out[path] = fmt.Sprint(v.Interface())
		}
	}
}

// elemKey names a list element by its Name or Key field when it has one (containers, tags, volumes,
// secrets, environment variables), else by its index.
func elemKey(v reflect.Value, i int) string {
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		for _, name := range []string{"Name", "Key", "ContainerName"} {
			f := v.FieldByName(name)
			if f.IsValid() && f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.String {
				return f.Elem().String()
			}
		}
	}
	return fmt.Sprint(i)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	// Acronym prefixes (e.g. "IpcMode") read fine with only the first letter lowered.
	return strings.ToLower(s[:1]) + s[1:]
}
