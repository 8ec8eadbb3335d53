//go:build integration

package rollout_test

// Releases rendered from OpenTofu's templates (Input.Templates), played against internal/ecsfake:
// OpenTofu owns the content of every task definition, the pipeline only the release fields (image
// by digest, env file, commit tag), and the default roll-back target is the previous release.

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/ecsfake"
	"bookme-deploy/internal/testenv"
)

const (
	templateImage = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/bookme:opentofu-template"
	thirdImage    = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/bookme@sha256:3333333333333333333333333333333333333333333333333333333333333333"
	envFileARN    = "arn:aws:s3:::bookme-config/service-config/api/staging.env"
	tdARN         = "arn:aws:ecs:eu-central-1:123456789012:task-definition/"
)

// infraSpec is what infra/stacks/backend says about one family (what OpenTofu puts in a template).
type infraSpec struct {
	cpu, memory string
	command     []any
	stopTimeout int
	env         map[string]string
	logGroup    string
}

// templateBody is a template revision as infra/modules/ecs-task registers it: one container with the
// placeholder image, the env file, a secret, awslogs, and the template tag.
func templateBody(family string, s infraSpec) map[string]any {
	var env []any
	for _, k := range slices.Sorted(maps.Keys(s.env)) {
		env = append(env, map[string]any{"name": k, "value": s.env[k]})
	}
	c := map[string]any{
		"name": "web", "image": templateImage, "essential": true, "command": s.command,
		"stopTimeout": s.stopTimeout, "environment": env,
		"environmentFiles": []any{map[string]any{"type": "s3", "value": envFileARN}},
		"secrets":          []any{map[string]any{"name": "DJANGO_SECRET_KEY", "valueFrom": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:book-me-staging/api:DJANGO_SECRET_KEY::"}},
		"linuxParameters":  map[string]any{"initProcessEnabled": true},
		"logConfiguration": map[string]any{"logDriver": "awslogs", "options": map[string]any{
			"awslogs-group": s.logGroup, "awslogs-region": "eu-central-1", "awslogs-stream-prefix": "web"}},
	}
	return map[string]any{
		"family": family, "networkMode": "awsvpc", "requiresCompatibilities": []any{"FARGATE"}, "cpu": s.cpu, "memory": s.memory,
		"executionRoleArn":     "arn:aws:iam::123456789012:role/" + family + "-exec",
		"taskRoleArn":          "arn:aws:iam::123456789012:role/" + family + "-task",
		"containerDefinitions": []any{c},
		"tags": []any{map[string]any{"key": rollout.TemplateTag, "value": "true"},
			map[string]any{"key": "Project", "value": "book-me"}},
	}
}

var (
	apiV1    = infraSpec{cpu: "256", memory: "512", command: []any{"daphne", "core.asgi:application"}, stopTimeout: 30, env: map[string]string{"FEATURE": "old", "LEGACY": "1"}, logGroup: "/aws/ecs/bookme-api"}
	workerV1 = infraSpec{cpu: "256", memory: "512", command: []any{"celery", "worker"}, stopTimeout: 120, env: map[string]string{"FEATURE": "old"}, logGroup: "/aws/ecs/bookme-worker"}
	// apiV2 is an infra change: more cpu and memory, another command, a longer stop timeout, another
	// environment (LEGACY removed, NEW added) and another log group.
	apiV2 = infraSpec{cpu: "1024", memory: "2048", command: []any{"daphne", "--proxy-headers", "core.asgi:application"}, stopTimeout: 90,
		env: map[string]string{"FEATURE": "new", "NEW": "yes"}, logGroup: "/aws/ecs/bookme-api-v2"}
	workerV2 = infraSpec{cpu: "512", memory: "1024", command: []any{"celery", "worker", "--concurrency", "4"}, stopTimeout: 180, env: map[string]string{"FEATURE": "new"}, logGroup: "/aws/ecs/bookme-worker"}
)

type tplEnv struct {
	fake   *ecsfake.Fake
	engine *rollout.Engine
	out    *bytes.Buffer
	// templates is family → OpenTofu's current template (what the stack output names).
	templates map[string]string
}

// setupTemplates is the state right after the first `tofu apply` of the backend stack: the families'
// first revisions are templates and the services run them.
func setupTemplates(t *testing.T) *tplEnv {
	t.Helper()
	clock := ecsfake.NewClock(100)
	f := ecsfake.Start(t, ecsfake.Scenario{}, clock)
	f.SeedCluster("bookme")
	api := f.SeedTaskDefinition(templateBody("bookme-api", apiV1))
	wk := f.SeedTaskDefinition(templateBody("bookme-worker", workerV1))
	f.SeedService("bookme", "api", api, 2, []string{"subnet-a"}, []string{"sg-app"})
	f.SeedService("bookme", "worker", wk, 1, []string{"subnet-a"}, []string{"sg-app"})
	out := &bytes.Buffer{}
	e := rollout.New(testenv.ConfigFor(t, f.URL), out)
	e.Clock = clock
	return &tplEnv{fake: f, engine: e, out: out, templates: map[string]string{"bookme-api": api, "bookme-worker": wk}}
}

// openTofuChange registers new template revisions (what `tofu apply` does after an infra/ change).
func (e *tplEnv) openTofuChange(api, worker infraSpec) {
	e.templates["bookme-api"] = e.fake.SeedTaskDefinition(templateBody("bookme-api", api))
	e.templates["bookme-worker"] = e.fake.SeedTaskDefinition(templateBody("bookme-worker", worker))
}

func (e *tplEnv) release(t *testing.T, image, sha string) *rollout.Plan {
	t.Helper()
	in := rollout.Input{Cluster: "bookme", API: "api", Workers: []string{"worker"}, Container: "web", Image: image, GitSHA: sha,
		Templates: e.templates, Migration: rollout.Migration{Skip: true},
		EnvironmentFiles: []ecstypes.EnvironmentFile{{Type: ecstypes.EnvironmentFileTypeS3, Value: aws.String(envFileARN)}}}
	p, err := e.engine.Plan(context.Background(), in)
	if err != nil {
		t.Fatalf("plan %s: %v", sha, err)
	}
	res, err := e.engine.Apply(context.Background(), p)
	if err != nil || res.Roll == nil || res.Roll.Outcome != rollout.OutcomeSucceeded {
		t.Fatalf("release %s: %v\n%s", sha, err, e.out)
	}
	return p
}

func (e *tplEnv) runs(t *testing.T, service string) string {
	t.Helper()
	p, err := e.engine.Plan(context.Background(), rollout.Input{Cluster: "bookme", API: service, Container: "web", Image: newImage,
		GitSHA: "x", Migration: rollout.Migration{Skip: true}})
	if err != nil {
		t.Fatal(err)
	}
	return p.Services[0].CurrentTaskDefinition
}

// registered returns the last RegisterTaskDefinition body of family.
func registered(t *testing.T, f *ecsfake.Fake, family string) map[string]any {
	t.Helper()
	calls := f.Calls("RegisterTaskDefinition")
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Body["family"] == family {
			return calls[i].Body
		}
	}
	t.Fatalf("no revision of %s registered", family)
	return nil
}

// normalize round-trips v through JSON so bodies built in Go compare with bodies from the wire.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantRelease is the template with only the release fields replaced: the image, the env file, the
// tags (template tag dropped, commit added).
func wantRelease(t *testing.T, family string, s infraSpec, image, sha string) map[string]any {
	body := normalize(t, templateBody(family, s)).(map[string]any)
	c := body["containerDefinitions"].([]any)[0].(map[string]any)
	c["image"] = image
	c["environmentFiles"] = []any{map[string]any{"type": "s3", "value": envFileARN}}
	body["tags"] = []any{map[string]any{"key": "Project", "value": "book-me"}, map[string]any{"key": rollout.GitSHATag, "value": sha}}
	return body
}

func TestFirstReleaseFromTemplates(t *testing.T) {
	e := setupTemplates(t)
	p := e.release(t, oldImage, "aaaa111")
	api := p.Services[0]
	if api.Template != tdARN+"bookme-api:1" || api.CurrentTaskDefinition != tdARN+"bookme-api:1" {
		t.Errorf("api plan: template %s current %s", api.Template, api.CurrentTaskDefinition)
	}
	for _, want := range []string{`~ containerDefinitions[web].image: "` + templateImage + `" → "` + oldImage + `"`,
		`- tags[bookme:template].value: "true"`, `+ tags[git-sha].value: "aaaa111"`, "from OpenTofu's template bookme-api:1"} {
		if !strings.Contains(p.Text(), want) {
			t.Errorf("plan lacks %q:\n%s", want, p.Text())
		}
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings: %v", p.Warnings)
	}
	if got, want := normalize(t, registered(t, e.fake, "bookme-api")), wantRelease(t, "bookme-api", apiV1, oldImage, "aaaa111"); !reflect.DeepEqual(got, want) {
		t.Errorf("first release of api:\n got %v\nwant %v", got, want)
	}
	if got := e.runs(t, "api"); got != tdARN+"bookme-api:2" {
		t.Errorf("api runs %s", got)
	}
}

// TestReleaseAfterOpenTofuChange: an infra change (cpu, memory, command, stop timeout, environment,
// log group) reaches the services with the next release, shows in its plan, and nothing the template
// changed survives from the running revision.
func TestReleaseAfterOpenTofuChange(t *testing.T) {
	e := setupTemplates(t)
	e.release(t, oldImage, "aaaa111") // api:2, worker:2
	e.openTofuChange(apiV2, workerV2) // api:3, worker:3 (the services still run :2)
	if got := e.runs(t, "api"); got != tdARN+"bookme-api:2" {
		t.Fatalf("an OpenTofu change moved the service: %s", got)
	}

	p := e.release(t, newImage, "bbbb222")
	text := p.Text()
	for _, want := range []string{
		`~ cpu: "256" → "1024"`, `~ memory: "512" → "2048"`,
		`~ containerDefinitions[web].stopTimeout: 30 → 90`,
		`~ containerDefinitions[web].command[1]: "core.asgi:application" → "--proxy-headers"`,
		`~ containerDefinitions[web].environment[FEATURE].value: "old" → "new"`,
		`- containerDefinitions[web].environment[LEGACY].value: "1"`,
		`+ containerDefinitions[web].environment[NEW].value: "yes"`,
		`~ containerDefinitions[web].logConfiguration.options[awslogs-group]: "/aws/ecs/bookme-api" → "/aws/ecs/bookme-api-v2"`,
		`~ containerDefinitions[web].image: "` + oldImage + `" → "` + newImage + `"`,
		`~ tags[git-sha].value: "aaaa111" → "bbbb222"`,
		"bookme-api:2 → new revision of bookme-api from OpenTofu's template bookme-api:3",
		`~ cpu: "256" → "512"`, // the worker
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "bookme:template") {
		t.Errorf("the template tag leaks into the release's diff:\n%s", text)
	}
	// The new revisions are exactly the new templates with the new image: OpenTofu's values, nothing
	// left over from the running revision (LEGACY, the old log group, the old command …).
	if got, want := normalize(t, registered(t, e.fake, "bookme-api")), wantRelease(t, "bookme-api", apiV2, newImage, "bbbb222"); !reflect.DeepEqual(got, want) {
		t.Errorf("api release after the infra change:\n got %v\nwant %v", got, want)
	}
	if got, want := normalize(t, registered(t, e.fake, "bookme-worker")), wantRelease(t, "bookme-worker", workerV2, newImage, "bbbb222"); !reflect.DeepEqual(got, want) {
		t.Errorf("worker release after the infra change:\n got %v\nwant %v", got, want)
	}
	if got := e.runs(t, "api"); got != tdARN+"bookme-api:4" {
		t.Errorf("api runs %s, want the release rendered from template :3", got)
	}

	// Same image, same template: nothing to do (a new commit tag alone is no change).
	in := rollout.Input{Cluster: "bookme", API: "api", Workers: []string{"worker"}, Container: "web", Image: newImage, GitSHA: "cccc333",
		Templates: e.templates, Migration: rollout.Migration{Skip: true},
		EnvironmentFiles: []ecstypes.EnvironmentFile{{Type: ecstypes.EnvironmentFileTypeS3, Value: aws.String(envFileARN)}}}
	if p, err := e.engine.Plan(context.Background(), in); err != nil || !p.NoOp {
		t.Errorf("re-plan with the same image and template: %v noop=%v", err, p != nil && p.NoOp)
	}
	// An infra change alone (same image) is a change: the release is re-rendered.
	e.openTofuChange(apiV1, workerV2)
	p2, err := e.engine.Plan(context.Background(), in)
	if err != nil || p2.NoOp || !p2.Services[0].Changed || p2.Services[1].Changed {
		t.Fatalf("plan after an api-only infra change: %v %s", err, p2.Text())
	}
	if !strings.Contains(p2.Services[0].Diff, `~ cpu: "1024" → "256"`) || strings.Contains(p2.Services[0].Diff, "image") {
		t.Errorf("api diff after an infra-only change:\n%s", p2.Services[0].Diff)
	}
}

// TestReleaseWithOneOffsFromTemplates: the migration and one-off families render from their
// templates too, never from their latest revision.
func TestReleaseWithOneOffsFromTemplates(t *testing.T) {
	e := setupTemplates(t)
	shell := e.fake.SeedTaskDefinition(templateBody("bookme-shell", apiV1))     // shell:1
	migrate := e.fake.SeedTaskDefinition(templateBody("bookme-migrate", apiV1)) // migrate:1
	e.templates["bookme-shell"], e.templates["bookme-migrate"] = shell, migrate
	// A stray latest revision (registered by hand) that must not be the source.
	e.fake.SeedTaskDefinition(templateBody("bookme-migrate", apiV2)) // migrate:2
	in := rollout.Input{Cluster: "bookme", API: "api", Workers: []string{"worker"}, Container: "web", Image: newImage, GitSHA: "bbbb222",
		Templates: e.templates, Migration: rollout.Migration{Family: "bookme-migrate"},
		Before: []rollout.OneOff{{Name: "db-bootstrap", Family: "bookme-shell", Command: []string{"bootstrap"}}}}
	p, err := e.engine.Plan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"one-off db-bootstrap: family bookme-shell → new revision from OpenTofu's template bookme-shell:1",
		"migration family bookme-migrate: → new revision from OpenTofu's template bookme-migrate:1"} {
		if !strings.Contains(p.Text(), want) {
			t.Errorf("plan lacks %q:\n%s", want, p.Text())
		}
	}
	if _, err := e.engine.Apply(context.Background(), p); err != nil {
		t.Fatalf("apply: %v\n%s", err, e.out)
	}
	if got := normalize(t, registered(t, e.fake, "bookme-migrate")).(map[string]any); got["cpu"] != "256" ||
		got["containerDefinitions"].([]any)[0].(map[string]any)["image"] != newImage {
		t.Errorf("migration revision not rendered from its template: %v", got)
	}
	if got := normalize(t, registered(t, e.fake, "bookme-shell")).(map[string]any); got["containerDefinitions"].([]any)[0].(map[string]any)["image"] != newImage {
		t.Errorf("shell revision: %v", got)
	}

	// Templates given but one family missing: refused before anything is registered.
	regs := len(e.fake.Calls("RegisterTaskDefinition"))
	delete(e.templates, "bookme-shell")
	in.Image, in.GitSHA = thirdImage, "cccc333"
	if _, err := e.engine.Plan(context.Background(), in); err == nil || !strings.Contains(err.Error(), "no OpenTofu template for task-definition family bookme-shell") {
		t.Errorf("missing template: %v", err)
	}
	e.templates["bookme-shell"] = migrate
	if _, err := e.engine.Plan(context.Background(), in); err == nil || !strings.Contains(err.Error(), "another family") {
		t.Errorf("template of another family: %v", err)
	}
	if n := len(e.fake.Calls("RegisterTaskDefinition")); n != regs {
		t.Errorf("a refused plan registered %d revisions", n-regs)
	}
}

// TestRollbackDefaultIsPreviousRelease: without --to a service returns to the previous release's
// revision: not an OpenTofu template, not a re-render of the commit it runs.
func TestRollbackDefaultIsPreviousRelease(t *testing.T) {
	e := setupTemplates(t)
	e.release(t, oldImage, "aaaa111") // api:2 (A)
	e.openTofuChange(apiV2, workerV2) // api:3 template
	e.release(t, newImage, "bbbb222") // api:4 (B)
	e.openTofuChange(apiV1, workerV1) // api:5 template
	e.release(t, newImage, "bbbb222") // api:6 (B again, re-rendered after the infra change)
	if got := e.runs(t, "api"); got != tdARN+"bookme-api:6" {
		t.Fatalf("api runs %s", got)
	}
	rp, err := e.engine.PlanRollback(context.Background(), rollout.RollbackInput{Cluster: "bookme", Services: []string{"api", "worker"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rp.Text(), "api: bookme-api:6 → bookme-api:2") || !strings.Contains(rp.Text(), "worker: bookme-worker:6 → bookme-worker:2") {
		t.Errorf("rollback plan (want the previous release A, revision 2):\n%s", rp.Text())
	}
	res, err := e.engine.Rollback(context.Background(), rp)
	if err != nil || res.Outcome != rollout.OutcomeSucceeded {
		t.Fatalf("rollback: %v %+v", err, res)
	}
	if got := e.runs(t, "api"); got != tdARN+"bookme-api:2" {
		t.Errorf("api runs %s after the rollback", got)
	}
	// From the first release there is no earlier release: only the template, which is refused.
	_, err = e.engine.PlanRollback(context.Background(), rollout.RollbackInput{Cluster: "bookme", Services: []string{"api"}})
	if err == nil || !strings.Contains(err.Error(), "skipped 1 (OpenTofu template)") || !strings.Contains(err.Error(), "--to") {
		t.Errorf("rollback from the first release: %v", err)
	}
	// --to still goes anywhere, a template included.
	rp, err = e.engine.PlanRollback(context.Background(), rollout.RollbackInput{Cluster: "bookme", Services: []string{"api"},
		To: map[string]string{"api": "bookme-api:1"}, Settings: rollout.Settings{Timeout: time.Minute}})
	if err != nil || !strings.Contains(rp.Text(), "bookme-api:2 → bookme-api:1") {
		t.Errorf("--to a template: %v\n%v", err, rp)
	}
}
