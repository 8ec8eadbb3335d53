//go:build integration

package deploy_test

// A release's env file is part of the release: each release writes its own, content-addressed, and
// nothing a running release reads is ever overwritten; old releases' files are pruned only after a
// deploy that succeeded, never one a service references.

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/envfile"
	"bookme-deploy/core/smoke"
)

const inputsPath = "service-config/api/" + env + ".inputs.json"

// withSender makes the next deployments render the env file with another SENDGRID_SENDER_EMAIL.
func (r *rig) withSender(t *testing.T, sender string) {
	t.Helper()
	b, err := json.Marshal(map[string]string{"db_app_user": "bookme_app", "sendgrid_sender_email": sender,
		"sendgrid_activation_template_id": "d-00000000000000000000000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	r.source.files = map[string][]byte{inputsPath: b}
}

// envFileOfRevision is the env-file key a task-definition revision's container references.
func (r *rig) envFileOfRevision(t *testing.T, arn string) string {
	t.Helper()
	out, err := ecs.NewFromConfig(r.cfg).DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		t.Fatalf("describe %s: %v", arn, err)
	}
	var keys []string
	for _, c := range out.TaskDefinition.ContainerDefinitions {
		for _, f := range c.EnvironmentFiles {
			keys = append(keys, strings.TrimPrefix(aws.ToString(f.Value), "arn:aws:s3:::"+configB+"/"))
		}
	}
	return strings.Join(keys, ", ")
}

func (r *rig) envFiles(t *testing.T) map[string]objState {
	t.Helper()
	out := map[string]objState{}
	for k, v := range r.objects(t, configB) {
		if strings.HasPrefix(k, envfile.ReleasePrefix(env)) {
			out[k] = v
		}
	}
	return out
}

func (r *rig) body(t *testing.T, key string) string {
	t.Helper()
	b, err := deploy.ReadObject(context.Background(), r.s3, configB, key)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return string(b)
}

func TestEnvFilePerRelease(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	// The fixed key of before (the backend stack's default): kept while a kept release may use it.
	legacy := envfile.ObjectKey(env)
	if _, err := r.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(configB), Key: aws.String(legacy), Body: strings.NewReader("OLD=1\n")}); err != nil {
		t.Fatal(err)
	}

	// Release A.
	r.withSender(t, "a@book-me.example.com")
	dA := r.deployment(t, nil)
	mustDeploy(t, dA)
	keyA := dA.EnvFileKey()
	servicesA := r.serviceTDs(t)
	filesA := r.envFiles(t)
	bodyA := r.body(t, keyA)
	if !envfile.IsReleaseKey(env, keyA) || len(filesA) != 1 || !strings.Contains(bodyA, "SENDGRID_SENDER_EMAIL=a@book-me.example.com\n") {
		t.Fatalf("release A: key %s, files %v", keyA, filesA)
	}

	// The plan of B names the key that changes, against the env file A's services read.
	r.withSender(t, "b@book-me.example.com")
	planner := r.deployment(t, func(c *deploy.Config) { c.GitSHA = nextCommit })
	if err := planner.Plan(ctx).Err(); err != nil {
		t.Fatalf("plan: %v", err)
	}
	if txt := planner.PlanText(); !strings.Contains(txt, "against "+keyA) || !strings.Contains(txt, "changed: SENDGRID_SENDER_EMAIL") ||
		strings.Contains(txt, "b@book-me") {
		t.Errorf("plan of B:\n%s", txt)
	}

	// Release B, another env file.
	dB := r.nextRelease(t)
	mustDeploy(t, dB)
	keyB := dB.EnvFileKey()
	if keyB == keyA || !envfile.IsReleaseKey(env, keyB) {
		t.Fatalf("release B's env file %s (A's %s)", keyB, keyA)
	}
	files := r.envFiles(t)
	if len(files) != 2 || files[keyA] != filesA[keyA] || r.body(t, keyA) != bodyA {
		t.Fatalf("after B: env files %v; A's object must be unchanged (%v)", files, filesA[keyA])
	}
	if !strings.Contains(r.body(t, keyB), "SENDGRID_SENDER_EMAIL=b@book-me.example.com\n") {
		t.Error("B's env file lacks B's sender")
	}
	filesB := files
	if _, err := r.head(configB, legacy); err != nil {
		t.Errorf("the fixed key %s went while fewer releases than kept name their own: %v", legacy, err)
	}
	servicesB := r.serviceTDs(t)
	for _, svc := range []string{apiSvc, workerSvc} {
		if got := r.envFileOfRevision(t, servicesB[svc]); got != keyB {
			t.Errorf("service %s runs %s referencing %q, want B's %s", svc, servicesB[svc], got, keyB)
		}
		if got := r.envFileOfRevision(t, servicesA[svc]); got != keyA {
			t.Errorf("A's revision %s of %s references %q, want A's %s", servicesA[svc], svc, got, keyA)
		}
	}
	if rec := r.records(t, configB); rec[len(rec)-1].EnvFileKey != keyB {
		t.Errorf("B's record names env file %q", rec[len(rec)-1].EnvFileKey)
	}

	// Release C fails after its env file was written (smoke): the services are B's again, B's and
	// A's files are untouched and nothing is deleted.
	r.withSender(t, "c@book-me.example.com")
	r.smoke = func(context.Context, smoke.Target) (string, error) { return "", errors.New("smoke: 502 from the API") }
	dC := r.deployment(t, func(c *deploy.Config) { c.GitSHA = thirdCommit })
	nextSecond()
	if _, err := dC.Deploy(ctx); err == nil {
		t.Fatal("release C succeeded with a failing smoke check")
	}
	r.smoke = nil
	keyC := dC.EnvFileKey()
	files = r.envFiles(t)
	if keyC == "" || keyC == keyB || len(files) != 3 {
		t.Fatalf("after the failed C (%s): env files %v", keyC, files)
	}
	if files[keyA] != filesA[keyA] || files[keyB] != filesB[keyB] || r.body(t, keyA) != bodyA {
		t.Error("the failed deploy rewrote an env file")
	}
	for svc, td := range r.serviceTDs(t) {
		if td != servicesB[svc] {
			t.Errorf("after the failed C, %s runs %s, want B's %s", svc, td, servicesB[svc])
		}
	}
	if s := dC.Stats(); s.EnvFilesDeleted != 0 {
		t.Errorf("the failed deploy deleted %d env files", s.EnvFilesDeleted)
	}

	// Release D, keeping one previous release: D's and B's files stay (D's is referenced by both
	// services), A's and the failed C's go, and so does the fixed key: both kept releases (D, B)
	// name their own env file.
	r.withSender(t, "d@book-me.example.com")
	dD := r.deployment(t, func(c *deploy.Config) { c.GitSHA = thirdCommit; c.KeepReleases = 1 })
	mustDeploy(t, dD)
	keyD := dD.EnvFileKey()
	files = r.envFiles(t)
	if _, ok := files[keyD]; !ok || len(files) != 2 {
		t.Fatalf("after D: env files %v, want D's %s and B's %s", files, keyD, keyB)
	}
	if _, ok := files[keyB]; !ok {
		t.Errorf("B's env file (the previous release) was pruned")
	}
	if s := dD.Stats(); s.EnvFilesDeleted != 3 {
		t.Errorf("D deleted %d env files, want 3 (A's, C's and the fixed key)", s.EnvFilesDeleted)
	}
	for svc, td := range r.serviceTDs(t) {
		if got := r.envFileOfRevision(t, td); got != keyD {
			t.Errorf("service %s references %q, want D's %s", svc, got, keyD)
		}
	}
	if _, err := r.head(configB, legacy); err == nil {
		t.Errorf("the fixed key %s outlived the releases that could use it", legacy)
	}
}
