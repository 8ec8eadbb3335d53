package envfile

import (
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics, and whatever it accepts and Format can write reads back
// identically. `go test` runs only the committed seeds (testdata/fuzz/FuzzParse); explore with
// `go test -fuzz=FuzzParse -fuzztime=60s ./core/envfile/`.
func FuzzParse(f *testing.F) {
	f.Add([]byte("A=1\n# c\nB=\"x\\ny\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parsed, err := Parse(data)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range parsed.Entries {
			if seen[e.Key] || !validKey(e.Key) {
				t.Fatalf("Parse returned duplicate or invalid key %q", e.Key)
			}
			seen[e.Key] = true
		}
		out, err := parsed.Format()
		if err != nil {
			return
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Format(x)) failed: %v\n%q", err, out)
		}
		if !reflect.DeepEqual(back.Map(), parsed.Map()) {
			t.Fatalf("round trip changed values:\n%q\n%q", parsed.Map(), back.Map())
		}
	})
}
