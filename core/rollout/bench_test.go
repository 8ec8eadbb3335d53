//go:build integration

package rollout_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/ecsfake"
	"bookme-deploy/internal/testenv"
)

// BenchmarkFailureDetection measures, on the scripted fake with default Settings (5 s polls, 3 failed
// tasks, 15 min timeout), the time from the first failed task of the new revision to the end of our
// roll-back decision (roll-back UpdateService calls issued). Every task of the new API revision starts
// after 2 s and exits 1 after 3 more: the first failure is at t = 5 s, and every replacement fails too.
// Target: ≤ 60 s (ECS's own circuit breaker needs ≥ 10 failed tasks).
//
//	go test -tags integration -run '^$' -bench FailureDetection -benchtime 5x ./core/rollout/
//
// scale=100 runs simulated time 100× faster than the wall clock; scale=1 is real time.
func BenchmarkFailureDetection(b *testing.B) {
	for _, c := range []struct {
		scale   float64
		desired int
	}{{100, 1}, {100, 2}, {1, 2}} {
		b.Run(fmt.Sprintf("scale=%g/api-desired=%d", c.scale, c.desired), func(b *testing.B) {
			var sim, wall time.Duration
			var failed int
			for b.Loop() {
				clock := ecsfake.NewClock(c.scale)
				sc := ecsfake.Scenario{Script: func(service, image string) (ecsfake.TaskScript, bool) {
					if service == "api" && image == newImage {
						return ecsfake.TaskScript{StartAfter: 2 * time.Second, ExitAfter: 3 * time.Second, ExitCode: 1}, true
					}
					return ecsfake.TaskScript{}, false
				}}
				f := ecsfake.Start(b, sc, clock)
				f.SeedCluster("bookme")
				api := f.SeedTaskDefinition(ecsfake.ContainerTaskDefinition("bookme-api", "web", oldImage, 30, "/ecs/bookme-api"))
				wk := f.SeedTaskDefinition(ecsfake.ContainerTaskDefinition("bookme-worker", "web", oldImage, 120, "/ecs/bookme-worker"))
				f.SeedService("bookme", "api", api, c.desired, []string{"subnet-a"}, []string{"sg-api"})
				f.SeedService("bookme", "worker", wk, 1, []string{"subnet-a"}, []string{"sg-worker"})
				e := rollout.New(testenv.ConfigFor(b, f.URL), &bytes.Buffer{})
				e.Clock = clock
				in := input()
				in.Migration.Skip = true
				p, err := e.Plan(context.Background(), in)
				if err != nil {
					b.Fatal(err)
				}
				res, err := e.Roll(context.Background(), p)
				if err == nil || res.FirstFailureAt.IsZero() || res.DecidedAt.IsZero() {
					b.Fatalf("roll did not fail as scripted: %v %+v", err, res)
				}
				d := res.DecidedAt.Sub(res.FirstFailureAt)
				sim += d
				wall += clock.Wall(d)
				failed += res.Services[0].FailedTasks
				if d > 60*time.Second {
					b.Errorf("decision took %s after the first failure (target ≤ 60 s)", d)
				}
			}
			n := float64(b.N)
			b.ReportMetric(sim.Seconds()/n, "sim-s/decision")
			b.ReportMetric(wall.Seconds()/n, "wall-s/decision")
			b.ReportMetric(float64(failed)/n, "failed-tasks")
		})
	}
}
