//go:build infra

package infra

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"bookme-deploy/core/emulator"
	"bookme-deploy/core/stack"
	"bookme-deploy/internal/testenv"
	"bookme-deploy/internal/tofutest"
)

// The base stack's Redis credentials never reach OpenTofu's state or a saved plan. moto marks every
// password it generates (emulator.PasswordMarkEnv), so the scan finds any of them: the ones the
// ephemeral resources generate while planning (and discard) as well as the one applied. The state
// is NOT encrypted client-side here, so a hit would be plain text. The test applies the base stack,
// re-plans (empty), rotates the password (redis_password_wo_version 1 → 2) and destroys; after each
// step it scans the state object in S3, `tofu show -json`, every saved plan file (raw, unzipped and
// `tofu show -json`) and tofu's own output, and reads back from moto: the RBAC user, the disabled
// default user, the user group attached to the replication group, and a secret whose password is
// the user's (moto's model dump shows the user's password).
func TestBaseStackKeepsRedisPasswordOutOfStateAndPlans(t *testing.T) {
	t.Parallel() // each has its own moto and copy of infra/: most of their time is the provider polling
	ctx := context.Background()
	mark := "PLANTEDredis" + hex.EncodeToString(randomBytes(t, 4)) // letters and digits, as the passwords
	moto, cfg, root := emulatedInfra(t, mark)
	stateBucket := "book-me-tofu-state-redis"
	if err := emulator.Prepare(ctx, cfg, testenv.S3(cfg), emulator.Account{StateBucket: stateBucket, HostedZone: "book-me.example.com"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "stacks", stack.StackBase)
	stateKey := testEnvironment + "/base.tfstate"
	tofutest.WriteFile(t, dir, "emulator_override.tf", emulator.ProviderOverrideFor(emulator.Provider{Endpoint: moto.Endpoint, NoDefaultTags: true}))
	tofutest.WriteFile(t, dir, "emulator.s3.tfbackend", emulator.S3BackendConfig(moto.Endpoint, testenv.Region, stateBucket, stateKey))
	writeVars(t, filepath.Join(dir, "test.tfvars.json"), emulator.StackVars[stack.StackBase])
	files, err := stack.VarFiles(root, testEnvironment, stack.StackBase)
	if err != nil {
		t.Fatal(err)
	}
	var varArgs []string
	for _, f := range files {
		varArgs = append(varArgs, "-var-file="+f)
	}
	varArgs = append(varArgs, "-var-file=test.tfvars.json")

	tf := tofutest.New(t, dir)
	tf.Env = append(tf.Env, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION="+testenv.Region)
	if v := tofuVersion(t, tf); !atLeast(v, 1, 11) {
		t.Fatalf("OpenTofu %s: write-only arguments and ephemeral resources need >= 1.11 (set TOFU)", v)
	}
	var outputs bytes.Buffer // everything tofu printed: scanned too
	run := func(args ...string) *tofutest.Result {
		t.Helper()
		r := tf.Must(t, args...)
		outputs.Write(r.Stdout)
		outputs.Write(r.Stderr)
		return r
	}
	scan := scanner{t: t, mark: mark}

	run("init", "-backend-config=emulator.s3.tfbackend")
	run(append([]string{"plan", "-out=create.tfplan"}, varArgs...)...)
	scan.planFile(tf, filepath.Join(dir, "create.tfplan"))
	run("apply", "-auto-approve", "create.tfplan")

	r, err := tf.Run(ctx, append([]string{"plan", "-detailed-exitcode", "-out=replan.tfplan"}, varArgs...)...)
	if err != nil || r.ExitCode != 0 {
		t.Fatalf("base: the plan after apply is not empty (exit %d): %v\n%s", r.ExitCode, err, r.Stdout)
	}
	outputs.Write(r.Stdout)
	scan.planFile(tf, filepath.Join(dir, "replan.tfplan"))

	base, err := stack.ParseBase(run("output", "-json").Stdout)
	if err != nil {
		t.Fatal(err)
	}
	first := checkRedisAccount(t, ctx, cfg, moto.Endpoint, base, mark)
	scan.state(ctx, cfg, tf, stateBucket, stateKey)

	// Rotation: a new version generates a new password, written to the user and the secret.
	rotate := append(append([]string{"plan", "-out=rotate.tfplan"}, varArgs...), "-var", "redis_password_wo_version=2")
	run(rotate...)
	scan.planFile(tf, filepath.Join(dir, "rotate.tfplan"))
	sum, err := stack.SummarizePlan(run("show", "-json", "rotate.tfplan").Stdout)
	if err != nil || sum.Empty() {
		t.Fatalf("rotation plan: %v, empty=%v", err, err == nil && sum.Empty())
	}
	t.Logf("rotation plan: %s", sum.Text())
	run("apply", "-auto-approve", "rotate.tfplan")
	second := checkRedisAccount(t, ctx, cfg, moto.Endpoint, base, mark)
	if second == first {
		t.Errorf("redis_password_wo_version 1 → 2 did not change the password")
	}
	scan.state(ctx, cfg, tf, stateBucket, stateKey)
	r, err = tf.Run(ctx, append(append([]string{"plan", "-detailed-exitcode"}, varArgs...), "-var", "redis_password_wo_version=2")...)
	if err != nil || r.ExitCode != 0 {
		t.Fatalf("base: the plan after the rotation is not empty (exit %d): %v\n%s", r.ExitCode, err, r.Stdout)
	}
	outputs.Write(r.Stdout)

	// Destroy (moto keeps the replication group, and with it its user group and users).
	run(append([]string{"state", "rm"}, motoUndeletable...)...)
	run(append(append([]string{"destroy", "-auto-approve"}, varArgs...), "-var", "redis_password_wo_version=2")...)
	if _, err := secretsmanager.NewFromConfig(cfg).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(base.RedisSecretARN)}); err == nil {
		t.Errorf("the Redis secret %s is still there after destroy", base.RedisSecretARN)
	}

	if n := bytes.Count(outputs.Bytes(), []byte(mark)); n != 0 {
		t.Errorf("tofu's output shows a generated password %d times", n)
	}
	t.Logf("scanned %d places for generated passwords (mark %s…): 0 hits; tofu output %d bytes", scan.places, mark[:12], outputs.Len())
}

// checkRedisAccount reads back from moto what the base stack made of Redis and returns the
// application password (from the secret).
func checkRedisAccount(t *testing.T, ctx context.Context, cfg aws.Config, endpoint string, base *stack.Base, mark string) string {
	t.Helper()
	sec, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(base.RedisSecretARN)})
	if err != nil {
		t.Fatalf("the Redis secret %s: %v", base.RedisSecretARN, err)
	}
	var cred struct {
		Username, Password, Host, URL string
		Port                          int
	}
	if err := json.Unmarshal([]byte(aws.ToString(sec.SecretString)), &cred); err != nil {
		t.Fatalf("the Redis secret is not the JSON the app reads: %v", err)
	}
	if !strings.HasPrefix(cred.Password, mark) || len(cred.Password) != 64 {
		t.Fatalf("the secret's password is not one moto generated (length %d, marked %v)", len(cred.Password), strings.HasPrefix(cred.Password, mark))
	}
	wantURL := fmt.Sprintf("rediss://%s:%s@%s:%d/0?ssl_cert_reqs=required", cred.Username, cred.Password, base.RedisHost, base.RedisPort)
	if cred.URL != wantURL || cred.Host != base.RedisHost || cred.Port != base.RedisPort || cred.Username != "app" {
		t.Errorf("secret: user %q host %q port %d, url matches the host and password: %v", cred.Username, cred.Host, cred.Port, cred.URL == wantURL)
	}

	ec := elasticache.NewFromConfig(cfg)
	rg, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("book-me-" + testEnvironment)})
	if err != nil || len(rg.ReplicationGroups) != 1 {
		t.Fatalf("replication group: %v", err)
	}
	g := rg.ReplicationGroups[0]
	if len(g.UserGroupIds) != 1 || !aws.ToBool(g.TransitEncryptionEnabled) || aws.ToBool(g.AuthTokenEnabled) {
		t.Fatalf("replication group: user groups %v, transit encryption %v, AUTH token %v", g.UserGroupIds, aws.ToBool(g.TransitEncryptionEnabled), aws.ToBool(g.AuthTokenEnabled))
	}
	ug, err := ec.DescribeUserGroups(ctx, &elasticache.DescribeUserGroupsInput{UserGroupId: aws.String(g.UserGroupIds[0])})
	if err != nil || len(ug.UserGroups) != 1 {
		t.Fatalf("user group %s: %v", g.UserGroupIds[0], err)
	}
	members := map[string]string{} // user name → user id
	for _, id := range ug.UserGroups[0].UserIds {
		u, err := ec.DescribeUsers(ctx, &elasticache.DescribeUsersInput{UserId: aws.String(id)})
		if err != nil || len(u.Users) != 1 {
			t.Fatalf("user %s of the group: %v", id, err)
		}
		usr := u.Users[0]
		members[aws.ToString(usr.UserName)] = id
		switch aws.ToString(usr.UserName) {
		case "default":
			if !strings.HasPrefix(aws.ToString(usr.AccessString), "off ") {
				t.Errorf("the group's default user is enabled: %q", aws.ToString(usr.AccessString))
			}
		case cred.Username:
			if aws.ToString(usr.Status) != "active" || !strings.HasPrefix(aws.ToString(usr.AccessString), "on ") ||
				usr.Authentication == nil || string(usr.Authentication.Type) != "password" || aws.ToInt32(usr.Authentication.PasswordCount) != 1 {
				t.Errorf("application user %s: %+v", id, usr)
			}
		}
	}
	if len(members) != 2 || members["default"] == "" || members[cred.Username] == "" {
		t.Fatalf("user group members: %v", members)
	}
	// The user's password (moto's model dump, the only place it can be read) is the secret's.
	if got := motoUserPasswords(t, endpoint, members[cred.Username]); len(got) != 1 || got[0] != cred.Password {
		t.Errorf("the user %s has %d password(s), equal to the secret's: %v", members[cred.Username], len(got), len(got) == 1 && got[0] == cred.Password)
	}
	return cred.Password
}

// motoUserPasswords reads an ElastiCache user's passwords from moto's model dump.
func motoUserPasswords(t *testing.T, endpoint, userID string) []string {
	t.Helper()
	resp, err := http.Get(endpoint + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var dump struct {
		ElastiCache struct {
			User []struct {
				ID        string   `json:"id"`
				Region    string   `json:"region"`
				Passwords []string `json:"passwords"`
			} `json:"User"`
		} `json:"elasticache"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&dump); err != nil {
		t.Fatal(err)
	}
	for _, u := range dump.ElastiCache.User {
		if u.ID == userID && u.Region == testenv.Region {
			return u.Passwords
		}
	}
	t.Fatalf("moto has no user %s", userID)
	return nil
}

// scanner looks for the mark of moto's generated passwords.
type scanner struct {
	t      *testing.T
	mark   string
	places int
}

func (s *scanner) check(what string, data []byte) {
	s.t.Helper()
	s.places++
	if n := bytes.Count(data, []byte(s.mark)); n != 0 {
		s.t.Errorf("%s holds a generated password (%d hits)", what, n)
	}
}

// planFile scans a saved plan: the raw file, every entry of the zip archive it is, and
// `tofu show -json`.
func (s *scanner) planFile(tf *tofutest.Tofu, path string) {
	s.t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatal(err)
	}
	s.check(filepath.Base(path)+" (raw)", raw)
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		s.t.Fatalf("%s is not a zip archive: %v", path, err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			s.t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		s.check(filepath.Base(path)+"!"+f.Name, data)
	}
	s.check("tofu show -json "+filepath.Base(path), tf.Must(s.t, "show", "-json", filepath.Base(path)).Stdout)
}

// state scans the state object in S3 (plain JSON: no client-side encryption here, so the scan
// means something) and `tofu show -json` of it.
func (s *scanner) state(ctx context.Context, cfg aws.Config, tf *tofutest.Tofu, bucket, key string) {
	s.t.Helper()
	obj, err := testenv.S3(cfg).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		s.t.Fatal(err)
	}
	data, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if !bytes.Contains(data, []byte(`"aws_elasticache_user"`)) || !bytes.Contains(data, []byte(`"aws_secretsmanager_secret_version"`)) {
		s.t.Fatalf("s3://%s/%s is not the plain base state with the Redis user and secret version", bucket, key)
	}
	s.check("s3://"+bucket+"/"+key, data)
	s.check("tofu show -json (state)", tf.Must(s.t, "show", "-json").Stdout)
}

func tofuVersion(t *testing.T, tf *tofutest.Tofu) string {
	t.Helper()
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(tf.Must(t, "version", "-json").Stdout, &v); err != nil {
		t.Fatal(err)
	}
	return v.Version
}

// atLeast reports whether version "MAJOR.MINOR.PATCH" is at least major.minor.
func atLeast(version string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(version, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
