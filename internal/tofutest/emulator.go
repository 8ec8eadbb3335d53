package tofutest

import (
	"fmt"
	"sort"
	"strings"
)

// EmulatedServices are the AWS provider endpoint keys the project's stacks use.
var EmulatedServices = []string{
	"acm", "applicationautoscaling", "cloudfront", "ec2", "ecr", "ecs", "elasticache", "elbv2",
	"iam", "kms", "logs", "rds", "route53", "s3", "s3control", "secretsmanager", "ssm", "sts",
}

// Override describes a test-only provider override file.
type Override struct {
	// Endpoint is the emulator's base URL, e.g. http://127.0.0.1:41234.
	Endpoint string
	// Aliases are the provider aliases to override besides the default provider (e.g. us_east_1).
	Aliases []string
	// NoDefaultTags replaces the stack's default_tags with none. moto 5.2 ignores the tags the
	// AWS provider (6.x) sends inside CreateBucket, so every bucket would re-plan its tags_all.
	NoDefaultTags bool
}

// ProviderOverride returns a test-only override file (`*_override.tf`) that points the default
// AWS provider and each named alias at an emulator endpoint: every EmulatedServices endpoint,
// dummy keys, the skip_* flags, skip_requesting_account_id (moto: otherwise S3 tag reads go to
// <account>.127.0.0.1) and path-style S3. The region of the real provider blocks is kept
// (override files merge argument by argument).
func ProviderOverride(o Override) string {
	var b strings.Builder
	b.WriteString("# TEST-ONLY: written by internal/tofutest into a temporary copy; never commit.\n")
	endpoint := o.Endpoint
	for _, alias := range append([]string{""}, o.Aliases...) {
		b.WriteString("provider \"aws\" {\n")
		if alias != "" {
			fmt.Fprintf(&b, "  alias = %q\n", alias)
		}
		b.WriteString("  access_key                  = \"testing\"\n")
		b.WriteString("  secret_key                  = \"testing\"\n")
		b.WriteString("  skip_credentials_validation = true\n")
		b.WriteString("  skip_metadata_api_check     = true\n")
		b.WriteString("  skip_region_validation      = true\n")
		b.WriteString("  skip_requesting_account_id  = true\n")
		b.WriteString("  s3_use_path_style           = true\n")
		b.WriteString("  endpoints {\n")
		svcs := append([]string(nil), EmulatedServices...)
		sort.Strings(svcs)
		for _, s := range svcs {
			fmt.Fprintf(&b, "    %s = %q\n", s, endpoint)
		}
		b.WriteString("  }\n")
		if o.NoDefaultTags {
			b.WriteString("  default_tags {\n    tags = {}\n  }\n")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// S3BackendConfig returns a backend configuration file (for `tofu init -backend-config=FILE`)
// that keeps the state in bucket/key on an emulator, with S3-native locking.
func S3BackendConfig(endpoint, region, bucket, key string) string {
	return fmt.Sprintf(`bucket                      = %q
key                         = %q
region                      = %q
endpoints                   = { s3 = %q }
use_path_style              = true
access_key                  = "testing"
secret_key                  = "testing"
skip_credentials_validation = true
skip_metadata_api_check     = true
skip_region_validation      = true
skip_requesting_account_id  = true
`, bucket, key, region, endpoint)
}
