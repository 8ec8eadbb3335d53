package appconfig

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/smoke"
	"bookme-deploy/core/stack"
)

// A repository without the file gets exactly what the pipeline does today.
func TestNoFileIsTodaysBehaviour(t *testing.T) {
	c, err := Load(FileName, nil, "production")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Settings, Default()) {
		t.Fatalf("no file resolved to %+v, not Default()", c.Settings)
	}
	dc := c.DeployConfig(deploy.Config{Env: "production"})
	// Layout: core/deploy's reference layout, ci/client.go's directory and dist/
	if dc.Layout.APIDir != deploy.DefaultLayout.APIDir || dc.Layout.ServiceConfigDir != deploy.DefaultLayout.ServiceConfigDir {
		t.Errorf("layout %+v, want %+v", dc.Layout, deploy.DefaultLayout)
	}
	if dc.Layout.Dockerfile != "Dockerfile" || dc.Layout.Target != registry.ProductionStage {
		t.Errorf("Dockerfile %q target %q, want Dockerfile, %s (core/deploy/image.go, ci/images.go)", dc.Layout.Dockerfile, dc.Layout.Target, registry.ProductionStage)
	}
	if dc.Layout.ClientDir != "examples/bookme/frontend" || dc.Layout.ClientOutput != "dist" {
		t.Errorf("client %s/%s, want examples/bookme/frontend/dist (ci/client.go)", dc.Layout.ClientDir, dc.Layout.ClientOutput)
	}
	// Timeouts: core/deploy's, core/rollout's and core/smoke's defaults
	want := deploy.DefaultTimeouts()
	want.Rollout = rollout.Settings{Timeout: rollout.DefaultTimeout, PollInterval: rollout.DefaultPollInterval}
	if dc.Timeouts != want {
		t.Errorf("timeouts %+v, want %+v", dc.Timeouts, want)
	}
	if dc.Timeouts.Lock != 10*time.Minute || dc.Timeouts.Invalidation != 20*time.Minute || dc.Timeouts.Smoke != smoke.DefaultRetryFor ||
		dc.Timeouts.SmokePoll != smoke.DefaultInterval || dc.Timeouts.SmokeRequest != smoke.DefaultRequestTimeout {
		t.Errorf("timeouts %+v are not today's constants", dc.Timeouts)
	}
	if dc.KeepReleases != release.DefaultKeepReleases {
		t.Errorf("keep %d, want %d", dc.KeepReleases, release.DefaultKeepReleases)
	}
	a := dc.App
	// the migration: rollout.DefaultMigrationCommand, byte for byte
	if a.SkipMigration || !slices.Equal(a.MigrationCommand, rollout.DefaultMigrationCommand) {
		t.Errorf("migration %q, want %q", a.MigrationCommand, rollout.DefaultMigrationCommand)
	}
	if a.SkipBootstrap || a.BootstrapCommand != nil {
		t.Errorf("bootstrap: want the built-in, got skip=%v %q", a.SkipBootstrap, a.BootstrapCommand)
	}
	// the client build of ci/client.go
	if a.ClientImage != "node:22-bookworm-slim" || !slices.Equal(a.ClientInstall, []string{"npm", "ci", "--no-audit", "--no-fund"}) ||
		!slices.Equal(a.ClientBuild, []string{"npm", "run", "build"}) {
		t.Errorf("client build %q %q %q", a.ClientImage, a.ClientInstall, a.ClientBuild)
	}
	env, err := a.ClientEnv(&stack.Frontend{APIDomainName: "api.staging.book-me.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	// core/deploy/client.go: api := "https://" + APIDomainName, ws := "wss://" + APIDomainName
	if !reflect.DeepEqual(env, map[string]string{"VITE_API_BASE_URL": "https://api.staging.book-me.example.com", "VITE_WS_BASE_URL": "wss://api.staging.book-me.example.com"}) {
		t.Errorf("client env %v", env)
	}
	if a.Headers != nil || a.APIBuildArgs != nil || a.APIContainer != "" || a.WorkerContainer != "" {
		t.Errorf("no headers, build args or container names by default: %+v", a)
	}
	if a.Smoke != (deploy.SmokeChecks{APIPath: smoke.PingPath, APIStatus: 200, SPAPath: "/", SPAEntry: SmokeEntryModule}) {
		t.Errorf("smoke %+v", a.Smoke)
	}
	// what the caller gave stays
	if dc.Env != "production" {
		t.Errorf("env %q", dc.Env)
	}
}

// An empty file, or one with only comments, sets nothing.
func TestEmptyFileIsTheDefaults(t *testing.T) {
	for _, data := range []string{"", "# nothing\n", "---\n", "version: 1\n"} {
		c, err := Load(FileName, []byte(data), "staging")
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if !reflect.DeepEqual(c.Settings, Default()) {
			t.Errorf("%q resolved to %+v", data, c.Settings)
		}
	}
}

func TestMigrationCommandJoinsMigrateAndCollectstatic(t *testing.T) {
	for _, c := range []struct {
		yaml string
		want []string
		skip bool
	}{
		{"commands: {collectstatic: none}", []string{"sh", "-c", "python manage.py migrate --noinput"}, false},
		{"commands: {migrate: none, collectstatic: none}", nil, true},
		{"commands: {migrate: [python3, manage.py, migrate], collectstatic: none}", []string{"python3", "manage.py", "migrate"}, false},
		{"commands: {migrate: [python3, manage.py, migrate], collectstatic: \"./collect --to 'x y'\"}",
			[]string{"sh", "-c", "python3 manage.py migrate && ./collect --to 'x y'"}, false},
		{"commands: {migrate: [echo, \"it's\"], collectstatic: [true]}", []string{"sh", "-c", `echo 'it'\''s' && true`}, false},
	} {
		cfg, err := Load(FileName, []byte(c.yaml), "staging")
		if err != nil {
			t.Fatal(err)
		}
		got, skip := cfg.MigrationCommand()
		if !slices.Equal(got, c.want) || skip != c.skip {
			t.Errorf("%s: got %q skip=%v, want %q skip=%v", c.yaml, got, skip, c.want, c.skip)
		}
		dc := cfg.DeployConfig(deploy.Config{})
		if dc.App.SkipMigration != c.skip || !slices.Equal(dc.App.MigrationCommand, c.want) {
			t.Errorf("%s: deploy.App %q skip=%v", c.yaml, dc.App.MigrationCommand, dc.App.SkipMigration)
		}
	}
}

func TestBootstrapKinds(t *testing.T) {
	for _, c := range []struct {
		yaml string
		skip bool
		cmd  []string
	}{
		{"commands: {bootstrap: builtin}", false, nil},
		{"commands: {bootstrap: none}", true, nil},
		{"commands: {bootstrap: [./bin/bootstrap, --db, main]}", false, []string{"./bin/bootstrap", "--db", "main"}},
		{"commands: {bootstrap: ./bin/bootstrap}", false, []string{"sh", "-c", "./bin/bootstrap"}},
	} {
		cfg, err := Load(FileName, []byte(c.yaml), "staging")
		if err != nil {
			t.Fatal(err)
		}
		a := cfg.DeployConfig(deploy.Config{}).App
		if a.SkipBootstrap != c.skip || !slices.Equal(a.BootstrapCommand, c.cmd) {
			t.Errorf("%s: skip=%v %q", c.yaml, a.SkipBootstrap, a.BootstrapCommand)
		}
	}
}

// The placeholders are the frontend stack's outputs, read from core/stack's typed struct.
func TestClientPlaceholdersAreTheFrontendOutputs(t *testing.T) {
	want := []string{"api_domain_name", "client_bucket", "client_domain_name", "client_url", "distribution_domain_name", "distribution_id", "env"}
	if got := ClientPlaceholders(); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	got, err := Expand("{client_url}/x?{{literal}}&env={env}", FrontendValues(&stack.Frontend{ClientURL: "https://app"}, "staging"))
	if err != nil || got != "https://app/x?{literal}&env=staging" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := Expand("{api_domain}", FrontendValues(&stack.Frontend{}, "s")); err == nil {
		t.Fatal("an unknown placeholder was expanded")
	}
}

// smoke.api.release: the release check is on unless the file (or an environment) turns it off.
func TestSmokeReleaseSwitch(t *testing.T) {
	for _, c := range []struct {
		yaml, env  string
		anyRelease bool
	}{
		{"", "staging", false},
		{"smoke: {api: {release: true}}", "staging", false},
		{"smoke: {api: {release: false, path: /api/health/}}", "staging", true},
		{"smoke: {api: {release: false}}\nenvironments: {production: {smoke: {api: {release: true}}}}", "production", false},
		{"smoke: {api: {release: false}}\nenvironments: {production: {smoke: {api: {release: true}}}}", "staging", true},
		{"environments: {staging: {smoke: {api: {release: false}}}}", "staging", true},
		{"environments: {staging: {smoke: {api: {release: false}}}}", "production", false},
	} {
		cfg, err := Load(FileName, []byte(c.yaml), c.env)
		if err != nil {
			t.Fatalf("%q: %v", c.yaml, err)
		}
		s := cfg.DeployConfig(deploy.Config{}).App.Smoke
		if s.AnyRelease != c.anyRelease {
			t.Errorf("%q in %s: AnyRelease %v, want %v", c.yaml, c.env, s.AnyRelease, c.anyRelease)
		}
		if s.APIPath == "" || s.APIStatus != 200 {
			t.Errorf("%q: the other smoke settings lost their defaults: %+v", c.yaml, s)
		}
	}
	// Default()'s own value is not shared with a resolved file's: turning it off in one file leaves
	// the defaults on.
	if _, err := Load(FileName, []byte("smoke: {api: {release: false}}"), "staging"); err != nil {
		t.Fatal(err)
	}
	if r := Default().Smoke.API.Release; r == nil || !*r {
		t.Fatalf("Default()'s smoke.api.release is %v after a file turned it off", r)
	}
}

// timeouts.cleanup reaches the deploy (its roll-back's bound) and the credentials' budget.
func TestCleanupTimeoutReachesTheDeploy(t *testing.T) {
	def, err := Load(FileName, nil, "staging")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(FileName, []byte("timeouts:\n  cleanup: 45m\n"), "staging")
	if err != nil {
		t.Fatal(err)
	}
	got := c.DeployConfig(deploy.Config{}).Timeouts
	if got.Cleanup != 45*time.Minute {
		t.Fatalf("Cleanup = %s, want 45m", got.Cleanup)
	}
	if d := got.Budget() - def.DeployConfig(deploy.Config{}).Timeouts.Budget(); d != 8*time.Minute {
		t.Fatalf("the budget grew by %s, want 8m (45m instead of the default 37m)", d)
	}
}
