package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The testdata/*-outputs.json files are `tofu output -json` of the stacks applied against moto by
// test/infra (BOOKME_CAPTURE_TESTDATA=core/stack/testdata go test -tags infra ./test/infra/).

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseCapturedOutputs(t *testing.T) {
	base, err := ParseBase(readTestdata(t, "base-outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(base.ECRRepositoryURL, "/book-me-staging-api") || base.DBPort != 5432 || base.RedisPort != 6379 {
		t.Errorf("base: ecr %q db port %d redis port %d", base.ECRRepositoryURL, base.DBPort, base.RedisPort)
	}
	if len(base.PrivateSubnetIDs) != 3 || !strings.HasPrefix(base.PrivateSubnetIDs[0], "subnet-") {
		t.Errorf("base: private subnets %v", base.PrivateSubnetIDs)
	}
	if !strings.Contains(base.DBSecretARN, ":secretsmanager:") || base.ConfigBucket != "book-me-staging-config" {
		t.Errorf("base: db secret %q config bucket %q", base.DBSecretARN, base.ConfigBucket)
	}

	backend, err := ParseBackend(readTestdata(t, "backend-outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"cluster":   "book-me-staging-ecs-cluster",
		"api":       "book-me-staging-api",
		"worker":    "book-me-staging-worker",
		"migrate":   "book-me-staging-migrate",
		"shell":     "book-me-staging-shell",
		"api log":   "/aws/ecs/book-me-staging-api",
		"env file":  "service-config/api/staging.env",
		"subnets":   strings.Join(base.PrivateSubnetIDs, ","),
		"api url":   "https://api.staging.book-me.example.com",
		"worker lg": "/aws/ecs/book-me-staging-worker",
	}
	got := map[string]string{
		"cluster":   backend.ClusterName,
		"api":       backend.APIServiceName,
		"worker":    backend.WorkerServiceName,
		"migrate":   backend.MigrateTaskFamily,
		"shell":     backend.ShellTaskFamily,
		"api log":   backend.APILogGroup,
		"env file":  backend.EnvFileKey,
		"subnets":   strings.Join(backend.TaskSubnetIDs, ","),
		"api url":   backend.APIURL,
		"worker lg": backend.WorkerLogGroup,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("backend:\n got %v\nwant %v", got, want)
	}

	fe, err := ParseFrontend(readTestdata(t, "frontend-outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fe.ClientBucket != "book-me-staging-client" || fe.DistributionID == "" || fe.ClientURL != "https://app.staging.book-me.example.com" {
		t.Errorf("frontend: %+v", fe)
	}
}

// dropOutput removes outputs from a captured `tofu output -json` document.
func dropOutput(t *testing.T, data []byte, names ...string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		delete(m, n)
	}
	out, _ := json.Marshal(m)
	return out
}

func TestMissingOutputsAreNamed(t *testing.T) {
	data := dropOutput(t, readTestdata(t, "base-outputs.json"), "db_secret_arn", "ecr_repository_url")
	_, err := ParseBase(data)
	if err == nil {
		t.Fatal("no error for missing outputs")
	}
	msg := err.Error()
	for _, want := range []string{"base", "db_secret_arn", "ecr_repository_url", "infra/stacks/base"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
}

func TestOptionalOutputMayBeAbsent(t *testing.T) {
	data := dropOutput(t, readTestdata(t, "base-outputs.json"), "bastion_instance_id")
	b, err := ParseBase(data)
	if err != nil {
		t.Fatalf("optional output absent: %v", err)
	}
	if b.BastionInstanceID != "" {
		t.Errorf("bastion id %q", b.BastionInstanceID)
	}
}

func TestMalformedAndEmptyOutputs(t *testing.T) {
	data := []byte(`{
	  "client_bucket": {"sensitive": false, "type": "string", "value": ""},
	  "distribution_id": {"sensitive": false, "type": ["list","string"], "value": ["E1"]},
	  "distribution_domain_name": {"sensitive": false, "type": "string", "value": "d1.cloudfront.net"},
	  "client_domain_name": {"sensitive": false, "type": "string", "value": "app.example.com"},
	  "client_url": {"sensitive": false, "type": "string", "value": "https://app.example.com"},
	  "api_domain_name": {"sensitive": false, "type": "string", "value": "api.example.com"}
	}`)
	_, err := ParseFrontend(data)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"client_bucket (empty)", "distribution_id (want string: got array)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := ParseFrontend([]byte("Error: no outputs")); err == nil || !strings.Contains(err.Error(), "tofu output -json") {
		t.Errorf("non-JSON input: %v", err)
	}
	var notStruct string
	if err := ParseOutputs("x", []byte(`{}`), &notStruct); err == nil {
		t.Error("ParseOutputs accepted a non-struct")
	}
}

func TestBackendVarsRoundTrip(t *testing.T) {
	base, err := ParseBase(readTestdata(t, "base-outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := VarsJSON(base.BackendVars())
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back["vpc_id"] != base.VPCID || back["db_secret_arn"] != base.DBSecretARN {
		t.Errorf("vars %s", data)
	}
	if subnets, _ := back["private_subnet_ids"].([]any); len(subnets) != len(base.PrivateSubnetIDs) {
		t.Errorf("private_subnet_ids %v", back["private_subnet_ids"])
	}
}

func TestVarFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := VarFiles(dir, "production", StackBase); err == nil || !strings.Contains(err.Error(), "production") {
		t.Errorf("missing environment file: %v", err)
	}
	os.MkdirAll(filepath.Join(dir, "environments"), 0o755)
	os.WriteFile(filepath.Join(dir, "environments", "production.tfvars"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "environments", "production.base.tfvars"), nil, 0o644)
	got, err := VarFiles(dir, "production", StackBase)
	want := []string{"../../environments/production.tfvars", "../../environments/production.base.tfvars"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("base: %v %v", got, err)
	}
	got, _ = VarFiles(dir, "production", StackFrontend)
	if !reflect.DeepEqual(got, want[:1]) {
		t.Errorf("frontend without its own file: %v", got)
	}
}
