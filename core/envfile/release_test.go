package envfile

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestReleaseKeyIsContentAddressed(t *testing.T) {
	a := sha256Hex([]byte("A=1\n"))
	b := sha256Hex([]byte("A=2\n"))
	ka, kb := ReleaseKey("staging", a), ReleaseKey("staging", b)
	if ka != "service-config/api/staging/"+a[:16]+".env" {
		t.Fatalf("key %q", ka)
	}
	if ka == kb {
		t.Fatal("two contents share a key")
	}
	if ReleaseKey("staging", strings.ToUpper(a)) != ka || ReleaseKey("staging", a) != ka {
		t.Error("the key is not a function of the content alone")
	}
	if ReleaseKey("production", a) == ka {
		t.Error("environments share a key")
	}
	if !strings.HasPrefix(ka, ReleasePrefix("staging")) || !IsReleaseKey("staging", ka) {
		t.Errorf("%s is not under its prefix", ka)
	}
	for _, k := range []string{ObjectKey("staging"), "service-config/api/staging/abc.env", ReleaseKey("production", a),
		"service-config/api/staging/" + strings.ToUpper(a[:16]) + ".env", "service-config/api/staging/" + a[:16] + ".txt"} {
		if IsReleaseKey("staging", k) {
			t.Errorf("%s taken for a release env file of staging", k)
		}
	}
}

func TestPruneKeys(t *testing.T) {
	k := func(s string) string { return ReleaseKey("staging", sha256Hex([]byte(s))) }
	k1, k2, k3, k4, k5 := k("1"), k("2"), k("3"), k("4"), k("5")
	listed := []string{k1, k2, k3, k4, k5, ObjectKey("staging"), "service-config/api/staging/notes.txt"}
	cases := []struct {
		name string
		r    Retention
		want []string
	}{
		{"keeps the newest N releases", Retention{Listed: listed, Releases: []string{k5, k4, k3, k2, k1}, Keep: 3}, []string{k1, k2, ObjectKey("staging")}},
		{"the fixed key of an old release is kept while it is kept", Retention{Listed: listed, Releases: []string{k5, ObjectKey("staging")}, Keep: 2}, []string{k1, k2, k3, k4}},
		{"the fixed key is kept while a service references it", Retention{Listed: listed, Releases: []string{k5, k4}, Referenced: []string{ObjectKey("staging")}, Keep: 1}, []string{k1, k2, k3, k4}},
		{"a referenced key is never deleted", Retention{Listed: listed, Releases: []string{k5, k4, k3}, Referenced: []string{k1}, Keep: 2}, []string{k2, k3, ObjectKey("staging")}},
		{"releases sharing a key count as releases", Retention{Listed: listed, Releases: []string{k5, k5, k4, k3}, Keep: 3}, []string{k1, k2, k3, ObjectKey("staging")}},
		{"records without the field are skipped", Retention{Listed: listed, Releases: []string{k5, "", k4}, Keep: 2}, []string{k1, k2, k3}},
		{"files of failed releases go (not in the list)", Retention{Listed: listed, Releases: []string{k5}, Referenced: []string{k5}, Keep: 3}, []string{k1, k2, k3, k4}},
		{"keep ≤ 0 keeps the newest", Retention{Listed: listed, Releases: []string{k5, k4}}, []string{k1, k2, k3, k4, ObjectKey("staging")}},
		{"nothing listed", Retention{Releases: []string{k5}, Keep: 3}, nil},
		{"another environment's keys are not ours", Retention{Environment: "production", Listed: listed, Keep: 1}, nil},
	}
	for _, c := range cases {
		if c.r.Environment == "" {
			c.r.Environment = "staging"
		}
		sort.Strings(c.want) // PruneKeys returns its keys sorted
		if got := PruneKeys(c.r); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: delete %v, want %v", c.name, got, c.want)
		}
	}
}
