//go:build infra

package infra

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"bookme-deploy/core/emulator"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/stack"
	"bookme-deploy/internal/testenv"
	"bookme-deploy/internal/tofutest"
)

// The environment the test applies: staging's settings plus core/emulator's StackVars.
const testEnvironment = "staging"

// moto's ElastiCache never finishes deleting a replication group and answers
// DeleteCacheSubnetGroup with HTTP 500: these leave the state before destroy, and with the group
// its user group and users (AWS, and the emulator, refuse to delete a user group in use).
var motoUndeletable = []string{
	"module.cache.aws_elasticache_replication_group.this",
	"module.cache.aws_elasticache_subnet_group.this",
	"module.cache.aws_elasticache_user_group.this",
	"module.cache.aws_elasticache_user.app",
	"module.cache.aws_elasticache_user.default",
}

type timing struct {
	stack               string
	plan, apply, replan time.Duration
	destroy             time.Duration
	resources           int
}

// Applies bootstrap → base → backend → frontend against moto with remote state in moto's S3
// (S3-native locking, client-side state encryption), passes outputs from base to backend through
// core/stack, requires an empty second plan per stack, greps the state objects for secrets, then
// destroys in reverse order. Prints the per-stack timings.
func TestApplyAgainstMoto(t *testing.T) {
	t.Parallel() // each has its own moto and copy of infra/: most of their time is the provider polling
	ctx := context.Background()
	// moto as the dry-run runs it: core/emulator's patches and environment.
	// Every password moto generates (the Redis user's) starts with passwordMark: the state scan finds it.
	passwordMark := "PLANTEDredis" + randomToken(t)[:8]
	moto, cfg, root := emulatedInfra(t, passwordMark)
	capture := os.Getenv("BOOKME_CAPTURE_TESTDATA") // write outputs/plan JSON there (core/stack testdata)

	passphrase := randomToken(t)
	encryption := fmt.Sprintf(`key_provider "pbkdf2" "test" {
  passphrase = %q
}
method "aes_gcm" "test" {
  keys = key_provider.pbkdf2.test
}
state {
  method   = method.aes_gcm.test
  enforced = true
}
plan {
  method   = method.aes_gcm.test
  enforced = true
}
`, passphrase)

	var tofuLog io.Writer // BOOKME_TOFU_LOG=FILE streams every tofu command's output there
	if p := os.Getenv("BOOKME_TOFU_LOG"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		tofuLog = f
	}
	newTofu := func(dir string) *tofutest.Tofu {
		tf := tofutest.New(t, dir)
		tf.Log = tofuLog
		tf.Env = append(tf.Env,
			"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION="+testenv.Region,
			"TF_ENCRYPTION="+encryption)
		return tf
	}

	// 1. The bootstrap root (local state by design): apply, re-plan must be empty.
	boot := filepath.Join(root, "bootstrap")
	tofutest.WriteFile(t, boot, "emulator_override.tf", emulator.ProviderOverrideFor(emulator.Provider{Endpoint: moto.Endpoint, NoDefaultTags: true}))
	bootTF := newTofu(boot)
	bootTF.Must(t, "init")
	bootVars := []string{"-var", "region=" + testenv.Region, "-var", "state_bucket_name=book-me-tofu-state-bootstrap", "-var", "force_destroy=true"}
	start := time.Now()
	bootTF.Must(t, append([]string{"apply", "-auto-approve"}, bootVars...)...)
	bootApply := time.Since(start)
	if r, err := bootTF.Run(ctx, append([]string{"plan", "-detailed-exitcode"}, bootVars...)...); err != nil || r.ExitCode != 0 {
		t.Fatalf("bootstrap: the plan after apply is not empty (exit %d): %v\n%s", r.ExitCode, err, r.Stdout)
	}

	// What the account has before the pipeline's first run, made as the dry-run makes it. The
	// stacks' remote state lives in a plain bucket (the bootstrap root above is applied, re-planned
	// and destroyed on its own).
	stateBucket := "book-me-tofu-state-moto"
	if err := emulator.Prepare(ctx, cfg, testenv.S3(cfg), emulator.Account{StateBucket: stateBucket, HostedZone: "book-me.example.com"}); err != nil {
		t.Fatal(err)
	}

	var times []*timing
	tofus := map[string]*tofutest.Tofu{}
	var base *stack.Base
	for _, name := range []string{stack.StackBase, stack.StackBackend, stack.StackFrontend} {
		dir := filepath.Join(root, "stacks", name)
		aliases := []string{}
		if name == stack.StackFrontend {
			aliases = []string{"us_east_1"}
		}
		// The stacks keep their default_tags, as the pipeline does: BucketOverride (core/emulator)
		// ignores the buckets' tags_all, which moto drops from CreateBucket (infra/README.md).
		tofutest.WriteFile(t, dir, "emulator_override.tf", emulator.ProviderOverrideFor(emulator.Provider{Endpoint: moto.Endpoint, Aliases: aliases}))
		tofutest.WriteFile(t, dir, "emulator.s3.tfbackend", emulator.S3BackendConfig(moto.Endpoint, testenv.Region, stateBucket, testEnvironment+"/"+name+".tfstate"))
		vars := map[string]any{}
		for k, v := range emulator.StackVars[name] {
			vars[k] = v
		}
		if name == stack.StackBackend {
			for k, v := range base.BackendVars() {
				vars[k] = v
			}
		}
		writeVars(t, filepath.Join(dir, "test.tfvars.json"), vars)
		files, err := stack.VarFiles(filepath.Join(root), testEnvironment, name)
		if err != nil {
			t.Fatal(err)
		}
		var varArgs []string
		for _, f := range files {
			varArgs = append(varArgs, "-var-file="+f)
		}
		varArgs = append(varArgs, "-var-file=test.tfvars.json")

		tf := newTofu(dir)
		tofus[name] = tf
		tf.Must(t, "init", "-backend-config=emulator.s3.tfbackend")
		tm := &timing{stack: name}
		times = append(times, tm)

		r := tf.Must(t, append([]string{"plan", "-out=create.tfplan"}, varArgs...)...)
		tm.plan = r.Duration
		if capture != "" && name == stack.StackFrontend { // backend's plan JSON is large
			writeCapture(t, capture, name+"-plan-create.json", tf.Must(t, "show", "-json", "create.tfplan").Stdout)
		}
		r = tf.Must(t, "apply", "-auto-approve", "create.tfplan")
		tm.apply = r.Duration

		r, err = tf.Run(ctx, append([]string{"plan", "-detailed-exitcode", "-out=replan.tfplan"}, varArgs...)...)
		if err != nil {
			t.Fatal(err)
		}
		tm.replan = r.Duration
		if r.ExitCode != 0 {
			detail := string(r.Stderr)
			if r.ExitCode == 2 {
				if s, err := stack.SummarizePlan(tf.Must(t, "show", "-json", "replan.tfplan").Stdout); err == nil {
					detail = s.Text()
				}
				detail += string(tf.Must(t, "show", "-no-color", "replan.tfplan").Stdout)
			}
			t.Fatalf("stack %s: the plan after apply is not empty (exit %d):\n%s", name, r.ExitCode, detail)
		}
		sum, err := stack.SummarizePlan(tf.Must(t, "show", "-json", "replan.tfplan").Stdout)
		if err != nil || !sum.Empty() {
			t.Fatalf("stack %s: second plan summary: %v %v", name, err, sum)
		}

		out := tf.Must(t, "output", "-json").Stdout
		if capture != "" {
			writeCapture(t, capture, name+"-outputs.json", out)
		}
		switch name {
		case stack.StackBase:
			base, err = stack.ParseBase(out)
		case stack.StackBackend:
			var backend *stack.Backend
			backend, err = stack.ParseBackend(out)
			if err == nil {
				releaseFromTemplates(t, ctx, cfg, tf, varArgs, base, backend)
			}
			if capture != "" { // a plan with updates and replacements, for core/stack's tests
				changed := append(append([]string{"plan", "-out=change.tfplan"}, varArgs...), "-var", "api_cpu=1024", "-var", "worker_cpu=512", "-var", "log_retention_days=30")
				tf.Must(t, changed...)
				writeCapture(t, capture, "backend-plan-change.json", tf.Must(t, "show", "-json", "change.tfplan").Stdout)
			}
		case stack.StackFrontend:
			_, err = stack.ParseFrontend(out)
		}
		if err != nil {
			t.Fatalf("stack %s outputs do not satisfy core/stack: %v", name, err)
		}
		st := tf.Must(t, "state", "list").Stdout
		tm.resources = len(strings.Fields(string(st)))
	}

	checkStateHasNoSecrets(t, ctx, cfg, tofus[stack.StackBase], stateBucket, base, passwordMark, passphrase)

	// Destroy in reverse order.
	for i := len(times) - 1; i >= 0; i-- {
		tm := times[i]
		tf := tofus[tm.stack]
		if tm.stack == stack.StackBase {
			tf.Must(t, append([]string{"state", "rm"}, motoUndeletable...)...)
		}
		files, _ := stack.VarFiles(root, testEnvironment, tm.stack)
		args := []string{"destroy", "-auto-approve", "-var-file=test.tfvars.json"}
		for _, f := range files {
			args = append(args, "-var-file="+f)
		}
		r := tf.Must(t, args...)
		tm.destroy = r.Duration
	}
	start = time.Now()
	bootTF.Must(t, append([]string{"destroy", "-auto-approve"}, bootVars...)...)
	bootDestroy := time.Since(start)

	var table bytes.Buffer
	fmt.Fprintf(&table, "OpenTofu against moto (%s)\n%-10s %9s %8s %8s %8s %8s\n", moto.Endpoint, "stack", "in state", "plan", "apply", "replan", "destroy")
	fmt.Fprintf(&table, "%-10s %9s %8s %8s %8s %8s\n", "bootstrap", "-", "-", secs(bootApply), "-", secs(bootDestroy))
	for _, tm := range times {
		fmt.Fprintf(&table, "%-10s %9d %8s %8s %8s %8s\n", tm.stack, tm.resources, secs(tm.plan), secs(tm.apply), secs(tm.replan), secs(tm.destroy))
	}
	t.Log("\n" + table.String())
	fmt.Print(table.String())
}

// checkStateHasNoSecrets reads the remote state objects from moto's S3 and requires that neither
// the RDS-managed master password nor a generated (Redis) password appears in them (OpenTofu
// encrypts the state client-side), and that the decrypted base state holds neither the database
// password (RDS manages it in Secrets Manager) nor a Redis password (write-only and ephemeral).
func checkStateHasNoSecrets(t *testing.T, ctx context.Context, cfg aws.Config, baseTF *tofutest.Tofu, bucket string, base *stack.Base, passwordMark, passphrase string) {
	t.Helper()
	sec, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(base.DBSecretARN)})
	if err != nil {
		t.Fatalf("read the RDS-managed master secret %s from moto: %v", base.DBSecretARN, err)
	}
	var master struct{ Password string }
	if err := json.Unmarshal([]byte(aws.ToString(sec.SecretString)), &master); err != nil || master.Password == "" {
		t.Fatalf("the RDS-managed secret holds no password (%v): %q", err, aws.ToString(sec.SecretString))
	}
	secrets := map[string]string{"db master password": master.Password, "generated (Redis) password": passwordMark, "state passphrase": passphrase}

	client := testenv.S3(cfg)
	list, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	states := 0
	for _, o := range list.Contents {
		key := aws.ToString(o.Key)
		if !strings.HasSuffix(key, ".tfstate") {
			continue
		}
		states++
		obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		for what, v := range secrets {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("state s3://%s/%s contains the %s", bucket, key, what)
			}
		}
		if bytes.Contains(data, []byte(`"resources"`)) {
			t.Errorf("state s3://%s/%s is not encrypted (TF_ENCRYPTION was set)", bucket, key)
		}
	}
	if states != 3 {
		t.Errorf("found %d state objects in s3://%s, want 3 (base, backend, frontend)", states, bucket)
	}
	plain := baseTF.Must(t, "show", "-json").Stdout
	if bytes.Contains(plain, []byte(master.Password)) {
		t.Errorf("the decrypted base state contains the database master password")
	}
	if bytes.Contains(plain, []byte(passwordMark)) {
		t.Errorf("the decrypted base state contains a generated (Redis) password")
	}
	if !bytes.Contains(plain, []byte(base.DBSecretARN)) {
		t.Errorf("the decrypted base state does not mention the master secret ARN: is `tofu show -json` reading the right state?")
	}
}

func writeVars(t *testing.T, path string, vars map[string]any) {
	t.Helper()
	data, err := stack.VarsJSON(vars)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeCapture(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("captured %s is not JSON: %v", name, err)
	}
	pretty, _ := json.MarshalIndent(v, "", " ")
	if err := os.WriteFile(filepath.Join(dir, name), append(pretty, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func randomToken(t *testing.T) string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// releaseFromTemplates plays the boundary with OpenTofu on the applied backend stack: its task
// definitions are templates (placeholder image, template tag); a release renders its revisions from
// them and moves the services, after which the stack still plans empty (ignore_changes); an infra
// change registers new templates only, and the next release's plan shows it.
func releaseFromTemplates(t *testing.T, ctx context.Context, cfg aws.Config, tf *tofutest.Tofu, varArgs []string, base *stack.Base, b *stack.Backend) {
	t.Helper()
	c := ecs.NewFromConfig(cfg)
	for family, arn := range b.Templates() {
		td, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn),
			Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
		if err != nil {
			t.Fatalf("template of %s: %v", family, err)
		}
		if img := rollout.ImageOf(td.TaskDefinition, b.APIContainerName); img != base.ECRRepositoryURL+":opentofu-template" || !rollout.IsTemplate(td.Tags) {
			t.Errorf("template %s: image %s, tags %v", arn, img, td.Tags)
		}
	}

	eng := rollout.New(cfg, io.Discard, emulator.RolloutOptions()...)
	in := rollout.Input{Cluster: b.ClusterName, API: b.APIServiceName, Workers: []string{b.WorkerServiceName},
		Container: b.APIContainerName, Image: base.ECRRepositoryURL + "@sha256:" + strings.Repeat("ab", 32), GitSHA: "0123abc",
		Templates: b.Templates(), Migration: rollout.Migration{Skip: true},
		EnvironmentFiles: []ecstypes.EnvironmentFile{{Type: ecstypes.EnvironmentFileTypeS3,
			Value: aws.String("arn:aws:s3:::" + b.ConfigBucket + "/" + b.EnvFileKey)}}}
	p, err := eng.Plan(ctx, in)
	if err != nil {
		t.Fatalf("release plan on the applied backend: %v", err)
	}
	if p.NoOp || !strings.Contains(p.Services[0].Diff, ":opentofu-template\" → \""+in.Image) {
		t.Fatalf("first release from the templates:\n%s", p.Text())
	}
	revs, err := eng.Register(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{b.APIServiceName, b.WorkerServiceName} {
		if _, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(b.ClusterName), Service: aws.String(svc),
			TaskDefinition: aws.String(revs[svc])}); err != nil {
			t.Fatalf("move %s to %s: %v", svc, revs[svc], err)
		}
	}
	if r, err := tf.Run(ctx, append([]string{"plan", "-detailed-exitcode"}, varArgs...)...); err != nil || r.ExitCode != 0 {
		t.Fatalf("backend: the plan after a release is not empty (exit %d): %v\n%s", r.ExitCode, err, r.Stdout)
	}

	// An infra change: new API templates (api, migrate, shell use api_cpu), the services untouched.
	tf.Must(t, append(append([]string{"apply", "-auto-approve"}, varArgs...), "-var", "api_cpu=512")...)
	changed, err := stack.ParseBackend(tf.Must(t, "output", "-json").Stdout)
	if err != nil {
		t.Fatal(err)
	}
	if changed.TaskDefinitionTemplates["api"] == b.TaskDefinitionTemplates["api"] || changed.TaskDefinitionTemplates["worker"] != b.TaskDefinitionTemplates["worker"] {
		t.Errorf("templates after the api_cpu change: %v (before %v)", changed.TaskDefinitionTemplates, b.TaskDefinitionTemplates)
	}
	in.Templates = changed.Templates()
	p, err = eng.Plan(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Services[0].Changed || p.Services[1].Changed || !strings.Contains(p.Services[0].Diff, "~ cpu: \"256\" → \"512\"") ||
		strings.Contains(p.Services[0].Diff, "image") {
		t.Errorf("release after the infra change (same image):\n%s", p.Text())
	}
	svcs, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(b.ClusterName), Services: []string{b.APIServiceName}})
	if err != nil || len(svcs.Services) != 1 || aws.ToString(svcs.Services[0].TaskDefinition) != revs[b.APIServiceName] {
		t.Errorf("tofu apply moved the API service: %v %v", err, svcs)
	}
}

// emulatedInfra starts moto as the dry-run runs it (core/emulator's patches and environment, every
// generated password starting with mark) and copies infra/ with core/emulator's module overrides —
// moto's gaps (infra/README.md, "What moto cannot take") — written only into the copy.
func emulatedInfra(t *testing.T, mark string) (*testenv.Moto, aws.Config, string) {
	t.Helper()
	motoOpts := []testenv.MotoOption{testenv.WithEmulatorPatches(), testenv.WithEnv(emulator.PasswordMarkEnv, mark)}
	for k, v := range emulator.MotoEnv {
		motoOpts = append(motoOpts, testenv.WithEnv(k, v))
	}
	moto := testenv.StartMoto(t, motoOpts...)
	root := tofutest.CopyTree(t, infraDir(t))
	for module, hcl := range emulator.ModuleOverrides {
		tofutest.WriteFile(t, filepath.Join(root, "modules", module), "emulator_override.tf", hcl)
	}
	return moto, moto.Config(t), root
}
