package appconfig

import (
	"errors"
	"strings"
	"testing"
)

// A bad value of each field is refused with an error naming the file, the line and the field; the
// good value next to it is accepted. The bad value is always on line 3 (two lines of context first).
func TestEveryFieldRefusesABadValueNamingFileLineAndField(t *testing.T) {
	cases := []struct {
		name, good, bad, field, want string
	}{
		{"version", "version: 1", "version: 2", "version", "must be 1"},
		{"api.dir", "api:\n  dir: backend", "api:\n  dir: ../x", "api.dir", `inside the repository, got "../x"`},
		{"api.dir absolute", "api:\n  dir: srv/api", "api:\n  dir: /srv/api", "api.dir", "inside the repository"},
		{"api.dir backslash", "api:\n  dir: a/b", "api:\n  dir: 'a\\b'", "api.dir", "forward slashes"},
		{"api.dir unclean", "api:\n  dir: a/b/", "api:\n  dir: a/./b", "api.dir", "clean relative path"},
		{"api.dir root", "api:\n  dir: api", "api:\n  dir: .", "api.dir", "below the repository root"},
		{"api.dir empty", "api:\n  dir: api", "api:\n  dir: ''", "api.dir", "must not be empty"},
		{"api.dockerfile", "api:\n  dockerfile: docker/Dockerfile.prod", "api:\n  dockerfile: ../Dockerfile", "api.dockerfile", "inside the repository"},
		{"api.target", "api:\n  target: prod", "api:\n  target: 'prod stage'", "api.target", "stage name"},
		{"api.build_args", "api:\n  build_args: {NODE_ENV: production}", "api:\n  build_args: {1BAD: x}", "api.build_args.1BAD", "build arg's name"},
		{"api.build_args type", "api:\n  build_args: {A: b}", "api:\n  build_args: [a, b]", "api.build_args", "must be a mapping"},
		{"api.service_config_dir", "api:\n  service_config_dir: config/api", "api:\n  service_config_dir: /etc", "api.service_config_dir", "inside the repository"},
		{"client.dir", "client:\n  dir: web", "client:\n  dir: ../web", "client.dir", "inside the repository"},
		{"client.image", "client:\n  image: node:20-slim", "client:\n  image: 'Node 20'", "client.image", "image reference"},
		{"client.install", "client:\n  install: none", "client:\n  install: []", "client.install", "an empty command"},
		{"client.install builtin", "client:\n  install: [npm, ci]", "client:\n  install: builtin", "client.install", "only for commands.bootstrap"},
		{"client.build", "client:\n  build: yarn build", "client:\n  build: none", "client.build", "must be built"},
		{"client.build type", "client:\n  build: [yarn, build]", "client:\n  build: {run: x}", "client.build", "must be a command"},
		{"client.output", "client:\n  output: build", "client:\n  output: ../x", "client.output", `must be a relative directory (relative to client.dir) inside the repository, got "../x"`},
		{"client.env name", "client:\n  env: {REACT_APP_X: a}", "client:\n  env: {REACT-APP: a}", "client.env.REACT-APP", "variable's name"},
		{"client.env placeholder", "client:\n  env: {X: 'https://{client_domain_name}'}", "client:\n  env: {X: 'https://{api_domain}'}", "client.env.X", "unknown placeholder {api_domain}"},
		{"client.env brace", "client:\n  env: {X: '{{literal}}'}", "client:\n  env: {X: 'https://{api_domain_name'}", "client.env.X", "without its }"},
		{"client.env value type", "client:\n  env: {X: '1'}", "client:\n  env: {X: [1]}", "client.env.X", "must be a string"},
		{"client.headers match", "client:\n  headers: [{match: '*.html', cache_control: no-cache}]", "client:\n  headers: [{match: '[', cache_control: no-cache}]", "client.headers[0].match", "not a glob"},
		{"client.headers empty", "client:\n  headers: [{match: x, content_type: text/plain}]", "client:\n  headers: [{match: x}]", "client.headers[0]", "neither cache_control nor content_type"},
		{"client.headers no match", "client:\n  headers: [{match: x, cache_control: no-cache}]", "client:\n  headers: [{cache_control: no-cache}]", "client.headers[0].match", "needs a match glob"},
		{"client.headers content_type", "client:\n  headers: [{match: x, content_type: 'text/html; charset=utf-8'}]", "client:\n  headers: [{match: x, content_type: html}]", "client.headers[0].content_type", "media type"},
		{"client.headers key", "client:\n  headers: [{match: x, cache_control: a}]", "client:\n  headers: [{match: x, cacheControl: a}]", "client.headers[0].cacheControl", "unknown key"},
		{"commands.bootstrap", "commands:\n  bootstrap: none", "commands:\n  bootstrap: ''", "commands.bootstrap", "an empty command"},
		{"commands.migrate", "commands:\n  migrate: [python3, manage.py, migrate]", "commands:\n  migrate: builtin", "commands.migrate", "only for commands.bootstrap"},
		{"commands.migrate word", "commands:\n  migrate: [a]", "commands:\n  migrate: [a, [b]]", "commands.migrate[1]", "must be strings"},
		{"commands.collectstatic", "commands:\n  collectstatic: none", "commands:\n  collectstatic: ['', x]", "commands.collectstatic", "first word is empty"},
		{"containers.api", "containers:\n  api: web_1", "containers:\n  api: 'web app'", "containers.api", "ECS container name"},
		{"containers.worker", "containers:\n  worker: celery", "containers:\n  worker: '-x'", "containers.worker", "ECS container name"},
		{"smoke.api.path", "smoke:\n  api: {path: /healthz}", "smoke:\n  api: {path: healthz}", "smoke.api.path", "starting with /"},
		{"smoke.api.status", "smoke:\n  api: {status: 204}", "smoke:\n  api: {status: 42}", "smoke.api.status", "HTTP status code"},
		{"smoke.api.status type", "smoke:\n  api: {status: 200}", "smoke:\n  api: {status: ok}", "smoke.api.status", "whole number"},
		{"smoke.api.body_contains", "smoke:\n  api: {body_contains: ok}", "smoke:\n  api: {body_contains: {a: b}}", "smoke.api.body_contains", "must be a string"},
		{"smoke.api.release", "smoke:\n  api: {release: false}", "smoke:\n  api: {release: 'no'}", "smoke.api.release", "must be true or false"},
		{"smoke.api.release type", "smoke:\n  api: {release: true}", "smoke:\n  api: {release: [x]}", "smoke.api.release", "must be true or false"},
		{"smoke.spa.path", "smoke:\n  spa: {path: /index.html}", "smoke:\n  spa: {path: 'https://x/'}", "smoke.spa.path", "starting with /"},
		{"smoke.spa.entry", "smoke:\n  spa: {entry: script}", "smoke:\n  spa: {entry: modules}", "smoke.spa.entry", "must be module"},
		{"releases.keep", "releases:\n  keep: 5", "releases:\n  keep: 0", "releases.keep", "between 1 and 100"},
		{"releases.keep type", "releases:\n  keep: 1", "releases:\n  keep: '2'", "releases.keep", "whole number"},
		{"timeouts.lock", "timeouts:\n  lock: 30m", "timeouts:\n  lock: 30", "timeouts.lock", `Go duration such as "15m"`},
		{"timeouts.lock_poll", "timeouts:\n  lock_poll: 2s", "timeouts:\n  lock_poll: 0s", "timeouts.lock_poll", "positive duration"},
		{"timeouts.rollout", "timeouts:\n  rollout: 1h", "timeouts:\n  rollout: 25h", "timeouts.rollout", "at most 24h"},
		{"timeouts.rollout_poll", "timeouts:\n  rollout_poll: 10s", "timeouts:\n  rollout_poll: -1s", "timeouts.rollout_poll", "positive duration"},
		{"timeouts.invalidation", "timeouts:\n  invalidation: 5m", "timeouts:\n  invalidation: five minutes", "timeouts.invalidation", "Go duration"},
		{"timeouts.invalidation_poll", "timeouts:\n  invalidation_poll: 30s", "timeouts:\n  invalidation_poll: 30m", "timeouts.invalidation_poll", "shorter than timeouts.invalidation"},
		{"timeouts.smoke", "timeouts:\n  smoke: 1m", "timeouts:\n  smoke: 0s", "timeouts.smoke", "positive duration"},
		{"timeouts.smoke_request vs smoke", "timeouts:\n  smoke_request: 1m", "timeouts:\n  smoke_request: 5m", "timeouts.smoke_request", "shorter than timeouts.smoke (3m0s)"},
		{"timeouts.smoke_poll", "timeouts:\n  smoke_poll: 1s", "timeouts:\n  smoke_poll: ~", "timeouts.smoke_poll", "Go duration"},
		{"timeouts.smoke_request", "timeouts:\n  smoke_request: 5s", "timeouts:\n  smoke_request: 1ms1", "timeouts.smoke_request", "Go duration"},
		{"timeouts.cleanup", "timeouts:\n  cleanup: 45m", "timeouts:\n  cleanup: 0s", "timeouts.cleanup", "positive duration"},
		{"environments name", "environments:\n  prod-eu: {}", "environments:\n  Prod: {}", "environments.Prod", "environment name"},
		{"environments key", "environments:\n  staging:\n    releases: {keep: 1}", "environments:\n  staging:\n    api: {dir: x}", "environments.staging.api", "unknown key"},
		{"environments client key", "environments:\n  staging:\n    client: {env: {A: b}}", "environments:\n  staging:\n    client: {dir: web}", "environments.staging.client.dir", "unknown key"},
		{"environments timeouts", "environments:\n  staging:\n    timeouts: {lock: 1m}", "environments:\n  staging:\n    timeouts: {lock: 1}", "environments.staging.timeouts.lock", "Go duration"},
		{"environments releases", "environments:\n  staging:\n    releases: {keep: 1}", "environments:\n  staging:\n    releases: {keep: -1}", "environments.staging.releases.keep", "between 1 and 100"},
		{"environments smoke", "environments:\n  staging:\n    smoke: {api: {path: /x}}", "environments:\n  staging:\n    smoke: {api: {path: x}}", "environments.staging.smoke.api.path", "starting with /"},
		{"environments env", "environments:\n  staging:\n    client: {env: {A: '{env}'}}", "environments:\n  staging:\n    client: {env: {A: '{stage}'}}", "environments.staging.client.env.A", "unknown placeholder {stage}"},
		{"unknown top key", "api: {}", "apis: {}", "apis", "unknown key (the top level takes: api, client, commands, containers, environments, releases, smoke, timeouts, version)"},
		{"duplicate key", "api: {dir: a}", "api: {dir: a}\napi: {dir: b}", "api", "written twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			head := "# bookme-deploy.yaml\n# a field on line 3\n"
			if _, err := Load(FileName, []byte(head+c.good+"\n"), "staging"); err != nil {
				t.Fatalf("the good value was refused:\n%s\n%v", c.good, err)
			}
			_, err := Load(FileName, []byte(head+c.bad+"\n"), "staging")
			if err == nil {
				t.Fatalf("the bad value was accepted:\n%s", c.bad)
			}
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 {
				t.Fatalf("want one problem, got %v", err)
			}
			p := ps[0]
			line := 3 + strings.Count(c.bad[:strings.Index(c.bad, lastLineOf(c.bad))], "\n")
			prefix := FileName + ":"
			if !strings.HasPrefix(err.Error(), prefix) || p.Field != c.field || p.Line != line || !strings.Contains(p.Message, c.want) {
				t.Errorf("got %q (field %s, line %d)\nwant field %s on line %d, message containing %q", err, p.Field, p.Line, c.field, line, c.want)
			}
		})
	}
}

// lastLineOf is the line the bad value sits on in a case (its last, the one with the value).
func lastLineOf(s string) string {
	lines := strings.Split(s, "\n")
	return lines[len(lines)-1]
}

// The exact form the brief asks for, and every problem of a file at once, in line order.
func TestAllProblemsAtOnceInFileOrder(t *testing.T) {
	data := `version: 1
api:
  dir: /abs
  target: "a b"
client:
  output: ../x
  env:
    X: "https://{nope}"
  bogus: 1
releases:
  keep: 0
timeouts:
  lock: 10
environments:
  staging:
    timeouts:
      rollout_poll: 1h
`
	_, err := Load(FileName, []byte(data), "staging")
	if err == nil {
		t.Fatal("accepted")
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("not Problems: %v", err)
	}
	// parse problems stop before validation: the unknown key and the bad duration come first
	want := []string{
		`bookme-deploy.yaml:9: client.bogus: unknown key`,
		`bookme-deploy.yaml:13: timeouts.lock: must be a Go duration such as "15m" or "30s", got "10"`,
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != len(want) {
		t.Fatalf("got %d problems:\n%s", len(got), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: %q, want prefix %q", i, got[i], want[i])
		}
	}
	fixed := strings.Replace(strings.Replace(data, "  bogus: 1\n", "", 1), "lock: 10", "lock: 10m", 1)
	_, err = Load(FileName, []byte(fixed), "staging")
	want = []string{
		`bookme-deploy.yaml:3: api.dir: must be a relative directory inside the repository, got "/abs"`,
		`bookme-deploy.yaml:4: api.target: must be a Dockerfile stage name`,
		`bookme-deploy.yaml:6: client.output: must be a relative directory (relative to client.dir) inside the repository, got "../x"`,
		`bookme-deploy.yaml:8: client.env.X: unknown placeholder {nope}`,
		`bookme-deploy.yaml:10: releases.keep: must be between 1 and 100 releases, got 0`,
		`bookme-deploy.yaml:16: environments.staging.timeouts.rollout_poll: timeouts.rollout_poll (1h0m0s) must be shorter than timeouts.rollout (15m0s) in staging`,
	}
	if err == nil {
		t.Fatal("accepted")
	}
	got = strings.Split(err.Error(), "\n")
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}

func TestSyntaxErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct{ data, want string }{
		{"api:\n  dir: x\n   bad: [\n", "bookme-deploy.yaml:3: not valid YAML"},
		{"api: {dir: x}\n---\napi: {dir: y}\n", "bookme-deploy.yaml:2: more than one YAML document"},
		{"- a\n- b\n", "bookme-deploy.yaml:1: must be a mapping of keys, got a list"},
	} {
		_, err := Parse(FileName, []byte(c.data))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.data, err, c.want)
		}
	}
}
