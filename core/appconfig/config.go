package appconfig

import "time"

// File is bookme-deploy.yaml as written: the settings of every environment and, under
// Environments, what differs per environment. A field left out is zero here; Resolve puts the
// defaults under it. The yaml tags are the file's keys (docs/bookme-deploy.schema.json lists the
// same, a test keeps them in step).
type File struct {
	// Version of the file's format: 1 (the only one; may be left out).
	Version  int `yaml:"version"`
	Settings `yaml:",inline"`
	// Environments maps an environment name (infra/environments/<env>.tfvars) to its overrides.
	Environments map[string]Override `yaml:"environments"`
}

// Settings are the settings of one environment.
type Settings struct {
	API        API        `yaml:"api"`
	Client     Client     `yaml:"client"`
	Commands   Commands   `yaml:"commands"`
	Containers Containers `yaml:"containers"`
	Smoke      Smoke      `yaml:"smoke"`
	Releases   Releases   `yaml:"releases"`
	Timeouts   Timeouts   `yaml:"timeouts"`
}

// Override is what an environment may change: timeouts, releases kept, smoke checks and the
// client's build-time variables (merged key by key).
type Override struct {
	Client   ClientOverride `yaml:"client"`
	Smoke    Smoke          `yaml:"smoke"`
	Releases Releases       `yaml:"releases"`
	Timeouts Timeouts       `yaml:"timeouts"`
}

// ClientOverride is the part of Client an environment may change.
type ClientOverride struct {
	Env map[string]string `yaml:"env"`
}

// API is the API image's build.
type API struct {
	// Dir holds the API's sources and its Dockerfile (the Docker build context).
	Dir string `yaml:"dir"`
	// Dockerfile is the Dockerfile's path relative to Dir.
	Dockerfile string `yaml:"dockerfile"`
	// Target is the Dockerfile stage that is built and deployed.
	Target string `yaml:"target"`
	// BuildArgs are extra --build-arg values (literal).
	BuildArgs map[string]string `yaml:"build_args"`
	// ServiceConfigDir holds the env file's template, schema and per-environment inputs.
	ServiceConfigDir string `yaml:"service_config_dir"`
}

// Client is the SPA's build and release.
type Client struct {
	// Dir holds the client's sources (package.json).
	Dir string `yaml:"dir"`
	// Image is the container image the client is built in.
	Image string `yaml:"image"`
	// Install installs the dependencies (run before the sources are copied in, for caching).
	Install Command `yaml:"install"`
	// Build builds the bundle into Output.
	Build Command `yaml:"build"`
	// Output is the bundle directory the build writes, relative to Dir (index.html at its root).
	Output string `yaml:"output"`
	// Env are the build-time variables; values may name frontend-stack outputs as {output_name}.
	Env map[string]string `yaml:"env"`
	// Headers override the default headers of the bundle's files (first match wins).
	Headers []HeaderRule `yaml:"headers"`
}

// HeaderRule is core/release.Rule in the file's spelling.
type HeaderRule struct {
	// Match is a path.Match glob: with a "/" against the bundle-relative path, else the base name.
	Match        string `yaml:"match"`
	CacheControl string `yaml:"cache_control"`
	ContentType  string `yaml:"content_type"`
}

// Commands are the one-off tasks run before the services roll.
type Commands struct {
	// Bootstrap runs first, on the shell task family: builtin (bookme-dbbootstrap), none, or a command.
	Bootstrap Command `yaml:"bootstrap"`
	// Migrate and Collectstatic run, in this order, as the migration task; none skips one.
	Migrate       Command `yaml:"migrate"`
	Collectstatic Command `yaml:"collectstatic"`
}

// Containers name the task definitions' containers whose image the pipeline replaces; empty: the
// backend stack's api_container_name and worker_container_name outputs, which a set name must equal.
type Containers struct {
	API    string `yaml:"api"`
	Worker string `yaml:"worker"`
}

// Smoke are the post-deploy checks.
type Smoke struct {
	API SmokeAPI `yaml:"api"`
	SPA SmokeSPA `yaml:"spa"`
}

// SmokeAPI checks the API through the load balancer.
type SmokeAPI struct {
	// Path is fetched from the API's base URL.
	Path string `yaml:"path"`
	// Status is the status code expected.
	Status int `yaml:"status"`
	// BodyContains, when set, must occur in the answer's body.
	BodyContains string `yaml:"body_contains"`
	// Release: the answers must name the new release in X-Bookme-Release (the image's
	// BOOKME_RELEASE, core/smoke.ReleaseHeader), three in a row. false: an app that does not echo
	// it; any answer with Status (and BodyContains) will do. nil: not written (default true).
	Release *bool `yaml:"release"`
}

// SmokeSPA checks the SPA through CloudFront.
type SmokeSPA struct {
	// Path is fetched from the client's URL; its HTML must reference the new release's entry script.
	Path string `yaml:"path"`
	// Entry says how index.html names its entry script: module (<script type="module" src>, Vite)
	// or script (the first <script src>, Create React App's <script defer src>).
	Entry string `yaml:"entry"`
}

// Releases says how much of the past is kept.
type Releases struct {
	// Keep is how many previous releases keep their SPA files and env file beside the current one.
	Keep int `yaml:"keep"`
}

// Timeouts are every wait of a deploy, as Go durations ("15m", "5s").
type Timeouts struct {
	Lock             Duration `yaml:"lock"`
	LockPoll         Duration `yaml:"lock_poll"`
	Rollout          Duration `yaml:"rollout"`
	RolloutPoll      Duration `yaml:"rollout_poll"`
	Invalidation     Duration `yaml:"invalidation"`
	InvalidationPoll Duration `yaml:"invalidation_poll"`
	Smoke            Duration `yaml:"smoke"`
	SmokePoll        Duration `yaml:"smoke_poll"`
	SmokeRequest     Duration `yaml:"smoke_request"`
	// Cleanup bounds the roll-back after a failure or a cancel; 0: rollout + invalidation + 2m.
	Cleanup Duration `yaml:"cleanup"`
}

// Duration is a time.Duration written as a Go duration string ("15m").
type Duration time.Duration

// D is the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Command is a command line: a YAML list is the argv, a string is run by `sh -c`. The scalars
// "none" and (for bootstrap) "builtin" are kinds of their own.
type Command struct {
	Argv []string
	// None: run nothing. Builtin: the pipeline's own command (bootstrap only).
	None, Builtin bool
}

// IsZero reports a command left out.
func (c Command) IsZero() bool { return len(c.Argv) == 0 && !c.None && !c.Builtin }

// Shell is the argv of `sh -c line`.
func Shell(line string) Command { return Command{Argv: []string{"sh", "-c", line}} }
