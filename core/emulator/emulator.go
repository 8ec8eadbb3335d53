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

// ProviderOverride returns an override file (`*_override.tf`) that points the default AWS provider
// and each named alias at endpoint: every Services endpoint, dummy keys, the skip_* flags,
// skip_requesting_account_id (moto: otherwise S3 tag reads go to <account>.<host>) and path-style
// S3. Region and default_tags of the real provider blocks are kept (override files merge argument
// by argument).
func ProviderOverride(endpoint string, aliases ...string) string {
	return ProviderOverrideCA(endpoint, "", aliases...)
}

// ProviderOverrideCA is ProviderOverride for an emulator that speaks HTTPS with a certificate signed
// by the CA in the file caBundle (a path as seen by tofu).
func ProviderOverrideCA(endpoint, caBundle string, aliases ...string) string {
	var b strings.Builder
	b.WriteString("# EMULATOR ONLY: written into a temporary copy of infra/; never commit.\n")
	svcs := append([]string(nil), Services...)
	sort.Strings(svcs)
	for _, alias := range append([]string{""}, aliases...) {
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
		if caBundle != "" {
			fmt.Fprintf(&b, "  custom_ca_bundle            = %q\n", caBundle)
		}
		b.WriteString("  endpoints {\n")
		for _, s := range svcs {
			fmt.Fprintf(&b, "    %s = %q\n", s, endpoint)
		}
		b.WriteString("  }\n}\n")
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

// CDNOverride is the override for infra/modules/cdn: moto drops the origin's
// OriginAccessControlId and always reports SSLSupportMethod "sni-only", so without it the
// distribution shows a change on every plan (see infra/README.md, "What moto cannot take").
const CDNOverride = `# EMULATOR ONLY (moto): see infra/README.md
resource "aws_cloudfront_distribution" "this" {
  lifecycle {
    ignore_changes = [origin, viewer_certificate]
  }
}
`

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
// once, and every ECS service reports one running task (moto's fixed running count).
var MotoEnv = map[string]string{
	"MOTO_ACM_VALIDATION_WAIT": "0",
	"MOTO_ECS_SERVICE_RUNNING": "1",
}

// BucketOverride is the override for infra/modules/bucket: moto applies a bucket policy's Deny
// statements without evaluating their conditions, so the TLS-only statements (aws:SecureTransport,
// s3:TlsVersion) would refuse every request, even over HTTPS. The emulated bucket keeps every other
// statement (see infra/README.md, "What moto cannot take").
const BucketOverride = `# EMULATOR ONLY (moto ignores Deny conditions): see infra/README.md
resource "aws_s3_bucket_policy" "this" {
  policy = jsonencode(merge(jsondecode(data.aws_iam_policy_document.this.json), {
    Statement = [
      for s in jsondecode(data.aws_iam_policy_document.this.json).Statement : s
      if !contains(["DenyInsecureTransport", "DenyOutdatedTLS"], lookup(s, "Sid", ""))
    ]
  }))
}
`

// CacheOverride is the override for infra/modules/cache: moto reports a replication group's auth token as unset and its
// security groups differently from how they were set, so every plan would modify the group — and
// moto never finishes a modification (the provider then waits its 40-minute default).
const CacheOverride = `# EMULATOR ONLY (moto re-reports security_group_ids and auth_token; modifications never finish): see infra/README.md
resource "aws_elasticache_replication_group" "this" {
  lifecycle {
    ignore_changes = [security_group_ids, auth_token]
  }
}
`

// BastionOverride is the override for infra/modules/bastion: moto re-reports the instance's
// security groups, so every plan would modify it. The module's own ignore_changes (ami) is kept.
const BastionOverride = `# EMULATOR ONLY (moto re-reports vpc_security_group_ids): see infra/README.md
resource "aws_instance" "this" {
  lifecycle {
    ignore_changes = [ami, vpc_security_group_ids]
  }
}
`

// ServiceOverride is the override for infra/modules/ecs-service: moto re-reports a service's capacity
// provider strategy, and the provider refuses to plan a strategy change without a forced new
// deployment. The module's own ignore_changes (task_definition, desired_count) are kept.
const ServiceOverride = `# EMULATOR ONLY (moto re-reports capacity_provider_strategy): see infra/README.md
resource "aws_ecs_service" "this" {
  lifecycle {
    ignore_changes = [task_definition, desired_count, capacity_provider_strategy]
  }
}
`
