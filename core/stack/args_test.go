package stack

import (
	"reflect"
	"strings"
	"testing"
)

func TestVarFileArgs(t *testing.T) {
	entries := []string{"production.tfvars", "staging.tfvars", "staging.backend.tfvars", "README.md"}
	got, err := VarFileArgs(entries, "staging", "backend", "emulator.tfvars.json", "pipeline.tfvars.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-var-file=../../environments/staging.tfvars", "-var-file=../../environments/staging.backend.tfvars",
		"-var-file=emulator.tfvars.json", "-var-file=pipeline.tfvars.json"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	got, _ = VarFileArgs(entries, "production", "backend")
	if len(got) != 1 {
		t.Fatalf("production has no backend file: got %v", got)
	}
	if _, err := VarFileArgs(entries, "prod", "base"); err == nil || !strings.Contains(err.Error(), `unknown environment "prod"`) {
		t.Fatalf("want unknown environment error, got %v", err)
	}
}

func TestInitArgs(t *testing.T) {
	got := InitArgs("state", "eu-central-1", "staging", "base", "emulator.s3.tfbackend")
	want := []string{"tofu", "init", "-input=false", "-no-color", "-backend-config=bucket=state",
		"-backend-config=key=staging/base.tfstate", "-backend-config=region=eu-central-1", "-backend-config=emulator.s3.tfbackend"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
}
