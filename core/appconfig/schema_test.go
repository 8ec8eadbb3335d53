package appconfig

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The JSON Schema (docs/bookme-deploy.schema.json) and the Go structs must list the same keys at
// every level: a key added to one and not the other fails here.
func TestSchemaListsTheStructsFields(t *testing.T) {
	raw, err := os.ReadFile("../../docs/bookme-deploy.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	defs, _ := schema["$defs"].(map[string]any)
	resolve := func(s map[string]any) map[string]any {
		for {
			ref, ok := s["$ref"].(string)
			if !ok {
				return s
			}
			s, _ = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			if s == nil {
				t.Fatalf("dangling $ref %s", ref)
			}
		}
	}
	var walk func(path string, typ reflect.Type, s map[string]any)
	walk = func(path string, typ reflect.Type, s map[string]any) {
		s = resolve(s)
		switch {
		case typ == durationType || typ == commandType:
			return
		case typ.Kind() == reflect.Struct:
			if s["additionalProperties"] != false {
				t.Errorf("%s: the schema allows unknown keys (additionalProperties is not false)", orTop(path))
			}
			props, _ := s["properties"].(map[string]any)
			goKeys := keys(typ)
			if got, want := sortedSchemaKeys(props), sortedKeys(goKeys); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: schema keys %v, Go keys %v", orTop(path), got, want)
				return
			}
			for name, idx := range goKeys {
				walk(join(path, name), typ.FieldByIndex(idx).Type, props[name].(map[string]any))
			}
		case typ.Kind() == reflect.Map:
			ap, ok := s["additionalProperties"].(map[string]any)
			if !ok {
				t.Errorf("%s: a map in Go, but the schema gives no additionalProperties schema", path)
				return
			}
			walk(path+".<name>", typ.Elem(), ap)
		case typ.Kind() == reflect.Slice:
			items, ok := s["items"].(map[string]any)
			if !ok {
				t.Errorf("%s: a list in Go, but the schema gives no items", path)
				return
			}
			walk(path+"[]", typ.Elem(), items)
		}
	}
	walk("", reflect.TypeOf(File{}), schema)
}

func orTop(p string) string {
	if p == "" {
		return "top level"
	}
	return p
}

func sortedSchemaKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The schema's timeout keys are the validator's (timeoutFields): a timeout added to the struct
// but not to the list of checked fields fails here.
func TestEveryTimeoutIsChecked(t *testing.T) {
	if got, want := len(timeoutFields(Timeouts{})), reflect.TypeOf(Timeouts{}).NumField(); got != want {
		t.Fatalf("timeoutFields lists %d timeouts, the struct has %d", got, want)
	}
}
