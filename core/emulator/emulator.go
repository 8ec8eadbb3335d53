// Package emulator prepares an emulated AWS account (moto) for a rehearsal of the whole deploy:
// what a real account has before the pipeline's first run (the OpenTofu state bucket, the public
// hosted zone, the application's secret values) and the OpenTofu settings that point the AWS
// provider and the S3 backend at the emulator. It is the one place that knows the emulator's quirks;
// the production configuration in infra/ is never changed for them.
package emulator

import (
	"fmt"
	"sort"
	"strings"
)

// Services are the AWS provider endpoint keys the project's stacks use.
var Services = []string{
	"acm", "applicationautoscaling", "cloudfront", "ec2", "ecr", "ecs", "elasticache", "elbv2",
	"iam", "kms", "logs", "rds", "route53", "s3", "secretsmanager", "ssm", "sts",
}

// Provider describes the provider override file ProviderOverrideFor writes.
type Provider struct {
	// Endpoint is the emulator's base URL (http://127.0.0.1:41234, https://moto:5000).
	Endpoint string
	// CABundle is the path, as seen by tofu, of the CA that signed an HTTPS emulator's certificate
	// ("" for plain HTTP).
	CABundle string
	// Aliases are the provider aliases to point at the emulator besides the default provider.
	Aliases []string
	// NoDefaultTags replaces the stack's default_tags with none. moto 5.2 ignores the tags the AWS
	// provider (6.x) sends inside CreateBucket, so with default tags every bucket re-plans its
	// tags_all: set it where a test requires an empty second plan (see infra/README.md).
	NoDefaultTags bool
}

// ProviderOverride returns an override file (`*_override.tf`) that points the default AWS provider
// and each named alias at endpoint: every Services endpoint, dummy keys, the skip_* flags,
// skip_requesting_account_id (moto: otherwise S3 tag reads go to <account>.<host>) and path-style
// S3. Region and default_tags of the real provider blocks are kept (override files merge argument
// by argument).
func ProviderOverride(endpoint string, aliases ...string) string {
	return ProviderOverrideFor(Provider{Endpoint: endpoint, Aliases: aliases})
}

// ProviderOverrideCA is ProviderOverride for an emulator that speaks HTTPS with a certificate signed
// by the CA in the file caBundle (a path as seen by tofu).
func ProviderOverrideCA(endpoint, caBundle string, aliases ...string) string {
	return ProviderOverrideFor(Provider{Endpoint: endpoint, CABundle: caBundle, Aliases: aliases})
}

// ProviderOverrideFor is ProviderOverride with every setting of p; with NoDefaultTags false its
// output is ProviderOverrideCA's.
func ProviderOverrideFor(p Provider) string {
	var b strings.Builder
	b.WriteString("# EMULATOR ONLY: written into a temporary copy of infra/; never commit.\n")
	svcs := append([]string(nil), Services...)
	sort.Strings(svcs)
	for _, alias := range append([]string{""}, p.Aliases...) {
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
		if p.CABundle != "" {
			fmt.Fprintf(&b, "  custom_ca_bundle            = %q\n", p.CABundle)
		}
		b.WriteString("  endpoints {\n")
		for _, s := range svcs {
			fmt.Fprintf(&b, "    %s = %q\n", s, p.Endpoint)
		}
		b.WriteString("  }\n")
		if p.NoDefaultTags {
			b.WriteString("  default_tags {\n    tags = {}\n  }\n")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// S3BackendConfig returns a backend configuration file (for `tofu init -backend-config=FILE`)
// that keeps the state in bucket/key on the emulator, with S3-native locking. Leave bucket or key
// empty to give them with separate -backend-config=KEY=VALUE arguments.
func S3BackendConfig(endpoint, region, bucket, key string) string {
	return S3BackendConfigCA(endpoint, "", region, bucket, key)
}

// S3BackendConfigCA is S3BackendConfig for an emulator that speaks HTTPS (see ProviderOverrideCA).
func S3BackendConfigCA(endpoint, caBundle, region, bucket, key string) string {
	var b strings.Builder
	if caBundle != "" {
		fmt.Fprintf(&b, "custom_ca_bundle            = %q\n", caBundle)
	}
	if bucket != "" {
		fmt.Fprintf(&b, "bucket                      = %q\n", bucket)
	}
	if key != "" {
		fmt.Fprintf(&b, "key                         = %q\n", key)
	}
	if region != "" {
		fmt.Fprintf(&b, "region                      = %q\n", region)
	}
	fmt.Fprintf(&b, `endpoints                   = { s3 = %q }
use_path_style              = true
access_key                  = "testing"
secret_key                  = "testing"
skip_credentials_validation = true
skip_metadata_api_check     = true
skip_region_validation      = true
skip_requesting_account_id  = true
`, endpoint)
	return b.String()
}

// StackVars are the emulator-only variable values per stack: throw-away resources, no CloudFront
// Functions (moto has none), one task per service so moto's fixed running count matches.
var StackVars = map[string]map[string]any{
	"base": {
		"bucket_force_destroy":        true,
		"ecr_force_delete":            true,
		"secret_recovery_window_days": 0,
	},
	"backend":  {"api_min_count": 1, "worker_count": 1},
	"frontend": {"bucket_force_destroy": true, "spa_routing_function_enabled": false},
}

// MotoEnv is the environment of the moto process a rehearsal needs: ACM certificates validate at
// once, every ECS service reports one running task (moto's fixed running count), and a retry of a
// change whose answer was lost on the way gets that answer (ReplayRetriesEnv: under CI's load an
// answer from the rehearsal's moto service was lost, and the AWS provider's retry of
// RevokeSecurityGroupEgress failed a first apply with InvalidPermission.NotFound).
var MotoEnv = map[string]string{
	"MOTO_ACM_VALIDATION_WAIT": "0",
	"MOTO_ECS_SERVICE_RUNNING": "1",
	ReplayRetriesEnv:           "1",
}
