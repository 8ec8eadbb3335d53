// Package appconfig reads bookme-deploy.yaml, the file at the root of the user's repository that
// says where the app's parts are and how they are built, migrated, checked and released: the API's
// directory, Dockerfile, build target and build args; the client's directory, build commands,
// output directory, build-time variables (templated from the frontend stack's outputs) and header
// rules; the one-off commands; the container names; the smoke checks; how many releases are kept;
// every timeout; and per-environment overrides of some of them.
//
// One file per verb:
//
//	parse.go     Parse: YAML → File, strictly (unknown keys and wrong types are errors), with the
//	             line of every field
//	validate.go  Validate: every value checked, all problems at once, each naming file, line, field
//	defaults.go  Default: the reference app's settings (today's constants); a missing file is exactly these
//	resolve.go   Resolve/Load: one environment's Config (overrides merged over the file, defaults under both)
//	expand.go    Expand: {placeholders} of the client's build-time variables from the frontend outputs
//	deploy.go    Config.DeployConfig: the pieces core/deploy.Config takes (Layout, App, Timeouts, KeepReleases)
//
// Nothing here reads AWS or runs anything: a bad file is refused before a deploy starts.
package appconfig

// FileName is the config file's name at the repository root.
const FileName = "bookme-deploy.yaml"
