package appconfig

// The example files live outside core/: `dagger call check` copies them (bookme-deploy.yaml,
// examples/cra-app/**, the reference app's Dockerfile and package.json) into its unit-test container.

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/release"
	"bookme-deploy/core/stack"
)

// The two example files parse and validate; the reference app's resolves to exactly the defaults.
func TestExampleFiles(t *testing.T) {
	root := filepath.Join("..", "..")
	ref, err := os.ReadFile(filepath.Join(root, FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"staging", "production"} {
		c, err := Load(FileName, ref, env)
		if err != nil {
			t.Fatalf("%s: %v", FileName, err)
		}
		if !reflect.DeepEqual(c.Settings, Default()) {
			t.Errorf("%s in %s is not the defaults: %+v", FileName, env, c.Settings)
		}
		// and its paths exist
		for _, p := range []string{filepath.Join(c.API.Dir, c.API.Dockerfile), filepath.Join(c.Client.Dir, "package.json"),
			filepath.Join(c.API.ServiceConfigDir, "env.tmpl")} {
			if _, err := os.Stat(filepath.Join(root, p)); err != nil {
				t.Errorf("%s names %s: %v", FileName, p, err)
			}
		}
	}

	craDir := filepath.Join(root, "examples", "cra-app")
	cra, err := os.ReadFile(filepath.Join(craDir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	st, err := Load("examples/cra-app/"+FileName, cra, "staging")
	if err != nil {
		t.Fatal(err)
	}
	pr, err := Load("examples/cra-app/"+FileName, cra, "production")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Client.Dir != "web" || pr.Client.Output != "build" || pr.API.Dir != "backend" || !pr.Client.Install.None ||
		pr.Smoke.SPA.Entry != SmokeEntryScript || pr.Releases.Keep != 3 || st.Releases.Keep != 1 ||
		st.Timeouts.Rollout.D() != 10*time.Minute || pr.Timeouts.Rollout.D() != 20*time.Minute {
		t.Errorf("examples/cra-app resolved to staging %+v\nproduction %+v", st.Settings, pr.Settings)
	}
	for _, p := range []string{filepath.Join(pr.API.Dir, pr.API.Dockerfile), filepath.Join(pr.Client.Dir, "package.json"),
		filepath.Join(pr.API.ServiceConfigDir, "env.tmpl"), filepath.Join(pr.API.ServiceConfigDir, "staging.inputs.json")} {
		if _, err := os.Stat(filepath.Join(craDir, p)); err != nil {
			t.Errorf("examples/cra-app names %s: %v", p, err)
		}
	}
	dockerfile, _ := os.ReadFile(filepath.Join(craDir, pr.API.Dir, pr.API.Dockerfile))
	if err := registryCheckTarget(dockerfile, pr.API.Target); err != nil {
		t.Error(err)
	}
	env, err := st.ClientEnv(&stack.Frontend{APIDomainName: "api.staging.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if env["REACT_APP_REST_API_BASE_URL"] != "https://api.staging.example.com" || env["REACT_APP_ENV"] != "staging" ||
		env["REACT_APP_SHOW_BANNER"] != "true" || env["VITE_API_BASE_URL"] != "" {
		t.Errorf("CRA client env %v", env)
	}
	// CRA's headers through core/release: hashed files immutable, asset-manifest.json and HTML no-cache
	rules := pr.Rules()
	for name, want := range map[string]string{
		"static/js/main.9ad53866.js":             release.CacheImmutable,
		"static/js/main.9ad53866.js.map":         release.CacheImmutable,
		"static/js/main.9ad53866.js.LICENSE.txt": release.CacheImmutable,
		"static/css/main.45feda23.css":           release.CacheImmutable,
		"static/media/logo.6ce24c58.svg":         release.CacheImmutable,
		"asset-manifest.json":                    release.CacheNoCache,
		"index.html":                             release.CacheNoCache,
		"robots.txt":                             release.CacheNoCache,
	} {
		if _, cc := release.Headers(name, nil, rules); cc != want {
			t.Errorf("%s: Cache-Control %q, want %q", name, cc, want)
		}
	}
	if !strings.Contains(strings.Join(pr.DeployConfig(deploy.Config{}).App.ClientBuild, " "), "npm run build") {
		t.Errorf("client build %q", pr.Client.Build.Argv)
	}
}

func registryCheckTarget(dockerfile []byte, target string) error {
	return registry.CheckTarget(dockerfile, target)
}
