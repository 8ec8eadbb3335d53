package deploy

// Unit tests of the decisions bookme-deploy.yaml (core/appconfig → Config.App, Layout) drives.

import (
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"bookme-deploy/core/registry"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/smoke"
	"bookme-deploy/core/stack"
)

func TestLayoutWithDefaults(t *testing.T) {
	if got := (Layout{}).WithDefaults(); got != DefaultLayout {
		t.Errorf("empty layout: %+v", got)
	}
	if DefaultLayout.Dockerfile != "Dockerfile" || DefaultLayout.Target != registry.ProductionStage ||
		DefaultLayout.ClientDir != "examples/bookme/frontend" || DefaultLayout.ClientOutput != "dist" {
		t.Errorf("the reference app's layout changed: %+v", DefaultLayout)
	}
	got := Layout{APIDir: "backend", ClientOutput: "build"}.WithDefaults()
	want := DefaultLayout
	want.APIDir, want.ClientOutput = "backend", "build"
	if got != want {
		t.Errorf("partial layout: %+v, want %+v", got, want)
	}
}

func TestAPIBuild(t *testing.T) {
	b := Config{}.APIBuild()
	if b.Dir != "examples/bookme/api" || b.Dockerfile != "Dockerfile" || b.Target != registry.ProductionStage || b.Args != nil {
		t.Errorf("default build %+v", b)
	}
	c := Config{Layout: Layout{APIDir: "backend", Dockerfile: "docker/Dockerfile.prod", Target: "release"},
		App: App{APIBuildArgs: map[string]string{"Z_LAST": "1", "APP_PORT": "8000", "M": ""}}}
	b = c.APIBuild()
	want := APIBuild{Dir: "backend", Dockerfile: "docker/Dockerfile.prod", Target: "release",
		Args: []BuildArg{{"APP_PORT", "8000"}, {"M", ""}, {"Z_LAST", "1"}}}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("configured build %+v, want %+v (args sorted by name)", b, want)
	}
}

func TestClientEnv(t *testing.T) {
	f := &stack.Frontend{APIDomainName: "api.staging.example.com", ClientURL: "https://app.staging.example.com"}
	env, err := ClientEnv(App{}, f)
	want := map[string]string{"VITE_API_BASE_URL": "https://api.staging.example.com", "VITE_WS_BASE_URL": "wss://api.staging.example.com"}
	if err != nil || !reflect.DeepEqual(env, want) {
		t.Errorf("reference app's env %v, %v", env, err)
	}
	cra := App{ClientEnv: func(f *stack.Frontend) (map[string]string, error) {
		return map[string]string{"REACT_APP_REST_API_BASE_URL": "https://" + f.APIDomainName, "REACT_APP_SITE": f.ClientURL}, nil
	}}
	env, err = ClientEnv(cra, f)
	if err != nil || env["REACT_APP_REST_API_BASE_URL"] != "https://api.staging.example.com" ||
		env["REACT_APP_SITE"] != "https://app.staging.example.com" || env["VITE_API_BASE_URL"] != "" {
		t.Errorf("the app's env %v, %v", env, err)
	}
	bad := App{ClientEnv: func(*stack.Frontend) (map[string]string, error) {
		return nil, errors.New("client.env.X: unknown placeholder")
	}}
	if _, err := ClientEnv(bad, f); err == nil || !strings.Contains(err.Error(), "unknown placeholder") {
		t.Errorf("a failing expansion: %v", err)
	}
	if _, err := ClientEnv(App{}, nil); err == nil {
		t.Error("no frontend outputs accepted")
	}
}

func TestCheckContainers(t *testing.T) {
	if err := CheckContainers(App{}, "app", "app"); err != nil {
		t.Errorf("no names set: %v", err)
	}
	if err := CheckContainers(App{APIContainer: "app", WorkerContainer: "app"}, "app", "app"); err != nil {
		t.Errorf("matching names: %v", err)
	}
	err := CheckContainers(App{APIContainer: "web", WorkerContainer: "app"}, "app", "celery")
	if err == nil {
		t.Fatal("mismatching names accepted")
	}
	for _, want := range []string{`containers.api is "web", the backend stack's api_container_name output "app"`,
		`containers.worker is "app", the backend stack's worker_container_name output "celery"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestSmokeTarget(t *testing.T) {
	b := &stack.Backend{APIURL: "https://api.example.com", ClusterName: "c", APIServiceName: "api", WorkerServiceName: "worker"}
	vite := []byte(`<script type="module" crossorigin src="/assets/index.D7pahZg3.js"></script>`)
	cra := []byte(`<script defer="defer" src="/static/js/main.9ad53866.js"></script>`)

	cfg := validConfig()
	tg, err := SmokeTarget(cfg, vite, "https://app.example.com/", "spa", b)
	if err != nil {
		t.Fatal(err)
	}
	want := smoke.Target{APIURL: b.APIURL, ClientURL: "https://app.example.com/", Entry: "assets/index.D7pahZg3.js",
		ClientBucket: "spa", Release: sha, Cluster: "c", Services: []string{"api", "worker"}}
	if !reflect.DeepEqual(tg, want) {
		t.Errorf("reference app's target %+v, want %+v", tg, want)
	}
	if _, err := SmokeTarget(cfg, cra, "https://app.example.com", "spa", b); err == nil {
		t.Error("a CRA page was read as a Vite build")
	}

	cfg.App.Smoke = SmokeChecks{APIPath: "/api/health/", APIStatus: 204, APIBodyContains: `"ok"`, AnyRelease: true,
		SPAPath: "/app/", SPAEntry: smoke.EntryScript}
	tg, err = SmokeTarget(cfg, cra, "https://app.example.com/", "spa", b)
	if err != nil {
		t.Fatal(err)
	}
	if tg.APIPath != "/api/health/" || tg.APIStatus != 204 || tg.APIBodyContains != `"ok"` || !tg.AnyRelease || tg.Release != sha ||
		tg.Entry != "static/js/main.9ad53866.js" || tg.EntryKind != smoke.EntryScript || tg.ClientURL != "https://app.example.com/app/" {
		t.Errorf("configured target %+v", tg)
	}
	// The release check is switched off only by AnyRelease: the option list says so.
	if n := len(tg.APIOptions()); n != 3 {
		t.Errorf("AnyRelease: %d API options, want path, status, body only", n)
	}
	tg.AnyRelease = false
	if n := len(tg.APIOptions()); n != 4 {
		t.Errorf("release check on: %d API options, want 4 (WithRelease too)", n)
	}
}

func TestSmokeOptionsCarryTheTimeouts(t *testing.T) {
	if n := len(SmokeOptions(Timeouts{}, io.Discard)); n != 4 {
		t.Errorf("%d options, want retry, interval, request timeout and progress", n)
	}
}

func TestRollMigrationFromTheConfig(t *testing.T) {
	cmd := []string{"python3", "manage.py", "migrate", "--noinput"}
	for _, c := range []struct {
		name    string
		o       RollOptions
		want    rollout.Migration
		wantErr string
	}{
		{"reference app", RollOptions{}, rollout.Migration{Family: "m"}, ""},
		{"the config's command", RollOptions{App: App{MigrationCommand: cmd}}, rollout.Migration{Family: "m", Command: cmd}, ""},
		{"--command wins", RollOptions{Command: []string{"true"}, App: App{MigrationCommand: cmd}}, rollout.Migration{Family: "m", Command: []string{"true"}}, ""},
		{"the config runs none", RollOptions{App: App{SkipMigration: true}}, rollout.Migration{Family: "m", Skip: true}, ""},
		{"--command despite none", RollOptions{Command: []string{"true"}, App: App{SkipMigration: true}}, rollout.Migration{Family: "m", Command: []string{"true"}}, ""},
		{"--skip-migration", RollOptions{SkipMigration: true, App: App{MigrationCommand: cmd}}, rollout.Migration{Family: "m", Skip: true, Command: cmd}, ""},
		{"--migrate-only with none", RollOptions{MigrateOnly: true, App: App{SkipMigration: true}}, rollout.Migration{}, "runs no migration"},
	} {
		got, err := c.o.migration("m")
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: %v, want %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil || got.Family != c.want.Family || got.Skip != c.want.Skip || !slices.Equal(got.Command, c.want.Command) {
			t.Errorf("%s: %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
}
