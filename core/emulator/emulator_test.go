package emulator

import (
	"strings"
	"testing"
)

func TestProviderOverrideCoversAliasesAndServices(t *testing.T) {
	o := ProviderOverride("http://moto:5000", "us_east_1")
	if n := strings.Count(o, "provider \"aws\" {"); n != 2 {
		t.Fatalf("provider blocks = %d, want 2", n)
	}
	if !strings.Contains(o, `alias = "us_east_1"`) || !strings.Contains(o, "skip_requesting_account_id  = true") {
		t.Fatalf("override lacks the alias or skip_requesting_account_id:\n%s", o)
	}
	for _, s := range Services {
		if strings.Count(o, "    "+s+" = \"http://moto:5000\"") != 2 {
			t.Errorf("service %s not pointed at the emulator in both blocks", s)
		}
	}
}

func TestS3BackendConfigLeavesOutEmptyFields(t *testing.T) {
	c := S3BackendConfig("http://moto:5000", "", "", "")
	if strings.Contains(c, "bucket") || strings.Contains("\n"+c, "\nkey ") || !strings.Contains(c, `endpoints                   = { s3 = "http://moto:5000" }`) {
		t.Fatalf("unexpected backend config:\n%s", c)
	}
	full := S3BackendConfig("http://e", "eu-central-1", "b", "k")
	for _, want := range []string{`bucket                      = "b"`, `key                         = "k"`, `region                      = "eu-central-1"`} {
		if !strings.Contains(full, want) {
			t.Errorf("missing %s", want)
		}
	}
}
