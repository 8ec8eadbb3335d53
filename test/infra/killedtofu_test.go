//go:build infra

package infra

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/lock"
	"bookme-deploy/internal/testenv"
	"bookme-deploy/internal/tofutest"
)

// A deploy killed while OpenTofu applies, as GitHub kills a cancelled job: the process tree gets
// SIGKILL, OpenTofu never unlocks, and its lock object (<state>.tflock, use_lockfile) stays in the
// state bucket, so every later plan of the stack fails with "Error acquiring the state lock". The
// job's `unlock --run-url` step (deploy.Unlock) must remove that lock with the run's deploy lock,
// and nothing else: a lock taken before the run (a person's apply) stays. While the run's deploy
// still renews its lock, unlock refuses and removes nothing.
//
// Real OpenTofu and its real S3 backend against moto; the stack has only a built-in resource whose
// provisioner sleeps, so no provider is involved and OpenTofu is surely mid-apply when killed.
func TestUnlockRunRemovesTheLockOfAKilledOpenTofu(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	moto := testenv.StartMoto(t)
	cfg := moto.Config(t)
	s3c := testenv.S3(cfg)
	const bucket, env, run = "book-me-tofu-state-123456789012", "production", "https://github.com/o/r/actions/runs/77"
	testenv.CreateBucket(t, cfg, bucket)

	// A person's lock on another stack, taken before the run started: not the run's to remove.
	foreign := env + "/frontend.tfstate" + ".tflock"
	put(t, s3c, bucket, foreign, fmt.Sprintf(`{"ID":"f00","Operation":"OperationTypeApply","Who":"alice@laptop","Version":"1.12.6","Created":%q,"Path":"x"}`,
		time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)))

	// The run's deploy takes the deploy lock and renews it every 2 s, through a proxy: closing the
	// proxy is the runner killing the deploy's process (no renewal reaches S3 any more).
	runNet := testenv.StartFaultProxy(t, moto.Endpoint, 1)
	opts := deploy.LockOptions(env, bucket, deploy.Timeouts{})
	opts.Heartbeat = 2 * time.Second
	if _, err := lock.Acquire(ctx, testenv.S3(testenv.ConfigFor(t, runNet.URL)), opts, lock.Info{Holder: "octocat", GitSHA: "abc", RunURL: run}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	tofutest.WriteFile(t, dir, "main.tf", fmt.Sprintf(`terraform {
  backend "s3" {
    bucket                      = %q
    key                         = "%s/backend.tfstate"
    region                      = "eu-central-1"
    use_lockfile                = true
    use_path_style              = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    endpoints = { s3 = %q }
  }
}

resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "sleep 600"
  }
}
`, bucket, env, moto.Endpoint))
	tf := tofutest.New(t, dir)
	tf.Env = append(tf.Env, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=eu-central-1")
	tf.Must(t, "init", "-input=false")

	apply := exec.Command(tf.Bin, "apply", "-auto-approve", "-input=false", "-no-color")
	apply.Dir, apply.Env = dir, append(apply.Environ(), tf.Env...)
	apply.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out testenv.SyncBuffer
	apply.Stdout, apply.Stderr = &out, &out
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	stateLock := env + "/backend.tfstate.tflock"
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(out.String(), "Provisioning with 'local-exec'") {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-apply.Process.Pid, syscall.SIGKILL)
			t.Fatalf("OpenTofu did not reach the provisioner:\n%s", out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	_ = syscall.Kill(-apply.Process.Pid, syscall.SIGKILL) // the runner kills the process tree
	_ = apply.Wait()
	if !exists(t, s3c, bucket, stateLock) {
		t.Fatalf("killed mid-apply, OpenTofu left no lock object %s (the test kills it too late?)", stateLock)
	}
	if r, _ := tf.Run(ctx, "plan", "-input=false", "-no-color", "-lock-timeout=1s"); r.ExitCode == 0 || !strings.Contains(string(r.Stderr), "Error acquiring the state lock") {
		t.Fatalf("before the unlock step, a plan must fail on the left lock; exit %d:\n%s", r.ExitCode, r.Stderr)
	}

	// The deploy still renews its lock (its OpenTofu died, the deploy did not): unlock refuses and
	// changes nothing.
	if said, err := deploy.Unlock(ctx, s3c, env, bucket, false, run); err == nil || !strings.Contains(err.Error(), "still renews the deploy lock") {
		t.Fatalf("unlock --run-url of a deploy that still renews its lock must refuse; said %q, err %v", said, err)
	}
	if !exists(t, s3c, bucket, stateLock) || !exists(t, s3c, bucket, lock.KeyFor(env)) {
		t.Fatal("the refused unlock removed a lock")
	}

	runNet.Close() // the runner kills the deploy
	said, err := deploy.Unlock(ctx, s3c, env, bucket, false, run)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("unlock --run-url said:\n%s", said)
	for _, want := range []string{"no renewal for over one heartbeat (2s)", "removed OpenTofu's lock on s3://" + bucket + "/" + env + "/backend.tfstate (apply by ", "removed the lock of octocat"} {
		if !strings.Contains(said, want) {
			t.Errorf("unlock's report lacks %q", want)
		}
	}
	if exists(t, s3c, bucket, stateLock) {
		t.Error("the killed OpenTofu's lock is still there")
	}
	if exists(t, s3c, bucket, lock.KeyFor(env)) {
		t.Error("the run's deploy lock is still there")
	}
	if !exists(t, s3c, bucket, foreign) {
		t.Error("a lock taken before the run was removed")
	}
	r, _ := tf.Run(ctx, "plan", "-input=false", "-no-color", "-lock-timeout=1s")
	if r.ExitCode != 0 {
		t.Fatalf("after the unlock step the stack still cannot be planned: exit %d\n%s", r.ExitCode, r.Stderr)
	}
}

func put(t *testing.T, c *s3.Client, bucket, key, body string) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

func exists(t *testing.T, c *s3.Client, bucket, key string) bool {
	t.Helper()
	_, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return err == nil
}
