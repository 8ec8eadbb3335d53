package appconfig

import (
	"bookme-deploy/core/deploy"
	"bookme-deploy/core/registry"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/smoke"
)

// The reference app's values that have no exported constant elsewhere in the core.
const (
	// DefaultClientDir is the reference SPA's directory.
	DefaultClientDir = "examples/bookme/frontend"
	// DefaultClientImage is the image the client is built in (ci/client.go's nodeImage).
	DefaultClientImage = "node:22-bookworm-slim"
	// DefaultClientOutput is Vite's output directory.
	DefaultClientOutput = "dist"
	// SmokeEntryModule and SmokeEntryScript are the values of smoke.spa.entry.
	SmokeEntryModule = smoke.EntryModule
	SmokeEntryScript = smoke.EntryScript
)

// checkRelease is the default of smoke.api.release (Default's pointer; never written through).
var checkRelease = true

// Default is every setting of a repository without bookme-deploy.yaml: the reference app
// (examples/bookme) and the core's own defaults, exactly what the pipeline does without a file.
func Default() Settings {
	t := deploy.DefaultTimeouts()
	return Settings{
		API: API{
			Dir:              deploy.DefaultLayout.APIDir,
			Dockerfile:       "Dockerfile",
			Target:           registry.ProductionStage,
			ServiceConfigDir: deploy.DefaultLayout.ServiceConfigDir,
		},
		Client: Client{
			Dir:     DefaultClientDir,
			Image:   DefaultClientImage,
			Install: Command{Argv: []string{"npm", "ci", "--no-audit", "--no-fund"}},
			Build:   Command{Argv: []string{"npm", "run", "build"}},
			Output:  DefaultClientOutput,
			Env: map[string]string{
				"VITE_API_BASE_URL": "https://{api_domain_name}",
				"VITE_WS_BASE_URL":  "wss://{api_domain_name}",
			},
		},
		Commands: Commands{
			Bootstrap:     Command{Builtin: true},
			Migrate:       Shell("python manage.py migrate --noinput"),
			Collectstatic: Shell("python manage.py collectstatic --noinput"),
		},
		Smoke: Smoke{
			API: SmokeAPI{Path: smoke.PingPath, Status: 200, Release: &checkRelease},
			SPA: SmokeSPA{Path: "/", Entry: SmokeEntryModule},
		},
		Releases: Releases{Keep: release.DefaultKeepReleases},
		Timeouts: Timeouts{
			Lock:             Duration(t.Lock),
			LockPoll:         Duration(t.LockPoll),
			Rollout:          Duration(rollout.DefaultTimeout),
			RolloutPoll:      Duration(rollout.DefaultPollInterval),
			Invalidation:     Duration(t.Invalidation),
			InvalidationPoll: Duration(t.InvalidationPoll),
			Smoke:            Duration(smoke.DefaultRetryFor),
			SmokePoll:        Duration(smoke.DefaultInterval),
			SmokeRequest:     Duration(smoke.DefaultRequestTimeout),
		},
	}
}
