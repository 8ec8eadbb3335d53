package appconfig

import (
	"strings"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
)

// DeployConfig returns base with what the config says filled in: Layout, Timeouts, KeepReleases and
// App. The run's own fields (Env, GitSHA, Who, Stages …) are base's; a command-line flag that
// overrides a setting (--lock-timeout) is set on the result by the caller.
func (c *Config) DeployConfig(base deploy.Config) deploy.Config {
	out := base
	out.Layout = deploy.Layout{
		APIDir: c.API.Dir, ServiceConfigDir: c.API.ServiceConfigDir,
		Dockerfile: c.API.Dockerfile, Target: c.API.Target,
		ClientDir: c.Client.Dir, ClientOutput: c.Client.Output,
	}
	out.Timeouts = c.Timeouts.Deploy()
	out.KeepReleases = c.Releases.Keep
	app := deploy.App{
		APIBuildArgs:    copyMap(c.API.BuildArgs),
		ClientImage:     c.Client.Image,
		ClientBuild:     append([]string(nil), c.Client.Build.Argv...),
		ClientEnv:       c.ClientEnv,
		Headers:         c.Rules(),
		APIContainer:    c.Containers.API,
		WorkerContainer: c.Containers.Worker,
		Smoke: deploy.SmokeChecks{
			APIPath: c.Smoke.API.Path, APIStatus: c.Smoke.API.Status, APIBodyContains: c.Smoke.API.BodyContains,
			AnyRelease: c.Smoke.API.Release != nil && !*c.Smoke.API.Release,
			SPAPath:    c.Smoke.SPA.Path, SPAEntry: c.Smoke.SPA.Entry,
		},
	}
	if !c.Client.Install.None {
		app.ClientInstall = append([]string(nil), c.Client.Install.Argv...)
	}
	switch b := c.Commands.Bootstrap; {
	case b.None:
		app.SkipBootstrap = true
	case !b.Builtin:
		app.BootstrapCommand = append([]string(nil), b.Argv...)
	}
	app.MigrationCommand, app.SkipMigration = c.MigrationCommand()
	out.App = app
	return out
}

// Deploy is the timeouts in core/deploy's form.
func (t Timeouts) Deploy() deploy.Timeouts {
	return deploy.Timeouts{
		Lock: t.Lock.D(), LockPoll: t.LockPoll.D(),
		Invalidation: t.Invalidation.D(), InvalidationPoll: t.InvalidationPoll.D(),
		Rollout: rollout.Settings{Timeout: t.Rollout.D(), PollInterval: t.RolloutPoll.D()},
		Smoke:   t.Smoke.D(), SmokePoll: t.SmokePoll.D(), SmokeRequest: t.SmokeRequest.D(),
		Cleanup: t.Cleanup.D(),
	}
}

// Rules are the client's header rules in core/release's form.
func (c *Config) Rules() []release.Rule {
	if len(c.Client.Headers) == 0 {
		return nil
	}
	out := make([]release.Rule, len(c.Client.Headers))
	for i, h := range c.Client.Headers {
		out[i] = release.Rule{Match: h.Match, CacheControl: h.CacheControl, ContentType: h.ContentType}
	}
	return out
}

// MigrationCommand is the migration task's command: migrate, then collectstatic, in one task.
// Two shell strings join into one `sh -c "A && B"` (the defaults give exactly
// rollout.DefaultMigrationCommand); lists are quoted for the shell. skip: both are none.
func (c *Config) MigrationCommand() (cmd []string, skip bool) {
	var parts []Command
	for _, p := range []Command{c.Commands.Migrate, c.Commands.Collectstatic} {
		if !p.None && len(p.Argv) > 0 {
			parts = append(parts, p)
		}
	}
	switch len(parts) {
	case 0:
		return nil, true
	case 1:
		return append([]string(nil), parts[0].Argv...), false
	}
	lines := make([]string, len(parts))
	for i, p := range parts {
		lines[i] = p.shellLine()
	}
	return []string{"sh", "-c", strings.Join(lines, " && ")}, false
}

// shellLine is the command as one line of sh: a `sh -c X` is X, a list its words quoted.
func (c Command) shellLine() string {
	if len(c.Argv) == 3 && c.Argv[0] == "sh" && c.Argv[1] == "-c" {
		return c.Argv[2]
	}
	words := make([]string, len(c.Argv))
	for i, w := range c.Argv {
		words[i] = shellQuote(w)
	}
	return strings.Join(words, " ")
}

func shellQuote(w string) string {
	if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@,+%") == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
