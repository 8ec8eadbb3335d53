package awsconf

import (
	"context"
	"testing"
)

func TestLoadRequiresRegion(t *testing.T) {
	if _, err := Load(context.Background(), Options{}); err == nil {
		t.Fatal("expected an error without a region")
	}
}

func TestLoadRejectsHalfCredentials(t *testing.T) {
	_, err := Load(context.Background(), Options{Region: "eu-central-1", AccessKeyID: "AKIA"})
	if err == nil {
		t.Fatal("expected an error for a key id without a secret")
	}
}

func TestLoadStaticCredentialsAndEndpoint(t *testing.T) {
	cfg, err := Load(context.Background(), Options{
		Region: "eu-central-1", AccessKeyID: "k", SecretAccessKey: "s", SessionToken: "t",
		Endpoint: "http://127.0.0.1:1", MaxAttempts: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "k" || creds.SecretAccessKey != "s" || creds.SessionToken != "t" {
		t.Fatalf("credentials not used: %+v", creds)
	}
	if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:1" {
		t.Fatalf("endpoint not set: %v", cfg.BaseEndpoint)
	}
	if got := cfg.Retryer().MaxAttempts(); got != 7 {
		t.Fatalf("max attempts = %d, want 7", got)
	}
}
