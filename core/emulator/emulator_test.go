package emulator

import (
	"os"
	"path/filepath"
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

// The dry-run (ci/) writes these files: their bytes must not change when the functions do.
func TestOverrideOutputIsStable(t *testing.T) {
	for file, got := range map[string]string{
		"provider-ca.golden": ProviderOverrideCA("https://moto:5000", "/certs/ca.pem", "us_east_1"),
		"provider.golden":    ProviderOverride("http://127.0.0.1:1"),
		"backend-ca.golden":  S3BackendConfigCA("https://moto:5000", "/certs/ca.pem", "", "", ""),
		"backend.golden":     S3BackendConfig("http://e", "eu-central-1", "b", "k"),
	} {
		want, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("output differs from testdata/%s:\n%s", file, got)
		}
	}
	if a, b := ProviderOverrideFor(Provider{Endpoint: "https://moto:5000", CABundle: "/certs/ca.pem", Aliases: []string{"us_east_1"}}),
		ProviderOverrideCA("https://moto:5000", "/certs/ca.pem", "us_east_1"); a != b {
		t.Errorf("ProviderOverrideFor without NoDefaultTags differs from ProviderOverrideCA")
	}
}

func TestProviderOverrideNoDefaultTagsInEveryBlock(t *testing.T) {
	o := ProviderOverrideFor(Provider{Endpoint: "http://127.0.0.1:1", Aliases: []string{"us_east_1"}, NoDefaultTags: true})
	if n := strings.Count(o, "  default_tags {\n    tags = {}\n  }\n}\n"); n != 2 {
		t.Fatalf("empty default_tags closing %d provider blocks, want 2:\n%s", n, o)
	}
	if strings.Contains(ProviderOverride("http://127.0.0.1:1"), "default_tags") {
		t.Fatal("ProviderOverride replaces the stack's default_tags")
	}
}

func TestModuleOverridesTargetTheirModules(t *testing.T) {
	for module, hcl := range ModuleOverrides {
		if !strings.HasPrefix(hcl, "# EMULATOR ONLY") {
			t.Errorf("%s: override does not start with the EMULATOR ONLY comment", module)
		}
		if strings.Count(hcl, "{") != strings.Count(hcl, "}") {
			t.Errorf("%s: unbalanced braces:\n%s", module, hcl)
		}
		for _, line := range strings.Split(hcl, "\n") {
			if !strings.HasPrefix(line, "resource ") {
				continue
			}
			// resource "TYPE" "NAME" {  — the module must declare it, or tofu refuses the override.
			f := strings.Fields(line)
			decl := "resource " + f[1] + " " + f[2]
			if !moduleDeclares(t, module, decl) {
				t.Errorf("%s: infra/modules/%s declares no %s", module, module, decl)
			}
		}
	}
}

func moduleDeclares(t *testing.T, module, decl string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "infra", "modules", module, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .tf files in infra/modules/%s", module)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), decl+" {") {
			return true
		}
	}
	return false
}

func TestReplaysTextCountsByCall(t *testing.T) {
	if got := ReplaysText(nil); got != "" {
		t.Fatalf("no replays: want no line, got %q", got)
	}
	got := ReplaysText([]Replay{{Call: "RevokeSecurityGroupEgress", Invocation: "a"}, {Call: "CreateSubnet", Invocation: "b"}, {Call: "CreateSubnet", Invocation: "c"}})
	for _, want := range []string{"3 retried call(s)", "CreateSubnet ×2, RevokeSecurityGroupEgress"} {
		if !strings.Contains(got, want) {
			t.Fatalf("%q lacks %q", got, want)
		}
	}
}
