//go:build integration

package appconfig

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"bookme-deploy/core/release"
	"bookme-deploy/core/stack"
)

// The CRA example's client builds with node alone, from the config's build command and variables,
// into the config's output directory, in the shape core/release expects (needs node and npm on PATH).
func TestCRAExampleClientBuilds(t *testing.T) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not on PATH: this test builds the CRA example's client with it", tool)
		}
	}
	craDir := filepath.Join("..", "..", "examples", "cra-app")
	data, err := os.ReadFile(filepath.Join(craDir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Load("examples/cra-app/"+FileName, data, "staging")
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	if err := os.CopyFS(src, os.DirFS(filepath.Join(craDir, cfg.Client.Dir))); err != nil {
		t.Fatal(err)
	}
	env, err := cfg.ClientEnv(&stack.Frontend{APIDomainName: "api.staging.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cfg.Client.Build.Argv[0], cfg.Client.Build.Argv[1:]...)
	cmd.Dir = src
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%q: %v\n%s", cfg.Client.Build.Argv, err, out)
	}
	out := filepath.Join(src, cfg.Client.Output)
	var files []string
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var mainJS string
	kinds := map[string]bool{}
	for _, f := range files {
		_, cc := release.Headers(f, nil, cfg.Rules())
		switch {
		case strings.HasPrefix(f, "static/js/main.") && strings.HasSuffix(f, ".js"):
			mainJS = f
			kinds["js"] = true
		case strings.HasSuffix(f, ".js.map"):
			kinds["map"] = true
		case strings.HasSuffix(f, ".js.LICENSE.txt"):
			kinds["license"] = true
		}
		wantCC := release.CacheNoCache
		if strings.HasPrefix(f, "static/") {
			wantCC = release.CacheImmutable
			if !release.IsHashed(f) {
				t.Errorf("%s is under static/ but not hashed", f)
			}
		}
		if cc != wantCC {
			t.Errorf("%s: Cache-Control %q, want %q", f, cc, wantCC)
		}
	}
	for _, k := range []string{"js", "map", "license"} {
		if !kinds[k] {
			t.Errorf("no %s file in %v", k, files)
		}
	}
	for _, f := range []string{"index.html", "asset-manifest.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	js, _ := os.ReadFile(filepath.Join(out, mainJS))
	if !strings.Contains(string(js), `"https://api.staging.example.com"`) {
		t.Errorf("%s does not carry REACT_APP_REST_API_BASE_URL:\n%s", mainJS, js)
	}
	index, _ := os.ReadFile(filepath.Join(out, "index.html"))
	if !strings.Contains(string(index), `<script defer="defer" src="/`+mainJS+`">`) {
		t.Errorf("index.html does not load %s as CRA does:\n%s", mainJS, index)
	}
}
