//go:build integration

package redact_test

// The redaction wiring end to end, without an engine: a migration task fails (internal/ecsfake plays
// ECS: moto's tasks never run) and its container's log lines — read from CloudWatch Logs in moto,
// where the test wrote them as the awslogs driver would — hold a database password and an AWS
// access key id. They travel the way a deploy's failure does: the rollout's error, a pipeline step
// (core/pipeline), the deploy record saved to S3 (core/record, in moto) and the summary
// (record Markdown + the step report, as core/deploy's Summary builds it). The planted values must
// appear in none of them, read back from where they ended up, while the log lines themselves do.

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/pipeline"
	"bookme-deploy/core/record"
	"bookme-deploy/core/redact"
	"bookme-deploy/core/rollout"
	"bookme-deploy/internal/ecsfake"
	"bookme-deploy/internal/testenv"
)

const (
	// registeredPW is known to the run (registered with the Redactor, as ci/ registers the secrets it
	// reads); unregisteredPW and the key id are not: only the patterns catch them.
	registeredPW   = "Pl4nted-DB-pass-9f3c"
	unregisteredPW = "unregistered-s3cr3t-77"
	plantedKeyID   = "AKIAZZPLANTED0KEY123"
	secretKey      = "wJalrXUtnFEMI/K7MDENG/planted/SECRETKEY"
	image0         = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/bookme@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	image1         = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/bookme@sha256:2222222222222222222222222222222222222222222222222222222222222222"
	logGroup       = "/ecs/bookme-api"
	bucket         = "bookme-it-staging-config"
)

var migrationLog = []string{
	"Operations to perform: Apply all migrations: bookings",
	"settings: DATABASE_URL=postgres://book_me:" + registeredPW + "@db.internal:5432/book_me",
	"settings: AWS_ACCESS_KEY_ID=" + plantedKeyID + " AWS_SECRET_ACCESS_KEY=" + secretKey,
	"retrying with the fallback password " + registeredPW + " (from the env file)",
	"psycopg.OperationalError: connection to server failed: password=" + unregisteredPW + " rejected",
	"  replica postgres://book_me:" + unregisteredPW + "@replica.internal/book_me",
	"django.db.utils.OperationalError: connection to server at \"db.internal\" failed",
}

var planted = []string{registeredPW, unregisteredPW, plantedKeyID, secretKey}

func TestFailedTaskLogLinesAreRedactedEverywhere(t *testing.T) {
	moto := testenv.StartMoto(t)
	motoCfg := moto.Config(t)
	testenv.CreateBucket(t, motoCfg, bucket)
	logs := cloudwatchlogs.NewFromConfig(motoCfg)
	ctx := context.Background()
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(logGroup)}); err != nil {
		t.Fatal(err)
	}

	clock := ecsfake.NewClock(100)
	fake := ecsfake.Start(t, ecsfake.Scenario{RunTask: map[string]ecsfake.TaskScript{
		image1: {ExitAfter: 6 * time.Second, ExitCode: 1, Reason: "Essential container in task exited"},
	}}, clock)
	fake.SeedCluster("bookme")
	api := fake.SeedTaskDefinition(ecsfake.ContainerTaskDefinition("bookme-api", "web", image0, 30, logGroup))
	fake.SeedService("bookme", "api", api, 2, []string{"subnet-a"}, []string{"sg-api"})
	// The awslogs driver: once the migration task exists, its container's stream holds the log.
	var once sync.Once
	var putErr error
	fake.Inject(func(op string, body map[string]any) *ecsfake.APIError {
		tasks, _ := body["tasks"].([]any)
		if op != "DescribeTasks" || len(tasks) == 0 {
			return nil
		}
		arn, _ := tasks[0].(string)
		once.Do(func() { putErr = writeLog(ctx, logs, "ecs/web/"+arn[strings.LastIndex(arn, "/")+1:], migrationLog) })
		return nil
	})

	var progress bytes.Buffer
	engine := rollout.New(testenv.ConfigFor(t, fake.URL), &progress)
	engine.Logs, engine.Clock = logs, clock // ECS from the fake, CloudWatch Logs from moto

	red, err := redact.New(registeredPW, secretKey) // what ci/ registers: the secrets it knows
	if err != nil {
		t.Fatal(err)
	}
	rctx := redact.NewContext(ctx, red)
	var applyErr error
	var result *rollout.Result
	var out bytes.Buffer
	rep := pipeline.Run(rctx, redact.NewWriter(&out, red), []pipeline.Step{{Name: "migrate-and-roll", Run: func(ctx context.Context) (string, error) {
		p, err := engine.Plan(ctx, rollout.Input{Cluster: "bookme", API: "api", Container: "web", Image: image1, GitSHA: "c0ffee0"})
		if err != nil {
			return "", err
		}
		result, applyErr = engine.Apply(ctx, p)
		return "", applyErr
	}}})
	if putErr != nil {
		t.Fatalf("writing the task's log to moto: %v", putErr)
	}
	if applyErr == nil || rep.Err() == nil {
		t.Fatalf("the migration did not fail: %v\n%s", applyErr, progress.String())
	}

	rec := record.New("staging", "it-test", "c0ffee0123456789abcdef0123456789abcdef01")
	rec.SetSteps(rep)
	key, err := record.Save(rctx, testenv.S3(motoCfg), bucket, rec)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := testenv.S3(motoCfg).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	summary := rec.Markdown() + "\n```\n" + rep.Text() + "```\n" // core/deploy.(*Deployment).Summary

	where := map[string]string{
		"the rollout's error":      applyErr.Error(),
		"the pipeline's error":     rep.Err().Error(),
		"the migration's result":   strings.Join(result.Migration.LogLines, "\n"),
		"the record stored in S3":  string(stored),
		"the summary":              summary,
		"the pipeline's output":    out.String(),
		"the rollout's diagnostic": result.Text(),
	}
	for name, text := range where {
		// The log lines did get there (or this test proves nothing) …
		if !strings.Contains(text, "connection to server at") {
			t.Errorf("%s lacks the task's log lines:\n%s", name, text)
		}
		// … but none of the planted values.
		for _, p := range planted {
			if strings.Contains(text, p) {
				t.Errorf("%s holds the planted %q:\n%s", name, p, text)
			}
		}
	}
	for _, want := range []string{"postgres://book_me:[redacted]@db.internal:5432/book_me", "AWS_ACCESS_KEY_ID=[redacted]",
		"fallback password [redacted] (from", "password=[redacted] rejected"} {
		if !strings.Contains(applyErr.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, applyErr)
		}
	}
	// The S3 object is a valid record whose failed step carries the redacted log lines.
	back, err := record.Parse(stored)
	if err != nil || len(back.Steps) != 1 || back.Steps[0].Status != record.Failed || !strings.Contains(back.Steps[0].Detail, "[redacted]") {
		t.Fatalf("stored record: %v %+v", err, back)
	}
}

// writeLog writes lines to a log stream of logGroup in moto, as the awslogs driver does.
func writeLog(ctx context.Context, c *cloudwatchlogs.Client, stream string, lines []string) error {
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(logGroup), LogStreamName: aws.String(stream)}); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	var evs []cwtypes.InputLogEvent
	for i, l := range lines {
		evs = append(evs, cwtypes.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(now + int64(i))})
	}
	_, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(logGroup), LogStreamName: aws.String(stream), LogEvents: evs})
	return err
}
