//go:build integration

package deploy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/awsconf"
	"bookme-deploy/core/deploy"
	"bookme-deploy/core/lock"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/stack"
	"bookme-deploy/internal/testenv"
)

const credentialsFile = `[default]
aws_access_key_id = AKIAFILEDEFAULT0000
aws_secret_access_key = default-secret

[deploy]
aws_access_key_id = AKIAFILEDEPLOY00000
aws_secret_access_key = deploy-secret
`

// (g) The unlock verb with an aws.Config resolved from each credential form (awsconf.Resolve): it
// shows a lock placed by another deploy without touching it, and with force removes it.
func TestUnlockWithEachCredentialForm(t *testing.T) {
	m := testenv.StartMoto(t)
	ctx := context.Background()
	// Nothing of the environment may answer for the form given.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT0000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "environment")
	t.Setenv("AWS_PROFILE", "")
	o := awsconf.Options{Region: testenv.Region, Endpoint: m.Endpoint, MaxAttempts: 1}

	for _, tc := range []struct {
		name string
		c    awsconf.Credentials
	}{
		{"static-keys", awsconf.Credentials{AccessKeyID: "AKIASTATIC000000000", SecretAccessKey: "static-secret"}},
		{"credentials-file", awsconf.Credentials{SharedCredentialsFile: []byte(credentialsFile), Profile: "deploy"}},
		{"web-identity", awsconf.Credentials{WebIdentityToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjplbnZpcm9ubWVudDpwcm9kdWN0aW9uIn0.c2ln",
			RoleARN: "arn:aws:iam::123456789012:role/book-me-deploy", RoleSessionName: "gha-run-7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TMPDIR", t.TempDir())
			creds, cfg, err := awsconf.Resolve(ctx, tc.c, o)
			if err != nil {
				t.Fatalf("resolve %s: %v", tc.c.Form(), err)
			}
			if signed, err := cfg.Credentials.Retrieve(ctx); err != nil || signed.AccessKeyID != creds.AccessKeyID || signed.AccessKeyID == "AKIAENVIRONMENT0000" {
				t.Fatalf("the config signs with %q (%v), resolved %q", signed.AccessKeyID, err, creds.AccessKeyID)
			}
			c := testenv.S3(cfg)
			bucket := "bookme-unlock-" + tc.name
			testenv.CreateBucket(t, cfg, bucket)
			key := deploy.LockKey(env)
			headLock := func() (*s3.HeadObjectOutput, error) {
				return c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			}

			// Free: showing it creates nothing.
			if _, err := deploy.Unlock(ctx, c, env, bucket, false, ""); err != nil {
				t.Fatalf("unlock (show, free): %v", err)
			}
			if _, err := headLock(); err == nil {
				t.Fatal("showing a free lock created one")
			}

			held, err := lock.Acquire(ctx, c, deploy.LockOptions(env, bucket, deploy.Timeouts{}), lock.Info{Holder: "alice", GitSHA: commit})
			if err != nil {
				t.Fatal(err)
			}
			before, err := headLock()
			if err != nil {
				t.Fatal(err)
			}
			shown, err := deploy.Unlock(ctx, c, env, bucket, false, "")
			if err != nil {
				t.Fatalf("unlock (show): %v", err)
			}
			if !strings.Contains(shown, "alice") {
				t.Errorf("unlock without --force does not name the holder: %q", shown)
			}
			after, err := headLock()
			if err != nil || aws.ToString(after.ETag) != aws.ToString(before.ETag) {
				t.Fatalf("showing the lock changed it: %v", err)
			}
			st, err := lock.Inspect(ctx, c, deploy.LockOptions(env, bucket, deploy.Timeouts{}))
			if err != nil || !st.Held || st.Holder.ID != held.Info.ID {
				t.Fatalf("the lock is not alice's any more: %+v %v", st, err)
			}

			if _, err := deploy.Unlock(ctx, c, env, bucket, true, ""); err != nil {
				t.Fatalf("unlock --force: %v", err)
			}
			if _, err := headLock(); err == nil {
				t.Fatal("the lock object is still there after unlock --force")
			}
			// Forcing a free lock is not an error and leaves nothing behind.
			if _, err := deploy.Unlock(ctx, c, env, bucket, true, ""); err != nil {
				t.Fatalf("unlock --force of a free lock: %v", err)
			}
			if _, err := headLock(); err == nil {
				t.Fatal("unlock --force of a free lock created one")
			}
			// Another deploy can take it now.
			l, err := lock.Acquire(ctx, c, deploy.LockOptions(env, bucket, deploy.Timeouts{}), lock.Info{Holder: "bob", GitSHA: commit})
			if err != nil {
				t.Fatalf("the lock cannot be taken after unlock --force: %v", err)
			}
			if err := l.Release(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// (h) The operator `roll` of an image already pushed: under the deploy lock (a rival lock refuses it,
// nothing moves), rendered from OpenTofu's templates (a template changed since the last deploy
// reaches the services), keeping the env file the running release reads. The dry-run moves nothing.
func TestRollImageRendersFromTemplatesUnderTheLock(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	dA := r.deployment(t, nil)
	mustDeploy(t, dA)
	keyA := dA.EnvFileKey()
	before := r.serviceTDs(t)

	back, err := stack.ParseBackend(r.outputs[stack.StackBackend])
	if err != nil {
		t.Fatal(err)
	}
	s := r.site()
	s.Templates, s.MigrateFamily = back.Templates(), back.MigrateTaskFamily
	// OpenTofu raised the API's CPU since the last deploy: a new template revision.
	c := ecs.NewFromConfig(r.cfg)
	tpl, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(s.Templates[families["api"]])})
	if err != nil {
		t.Fatal(err)
	}
	in := rollout.RegisterInputOf(tpl.TaskDefinition, nil)
	in.Cpu, in.Memory = aws.String("1024"), aws.String("2048")
	reg, err := c.RegisterTaskDefinition(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	s.Templates[families["api"]] = aws.ToString(reg.TaskDefinition.TaskDefinitionArn)

	image := strings.Replace(oldImage, "sha256:0000", "sha256:1111", 1)
	o := deploy.RollOptions{Image: image, GitSHA: nextCommit, Who: "it-operator"}
	o.Timeouts.Rollout.PollInterval = 100 * time.Millisecond
	o.Timeouts.Lock, o.Timeouts.LockPoll = 300*time.Millisecond, 50*time.Millisecond

	plan, err := deploy.RollImage(ctx, r.ports(t), s, o, true)
	if err != nil || !strings.Contains(plan, "would take the deploy lock") {
		t.Fatalf("dry-run: %v\n%s", err, plan)
	}
	if got := r.serviceTDs(t); got[apiSvc] != before[apiSvc] || got[workerSvc] != before[workerSvc] {
		t.Fatalf("the dry-run moved the services: %v, before %v", got, before)
	}

	rival, err := lock.Acquire(ctx, r.s3, deploy.LockOptions(env, stateB, deploy.Timeouts{}), lock.Info{Holder: "bob", GitSHA: thirdCommit})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := deploy.RollImage(ctx, r.ports(t), s, o, false); err == nil || !strings.Contains(err.Error(), "bob") {
		t.Fatalf("roll under a rival's lock: %v", err)
	}
	if got := r.serviceTDs(t); got[apiSvc] != before[apiSvc] {
		t.Fatalf("a refused roll moved the API to %s", got[apiSvc])
	}
	if err := rival.Release(ctx); err != nil {
		t.Fatal(err)
	}

	if _, err := deploy.RollImage(ctx, r.ports(t), s, o, false); err != nil {
		t.Fatalf("roll: %v", err)
	}
	after := r.serviceTDs(t)
	for _, svc := range []string{apiSvc, workerSvc} {
		td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(after[svc])})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image); got != image {
			t.Errorf("%s runs %s, want %s", svc, got, image)
		}
		if got := r.envFileOfRevision(t, after[svc]); got != keyA {
			t.Errorf("%s's new revision reads env file %q, want the running release's %s", svc, got, keyA)
		}
		if svc == apiSvc && (aws.ToString(td.TaskDefinition.Cpu) != "1024" || aws.ToString(td.TaskDefinition.Memory) != "2048") {
			t.Errorf("the API's new revision has cpu %s memory %s, want OpenTofu's new 1024/2048", aws.ToString(td.TaskDefinition.Cpu), aws.ToString(td.TaskDefinition.Memory))
		}
	}
	if h := r.lockHolder(t); h != nil {
		t.Errorf("the lock is still held by %+v", h)
	}
}
