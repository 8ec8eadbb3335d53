//go:build integration

package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"bookme-deploy/core/appconfig"
	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator/rehearsal"
	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/smoke"
)

// runTasks records the ECS RunTask calls the rollout sends (moto keeps no tasks to read back): each
// one-off's task family and its container command override.
type runTasks struct {
	mu    sync.Mutex
	calls []runTask
}

type runTask struct {
	Family  string
	Command []string
}

type recordingClient struct {
	base aws.HTTPClient
	r    *runTasks
}

func (c recordingClient) Do(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".RunTask") && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		var in struct {
			TaskDefinition string `json:"taskDefinition"`
			Overrides      struct {
				ContainerOverrides []struct {
					Command []string `json:"command"`
				} `json:"containerOverrides"`
			} `json:"overrides"`
		}
		_ = json.Unmarshal(body, &in)
		rt := runTask{Family: in.TaskDefinition}
		if i := strings.LastIndex(rt.Family, "/"); i >= 0 {
			rt.Family = rt.Family[i+1:]
		}
		rt.Family, _, _ = strings.Cut(rt.Family, ":")
		if len(in.Overrides.ContainerOverrides) > 0 {
			rt.Command = in.Overrides.ContainerOverrides[0].Command
		}
		c.r.mu.Lock()
		c.r.calls = append(c.r.calls, rt)
		c.r.mu.Unlock()
	}
	return c.base.Do(req)
}

func (r *runTasks) option() rollout.Option {
	return rollout.WithHTTPClient(func(base aws.HTTPClient) aws.HTTPClient { return recordingClient{base: base, r: r} })
}

// craApp is examples/cra-app's bookme-deploy.yaml for staging, and a rig whose source is that
// directory (its backend/Dockerfile and service-config/) and whose client builds CRA's index.html.
func craApp(t *testing.T) (*rig, *appconfig.Config, *runTasks, *[]smoke.Target) {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "examples", "cra-app")
	data, err := os.ReadFile(filepath.Join(dir, appconfig.FileName))
	if err != nil {
		t.Fatal(err)
	}
	app, err := appconfig.Load("examples/cra-app/"+appconfig.FileName, data, env)
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t)
	r.source = repoSource{root: dir}
	r.client.classic = true
	tasks := &runTasks{}
	r.rolloutOptions = []rollout.Option{tasks.option()}
	var targets []smoke.Target
	real := rehearsal.Smoke(r.cfg, r.s3)
	r.smoke = func(ctx context.Context, tg smoke.Target) (string, error) {
		targets = append(targets, tg)
		return real(ctx, tg)
	}
	return r, app, tasks, &targets
}

// configured is the rig's deployment with the app's settings, as ci/ makes it (DeployConfig over the
// run's own fields), the rig's short polls kept; containers, when given, replace the file's names.
func configured(r *rig, t *testing.T, app *appconfig.Config, containers ...string) *deploy.Deployment {
	return r.deployment(t, func(c *deploy.Config) {
		polls := c.Timeouts
		*c = app.DeployConfig(*c)
		c.Timeouts.Rollout.PollInterval, c.Timeouts.InvalidationPoll = time.Second, polls.InvalidationPoll
		if len(containers) == 2 {
			c.App.APIContainer, c.App.WorkerContainer = containers[0], containers[1]
		}
	})
}

// The CRA-shaped app deploys from its config alone: the client is built with REACT_APP_* from the
// frontend outputs, the bucket carries CRA's headers (read back from S3), the built-in bootstrap and
// the configured migration run (read from the RunTask calls), the smoke check looks for CRA's
// classic entry script at the configured API path without demanding the release header.
func TestCRAAppDeploysFromItsConfig(t *testing.T) {
	r, app, tasks, targets := craApp(t)
	ctx := context.Background()
	// The rig's backend stack names its container "api"; the CRA file says "app" (the repository's
	// infra/). Set to the stack's names, as a user of this stack would.
	d := configured(r, t, app, container, container)
	mustDeploy(t, d)

	want := map[string]string{"REACT_APP_REST_API_BASE_URL": "https://" + apiDomain, "REACT_APP_WS_BASE_URL": "wss://" + apiDomain,
		"REACT_APP_ENV": env, "REACT_APP_SHOW_BANNER": "true"}
	if got := r.client.env; len(got) != len(want) || got["REACT_APP_REST_API_BASE_URL"] != want["REACT_APP_REST_API_BASE_URL"] ||
		got["REACT_APP_WS_BASE_URL"] != want["REACT_APP_WS_BASE_URL"] || got["REACT_APP_ENV"] != env || got["REACT_APP_SHOW_BANNER"] != "true" {
		t.Errorf("the client was built with %v, want %v", got, want)
	}

	// Headers, read back from the bucket: the app's rules, not only the defaults.
	for key, want := range map[string]string{"static/media/logo.svg": release.CacheImmutable, "asset-manifest.json": release.CacheNoCache,
		"index.html": release.CacheNoCache} {
		head, err := r.head(clientB, key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if cc := aws.ToString(head.CacheControl); cc != want {
			t.Errorf("%s: Cache-Control %q, want %q", key, cc, want)
		}
	}
	if release.IsHashed("static/media/logo.svg") {
		t.Fatal("logo.svg counts as hashed: its header would prove nothing over the defaults")
	}
	for key := range r.objects(t, clientB) {
		if strings.HasPrefix(key, "static/") {
			if head, err := r.head(clientB, key); err != nil || aws.ToString(head.CacheControl) != release.CacheImmutable {
				t.Errorf("%s: not immutable (%v)", key, err)
			}
		}
	}
	lines, err := rehearsal.RuleHeaders(ctx, r.s3, clientB, d.Config().App.Headers)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("%d rule checks, want 3", len(lines))
	}
	if _, err := rehearsal.Verify(ctx, r.cfg, r.s3, d); err != nil {
		t.Error(err)
	}

	// One-offs: the built-in bootstrap on the shell family, then the file's migrate alone
	// (collectstatic: none) on the migrate family.
	if len(tasks.calls) != 2 || tasks.calls[0].Family != families["shell"] || tasks.calls[0].Command[0] != deploy.DBBootstrapPath ||
		tasks.calls[1].Family != families["migrate"] || !slices.Equal(tasks.calls[1].Command, []string{"python3", "manage.py", "migrate", "--noinput"}) {
		t.Errorf("RunTask calls %+v", tasks.calls)
	}

	if len(*targets) != 1 {
		t.Fatalf("%d smoke checks", len(*targets))
	}
	tg := (*targets)[0]
	if tg.APIPath != "/api/health/" || tg.APIStatus != 200 || tg.APIBodyContains != `"ok"` || !tg.AnyRelease || tg.Release != commit ||
		tg.EntryKind != smoke.EntryScript || !strings.HasPrefix(tg.Entry, "static/js/") {
		t.Errorf("smoke target %+v", tg)
	}
	if rec := d.Record(); rec == nil || rec.Bundle == nil || rec.Bundle.Entry != tg.Entry {
		t.Errorf("record's entry %+v, want %s", rec.Bundle, tg.Entry)
	}

	// Someone edits a header by hand: the account check names the object and its rule.
	if _, err := r.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(clientB), Key: aws.String("static/media/logo.svg"),
		CopySource: aws.String(clientB + "/static/media/logo.svg"), MetadataDirective: s3types.MetadataDirectiveReplace,
		CacheControl: aws.String("no-cache"), ContentType: aws.String("image/svg+xml")}); err != nil {
		t.Fatal(err)
	}
	text, err := rehearsal.Verify(ctx, r.cfg, r.s3, d)
	if err == nil || !strings.Contains(err.Error(), `static/media/logo.svg has Cache-Control "no-cache"`) || !strings.Contains(text, `✘ header rule "static/*/*"`) {
		t.Errorf("a hand-edited header passed the account check: %v\n%s", err, text)
	}
}

// The commands' other kinds: no bootstrap, a bootstrap command of the app's, no migration.
func TestConfiguredCommands(t *testing.T) {
	for _, c := range []struct {
		yaml string
		want []runTask
	}{
		{"commands: {bootstrap: none, migrate: [./migrate.sh], collectstatic: none}", []runTask{{families["migrate"], []string{"./migrate.sh"}}}},
		{"commands: {bootstrap: [./bin/seed, --db, main], migrate: none, collectstatic: none}", []runTask{{families["shell"], []string{"./bin/seed", "--db", "main"}}}},
	} {
		t.Run(c.yaml, func(t *testing.T) {
			r := newRig(t)
			tasks := &runTasks{}
			r.rolloutOptions = []rollout.Option{tasks.option()}
			app, err := appconfig.Load(appconfig.FileName, []byte(c.yaml), env)
			if err != nil {
				t.Fatal(err)
			}
			mustDeploy(t, configured(r, t, app))
			if len(tasks.calls) != len(c.want) {
				t.Fatalf("RunTask calls %+v, want %+v", tasks.calls, c.want)
			}
			for i, w := range c.want {
				if got := tasks.calls[i]; got.Family != w.Family || !slices.Equal(got.Command, w.Command) {
					t.Errorf("RunTask %d: %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

// Container names the stack does not have stop the deploy before a revision is registered or a
// service moves, naming the key, the value and the output.
func TestContainerNamesCheckedAgainstTheStack(t *testing.T) {
	r, app, tasks, _ := craApp(t)
	revisions := r.revisions(t)
	services := r.serviceTDs(t)
	d := configured(r, t, app) // the file's "app", the stack's "api"
	nextSecond()
	_, err := d.Deploy(context.Background())
	if err == nil {
		t.Fatal("the deploy went through with container names the task definitions do not have")
	}
	if !strings.Contains(err.Error(), `containers.api is "app", the backend stack's api_container_name output "api"`) {
		t.Errorf("error %v", err)
	}
	if got := r.revisions(t); !slices.Equal(got, revisions) {
		t.Errorf("revisions registered: %v → %v", revisions, got)
	}
	for svc, td := range r.serviceTDs(t) {
		if td != services[svc] {
			t.Errorf("service %s moved to %s", svc, td)
		}
	}
	if len(tasks.calls) != 0 {
		t.Errorf("one-off tasks ran: %+v", tasks.calls)
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("the lock is still held by %+v", h)
	}
}
