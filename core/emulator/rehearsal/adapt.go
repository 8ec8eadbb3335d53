// Package rehearsal is the emulated account's side of a deployment: the adapter a shell (ci/emulator.go,
// a Go test) applies to an ordinary deploy.Deployment — no stage knows it runs against an emulator —
// the dry-run's rehearsal of a release, and the checks of the account afterwards.
package rehearsal

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/emulator"
	"bookme-deploy/core/smoke"
)

// Adapt points a deployment's ports at the emulated account: ECS waits adapted to moto (which runs
// no tasks), a short poll, and a smoke check of what CloudFront would serve (moto serves no HTTP).
func Adapt(cfg *deploy.Config, ports *deploy.Ports) {
	ports.RolloutOptions = append(ports.RolloutOptions, emulator.RolloutOptions()...)
	ports.Smoke = Smoke(ports.AWS, ports.S3)
	cfg.Timeouts.Rollout.PollInterval = time.Second
	cfg.Timeouts.InvalidationPoll = time.Second
	cfg.Rehearsal = true
}

// Smoke is the emulated account's version-aware smoke check: ECS runs the release's image in every
// service (moto runs no tasks and serves no HTTP, so the API cannot answer for itself), and the
// client bucket serves the release's entry (BucketSmoke).
func Smoke(cfg aws.Config, c *s3.Client) deploy.Smoke {
	bucket := BucketSmoke(c)
	return func(ctx context.Context, t smoke.Target) (string, error) {
		run, err := ServicesRun(ctx, cfg, t.Cluster, t.Services, t.Image)
		if err != nil {
			return "", fmt.Errorf("smoke: the services do not run release %s: %w", deploy.Short(t.Release), err)
		}
		spa, err := bucket(ctx, t)
		if err != nil {
			return "", err
		}
		return "services run release " + deploy.Short(t.Release) + ": " + run + "; " + spa, nil
	}
}

// BucketSmoke checks the client bucket's index.html — what CloudFront would serve — references the
// new release's entry file. The API check needs a load balancer that runs tasks: not emulated.
func BucketSmoke(c *s3.Client) deploy.Smoke {
	return func(ctx context.Context, t smoke.Target) (string, error) {
		served, err := deploy.ReadObject(ctx, c, t.ClientBucket, "index.html")
		if err != nil {
			return "", fmt.Errorf("smoke: %w", err)
		}
		got, err := smoke.EntryFileOf(served, t.EntryKind)
		if err != nil {
			return "", err
		}
		if got != t.Entry {
			return "", fmt.Errorf("smoke: the bucket's index.html references %s, the new bundle %s", got, t.Entry)
		}
		return "index.html in the bucket references " + t.Entry + " (API check needs a real ALB: not in the emulated account)", nil
	}
}
