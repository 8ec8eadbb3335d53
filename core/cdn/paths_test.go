package cdn

import (
	"fmt"
	"strings"
	"testing"
)

func TestPathsOnlyNonHashedWithEntryPoints(t *testing.T) {
	got, collapsed := Paths([]string{
		"index.html", "static/js/main.8f3a2b1c.js", "favicon.ico", "docs/index.html",
		"static/css/main.0a1b2c3d.css", "images/my photo.png", "/robots.txt", "index.html",
	}, 0)
	want := "/ /docs/ /docs/index.html /favicon.ico /images/my%20photo.png /index.html /robots.txt"
	if strings.Join(got, " ") != want || collapsed {
		t.Errorf("Paths = %q (collapsed %v), want %q", strings.Join(got, " "), collapsed, want)
	}
}

func TestPathsNothingChanged(t *testing.T) {
	for _, in := range [][]string{nil, {}, {"static/js/main.8f3a2b1c.js"}} {
		if got, _ := Paths(in, 0); len(got) != 0 {
			t.Errorf("Paths(%v) = %v, want nothing", in, got)
		}
	}
}

func TestPathsCollapseAboveThreshold(t *testing.T) {
	var changed []string
	for i := 0; i < 15; i++ {
		changed = append(changed, fmt.Sprintf("page%d.txt", i))
	}
	if got, c := Paths(changed, 0); len(got) != 15 || c {
		t.Errorf("15 paths at the default threshold 15: got %d, collapsed %v", len(got), c)
	}
	changed = append(changed, "one-more.txt")
	if got, c := Paths(changed, 0); strings.Join(got, ",") != "/*" || !c {
		t.Errorf("16 paths: got %v, collapsed %v; want /*", got, c)
	}
	// index.html counts twice (/index.html and /): 2 paths above a threshold of 1.
	if got, c := Paths([]string{"index.html"}, 1); strings.Join(got, ",") != "/*" || !c {
		t.Errorf("threshold 1: got %v", got)
	}
}
