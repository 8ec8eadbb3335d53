//go:build infra

package infra

import (
	"path/filepath"
	"testing"

	"bookme-deploy/internal/tofutest"
)

// `tofu fmt -check` passes on the whole infra/ tree.
func TestFormat(t *testing.T) {
	tf := tofutest.New(t, infraDir(t))
	r := tf.Must(t, "fmt", "-check", "-recursive", "-diff", ".")
	if len(r.Stdout) != 0 {
		t.Fatalf("tofu fmt reports unformatted files:\n%s", r.Stdout)
	}
}

// Every root module (three stacks and the bootstrap) initialises from the provider mirror and
// validates. Runs in a temporary copy so that no .terraform directory or lock file lands in the
// repository.
func TestValidate(t *testing.T) {
	root := tofutest.CopyTree(t, infraDir(t))
	for _, dir := range []string{"stacks/base", "stacks/backend", "stacks/frontend", "bootstrap"} {
		t.Run(dir, func(t *testing.T) {
			tf := tofutest.New(t, filepath.Join(root, dir))
			tf.Must(t, "init", "-backend=false")
			r := tf.Must(t, "validate", "-json")
			t.Logf("%s: validate took %s", dir, r.Duration)
		})
	}
}
