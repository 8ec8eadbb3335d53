//go:build integration

package rollout_test

// A one-off (the database bootstrap) before the migration, against real moto_server with
// emulator.RolloutOptions — the path the local dry-run takes. moto runs no real tasks, but it registers the
// one-off family's revision and plays RunTask → STOPPED (exit 0); the order of the RunTask calls is
// read off the wire by a recording HTTP client under the SDK.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/emulator"
	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/testenv"
)

// recorder remembers the RunTask requests that go through it (task definition, startedBy).
type recorder struct {
	base aws.HTTPClient
	mu   sync.Mutex
	runs []map[string]any
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".RunTask") && req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		r.mu.Lock()
		r.runs = append(r.runs, body)
		r.mu.Unlock()
	}
	return r.base.Do(req)
}

func TestMotoBootstrapBeforeMigration(t *testing.T) {
	m := testenv.StartMoto(t, testenv.WithEnv("MOTO_ECS_SERVICE_RUNNING", "1"))
	cfg := m.Config(t)
	testenv.SeedECS(t, cfg, "bookme",
		testenv.ECSService{Name: "api", Family: "bookme-api", Container: "web", Image: oldImage, Desired: 1},
		testenv.ECSService{Name: "worker", Family: "bookme-worker", Container: "web", Image: oldImage, Desired: 1, StopTimeout: 120})
	ctx := context.Background()
	c := ecs.NewFromConfig(cfg)
	// The shell family the bootstrap runs in (moto's RunTask needs a container memoryReservation).
	if _, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("bookme-shell"), NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/bookme-shell-exec"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("web"), Image: aws.String(oldImage),
			Essential: aws.Bool(true), MemoryReservation: aws.Int32(256)}},
	}); err != nil {
		t.Fatalf("register bookme-shell: %v", err)
	}

	rec := &recorder{base: http.DefaultClient}
	cfg.HTTPClient = rec
	out := &bytes.Buffer{}
	e := rollout.New(cfg, out, emulator.RolloutOptions()...)
	in := input()
	in.Settings.PollInterval = 20 * time.Millisecond
	in.Before = []rollout.OneOff{{Name: "db-bootstrap", Family: "bookme-shell", Command: []string{"bookme-dbbootstrap"},
		Environment: map[string]string{"BOOKME_DB_HOST": "db.internal"}}}
	p, err := e.Plan(ctx, in)
	if err != nil {
		t.Fatalf("plan against moto: %v", err)
	}
	if len(p.Before) != 1 || !strings.Contains(p.Before[0].Diff, newImage) {
		t.Fatalf("plan.Before: %+v\n%s", p.Before, p.Text())
	}
	res, err := e.Apply(ctx, p)
	if err != nil {
		log := m.Log()
		t.Fatalf("apply against moto: %v\n%s\nmoto log (tail):\n%s", err, out, log[max(0, len(log)-3000):])
	}
	if len(res.Before) != 1 || res.Before[0].ExitCode == nil || *res.Before[0].ExitCode != 0 || res.Migration == nil ||
		res.Roll.Outcome != rollout.OutcomeSucceeded {
		t.Fatalf("result: %s", res.Text())
	}
	if got := res.Revisions[rollout.OneOffKey("db-bootstrap")]; !strings.HasSuffix(got, "task-definition/bookme-shell:2") {
		t.Errorf("one-off revision = %q, want bookme-shell:2", got)
	}
	td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("bookme-shell:2")})
	if err != nil {
		t.Fatalf("bookme-shell:2 was not registered in moto: %v", err)
	}
	if got := rollout.ImageOf(td.TaskDefinition, "web"); got != newImage {
		t.Errorf("bookme-shell:2 image = %s", got)
	}
	rec.mu.Lock()
	runs := rec.runs
	rec.mu.Unlock()
	if len(runs) != 2 {
		t.Fatalf("RunTask calls = %d, want the bootstrap then the migration: %v", len(runs), runs)
	}
	if td := runs[0]["taskDefinition"].(string); !strings.HasSuffix(td, "bookme-shell:2") || runs[0]["startedBy"] != "bookme-deploy/db-bootstrap" {
		t.Errorf("first RunTask = %s (%v), want bookme-shell:2 by bookme-deploy/db-bootstrap", td, runs[0]["startedBy"])
	}
	if td := runs[1]["taskDefinition"].(string); !strings.HasSuffix(td, "bookme-api:2") || runs[1]["startedBy"] != rollout.MigrationStartedBy {
		t.Errorf("second RunTask = %s (%v), want the migration on bookme-api:2", td, runs[1]["startedBy"])
	}
	t.Log(out.String())
}
