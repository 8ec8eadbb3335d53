package appconfig

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Validate checks every value of the document and returns all problems at once (Problems), each
// naming the file, the line and the field. The settings every environment resolves to are checked
// too (a poll interval longer than its timeout may come from two places).
func Validate(doc *Document) error {
	v := &validator{doc: doc}
	f := doc.File
	if v.written("version") && f.Version != 1 {
		v.bad("version", "must be 1 (the only format there is), got %d", f.Version)
	}
	v.settings("", f.Settings)
	envs := make([]string, 0, len(f.Environments))
	for name := range f.Environments {
		envs = append(envs, name)
	}
	sort.Strings(envs)
	for _, name := range envs {
		field := "environments." + name
		if !envName.MatchString(name) {
			v.bad(field, "an environment name is lower-case letters, digits and '-' (as infra/environments/<env>.tfvars), got %q", name)
		}
		o := f.Environments[name]
		v.clientEnv(field+".client.env", o.Client.Env)
		v.smoke(field+".smoke", o.Smoke)
		v.releases(field+".releases", o.Releases)
		v.timeouts(field+".timeouts", o.Timeouts)
	}
	// the resolved settings: the file alone (environments it does not name), then each environment
	v.resolved("", doc.settings(""))
	for _, name := range envs {
		v.resolved(name, doc.settings(name))
	}
	return v.probs.err()
}

var (
	envName       = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	varName       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	stageName     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)
	containerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$`)
	imageRef      = regexp.MustCompile(`^[a-z0-9][a-z0-9._/:@-]*$`)
	mediaType     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;.*)?$`)
)

type validator struct {
	doc   *Document
	probs Problems
}

func (v *validator) written(field string) bool { return v.doc.Line(field) > 0 }

// bad records a problem of field, on the line of the field or, when it was not written (a
// missing key of a written rule), of its nearest written parent.
func (v *validator) bad(field, format string, args ...any) {
	line := 0
	for f := field; f != "" && line == 0; {
		line = v.doc.Line(f)
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	v.probs = append(v.probs, Problem{File: v.doc.Name, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// empty flags a string written as "".
func (v *validator) empty(field, value string) bool {
	if value == "" && v.written(field) {
		v.bad(field, "must not be empty (leave the key out for the default)")
		return true
	}
	return value == ""
}

func (v *validator) settings(prefix string, s Settings) {
	at := func(f string) string { return join(prefix, f) }
	v.api(at("api"), s.API)
	v.client(at("client"), s.Client)
	v.commands(at("commands"), s.Commands)
	v.containers(at("containers"), s.Containers)
	v.smoke(at("smoke"), s.Smoke)
	v.releases(at("releases"), s.Releases)
	v.timeouts(at("timeouts"), s.Timeouts)
}

// relDir checks a repository-relative directory (or file): relative, clean, inside the repository.
func (v *validator) relDir(field, value, what string) {
	if v.empty(field, value) {
		return
	}
	clean := path.Clean(value)
	switch {
	case strings.Contains(value, `\`):
		v.bad(field, "must be a relative %s with forward slashes, got %q", what, value)
	case path.IsAbs(value) || clean == ".." || strings.HasPrefix(clean, "../"):
		v.bad(field, "must be a relative %s inside the repository, got %q", what, value)
	case clean == ".":
		v.bad(field, "must name a %s below the repository root, got %q", what, value)
	case clean != strings.TrimSuffix(value, "/"):
		v.bad(field, "must be a clean relative path (%q), got %q", clean, value)
	}
}

func (v *validator) api(p string, a API) {
	v.relDir(p+".dir", a.Dir, "directory")
	v.relDir(p+".dockerfile", a.Dockerfile, "file (relative to api.dir)")
	if !v.empty(p+".target", a.Target) && !stageName.MatchString(a.Target) {
		v.bad(p+".target", "must be a Dockerfile stage name (FROM … AS name), got %q", a.Target)
	}
	for _, k := range sortedNames(a.BuildArgs) {
		if !varName.MatchString(k) {
			v.bad(p+".build_args."+k, "a build arg's name is letters, digits and '_', not starting with a digit")
		}
	}
	v.relDir(p+".service_config_dir", a.ServiceConfigDir, "directory")
}

func (v *validator) client(p string, c Client) {
	v.relDir(p+".dir", c.Dir, "directory")
	if !v.empty(p+".image", c.Image) && !imageRef.MatchString(c.Image) {
		v.bad(p+".image", "must be an image reference such as node:22-bookworm-slim, got %q", c.Image)
	}
	v.command(p+".install", c.Install, false)
	v.command(p+".build", c.Build, false)
	if c.Build.None {
		v.bad(p+".build", "the client must be built: give its build command")
	}
	v.relDir(p+".output", c.Output, "directory (relative to client.dir)")
	v.clientEnv(p+".env", c.Env)
	for i, h := range c.Headers {
		f := fmt.Sprintf("%s.headers[%d]", p, i)
		switch {
		case h.Match == "":
			v.bad(f+".match", "a header rule needs a match glob (e.g. \"static/js/*.js\" or \"*.html\")")
		default:
			if _, err := path.Match(h.Match, ""); err != nil {
				v.bad(f+".match", "not a glob: %q (%v)", h.Match, err)
			}
		}
		if h.CacheControl == "" && h.ContentType == "" {
			v.bad(f, "sets neither cache_control nor content_type")
		}
		if strings.ContainsAny(h.CacheControl, "\r\n") {
			v.bad(f+".cache_control", "must be one line")
		}
		if h.ContentType != "" && !mediaType.MatchString(h.ContentType) {
			v.bad(f+".content_type", "must be a media type such as text/html; charset=utf-8, got %q", h.ContentType)
		}
	}
}

func (v *validator) clientEnv(p string, env map[string]string) {
	known := ClientPlaceholders()
	for _, k := range sortedNames(env) {
		f := p + "." + k
		if !varName.MatchString(k) {
			v.bad(f, "a variable's name is letters, digits and '_', not starting with a digit")
		}
		names, err := placeholders(env[k])
		if err != nil {
			v.bad(f, "%v", err)
			continue
		}
		for _, n := range names {
			if !contains(known, n) {
				v.bad(f, "unknown placeholder {%s}: the client is built from the frontend stack's outputs, one of {%s}", n, strings.Join(known, "}, {"))
			}
		}
	}
}

func (v *validator) command(f string, c Command, builtinOK bool) {
	if c.Builtin && !builtinOK {
		v.bad(f, "builtin is only for commands.bootstrap")
	}
	for i, w := range c.Argv {
		if strings.TrimSpace(w) == "" && i == 0 {
			v.bad(f, "the command's first word is empty")
		}
		if strings.ContainsRune(w, 0) {
			v.bad(f, "a command must not contain NUL")
		}
	}
}

func (v *validator) commands(p string, c Commands) {
	v.command(p+".bootstrap", c.Bootstrap, true)
	v.command(p+".migrate", c.Migrate, false)
	v.command(p+".collectstatic", c.Collectstatic, false)
}

func (v *validator) containers(p string, c Containers) {
	for _, kv := range [][2]string{{"api", c.API}, {"worker", c.Worker}} {
		f := p + "." + kv[0]
		if !v.empty(f, kv[1]) && !containerName.MatchString(kv[1]) {
			v.bad(f, "an ECS container name is up to 255 letters, digits, '-' and '_', got %q", kv[1])
		}
	}
}

func (v *validator) urlPath(f, value string) {
	if v.empty(f, value) {
		return
	}
	if !strings.HasPrefix(value, "/") || strings.Contains(value, "://") || strings.ContainsAny(value, " \t\r\n#") {
		v.bad(f, "must be a URL path starting with /, got %q", value)
	}
}

func (v *validator) smoke(p string, s Smoke) {
	v.urlPath(p+".api.path", s.API.Path)
	if (s.API.Status != 0 || v.written(p+".api.status")) && (s.API.Status < 100 || s.API.Status > 599) {
		v.bad(p+".api.status", "must be an HTTP status code (100–599), got %d", s.API.Status)
	}
	v.urlPath(p+".spa.path", s.SPA.Path)
	if !v.empty(p+".spa.entry", s.SPA.Entry) && s.SPA.Entry != SmokeEntryModule && s.SPA.Entry != SmokeEntryScript {
		v.bad(p+".spa.entry", "must be %s (<script type=\"module\" src>, Vite) or %s (the first <script src>, Create React App), got %q",
			SmokeEntryModule, SmokeEntryScript, s.SPA.Entry)
	}
}

func (v *validator) releases(p string, r Releases) {
	if (r.Keep != 0 || v.written(p+".keep")) && (r.Keep < 1 || r.Keep > 100) {
		v.bad(p+".keep", "must be between 1 and 100 releases, got %d", r.Keep)
	}
}

// timeoutFields pairs each timeout's key with its value.
func timeoutFields(t Timeouts) [][2]any {
	return [][2]any{{"lock", t.Lock}, {"lock_poll", t.LockPoll}, {"rollout", t.Rollout}, {"rollout_poll", t.RolloutPoll},
		{"invalidation", t.Invalidation}, {"invalidation_poll", t.InvalidationPoll},
		{"smoke", t.Smoke}, {"smoke_poll", t.SmokePoll}, {"smoke_request", t.SmokeRequest}, {"cleanup", t.Cleanup}}
}

func (v *validator) timeouts(p string, t Timeouts) {
	for _, kv := range timeoutFields(t) {
		f := p + "." + kv[0].(string)
		d := kv[1].(Duration).D()
		switch {
		case d < 0 || (d == 0 && v.written(f)):
			v.bad(f, "must be a positive duration, got %s", d)
		case d > 24*time.Hour:
			v.bad(f, "must be at most 24h, got %s", d)
		}
	}
}

// resolved checks what one environment ends up with: each poll shorter than its wait. The
// problem names the field where the later of the two values was written.
func (v *validator) resolved(env string, s Settings) {
	t := s.Timeouts
	pairs := []struct {
		poll, wait string
		p, w       Duration
	}{
		{"lock_poll", "lock", t.LockPoll, t.Lock},
		{"rollout_poll", "rollout", t.RolloutPoll, t.Rollout},
		{"invalidation_poll", "invalidation", t.InvalidationPoll, t.Invalidation},
		{"smoke_poll", "smoke", t.SmokePoll, t.Smoke},
		{"smoke_request", "smoke", t.SmokeRequest, t.Smoke},
	}
	for _, pr := range pairs {
		if pr.p <= 0 || pr.w <= 0 || pr.p < pr.w {
			continue
		}
		field := v.where(env, "timeouts."+pr.poll)
		if v.doc.Line(v.where(env, "timeouts."+pr.wait)) > v.doc.Line(field) {
			field = v.where(env, "timeouts."+pr.wait)
		}
		in := ""
		if env != "" {
			in = " in " + env
		}
		v.bad(field, "timeouts.%s (%s) must be shorter than timeouts.%s (%s)%s", pr.poll, pr.p.D(), pr.wait, pr.w.D(), in)
	}
}

// where is the field that sets key for env: the environment's override when written, else the file's.
func (v *validator) where(env, key string) string {
	if env != "" && v.written("environments."+env+"."+key) {
		return "environments." + env + "." + key
	}
	return key
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
