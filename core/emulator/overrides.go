package emulator

// The module overrides carry moto's documented gaps (infra/README.md, "What moto cannot take"). Each
// is an override file (`*_override.tf`) for one module directory of infra/, written only into a
// temporary copy of infra/. Override files merge lifecycle arguments one by one, so each
// ignore_changes list here replaces the module's own list for that resource (and repeats it).
// Together they make a second plan against moto empty (test/infra's TestApplyAgainstMoto proves it).

// ModuleOverrides maps each module directory under infra/modules to its override file. Write
// each as modules/<dir>/emulator_override.tf in the temporary copy of infra/.
var ModuleOverrides = map[string]string{
	"alb":         ALBOverride,
	"bastion":     BastionOverride,
	"bucket":      BucketOverride,
	"cache":       CacheOverride,
	"cdn":         CDNOverride,
	"database":    DatabaseOverride,
	"ecs-service": ServiceOverride,
}

// CDNOverride is the override for infra/modules/cdn: moto drops the origin's
// OriginAccessControlId, always reports SSLSupportMethod "sni-only" and adds forwarded_values to a
// behaviour that uses a cache policy, so without it the distribution shows a change on every plan.
const CDNOverride = `# EMULATOR ONLY (moto): see infra/README.md
resource "aws_cloudfront_distribution" "this" {
  lifecycle {
    ignore_changes = [origin, viewer_certificate, default_cache_behavior]
  }
}
`

// BucketOverride is the override for infra/modules/bucket: moto applies a bucket policy's Deny
// statements without evaluating their conditions, so the TLS-only statements (aws:SecureTransport,
// s3:TlsVersion) would refuse every request, even over HTTPS. The emulated bucket keeps every other
// statement. moto also ignores the tags the AWS provider sends inside CreateBucket, so with the
// stacks' default_tags every bucket (and, through it, its policy) re-planned after each apply: the
// drift check failed on a fresh apply (found by running drift.yml's line against the emulated account).
const BucketOverride = `# EMULATOR ONLY (moto ignores Deny conditions and CreateBucket's tags): see infra/README.md
resource "aws_s3_bucket" "this" {
  lifecycle {
    ignore_changes = [tags_all]
  }
}
resource "aws_s3_bucket_policy" "this" {
  policy = jsonencode(merge(jsondecode(data.aws_iam_policy_document.this.json), {
    Statement = [
      for s in jsondecode(data.aws_iam_policy_document.this.json).Statement : s
      if !contains(["DenyInsecureTransport", "DenyOutdatedTLS"], lookup(s, "Sid", ""))
    ]
  }))
}
`

// CacheOverride is the override for infra/modules/cache: moto's replication group forgets
// encryption at rest/in transit, its subnet group and its security groups, so every plan would
// modify (or replace) the group. It does return the user groups (RBAC: users and user groups come
// from MotoPatch). The Redis ingress rule references a security group: moto returns it as
// "<account>/sg-…" and drops the rule description.
const CacheOverride = `# EMULATOR ONLY (moto forgets the replication group's settings): see infra/README.md
resource "aws_elasticache_replication_group" "this" {
  lifecycle {
    ignore_changes = [at_rest_encryption_enabled, transit_encryption_enabled, subnet_group_name, security_group_ids]
  }
}
resource "aws_vpc_security_group_ingress_rule" "redis" {
` + sgRuleIgnore + `}
`

// DatabaseOverride is the override for infra/modules/database: moto does not return user-set DB
// parameters (rds.force_ssl). The Postgres ingress rule: as CacheOverride's Redis rule.
const DatabaseOverride = `# EMULATOR ONLY (moto does not return DB parameters): see infra/README.md
resource "aws_db_parameter_group" "this" {
  lifecycle {
    ignore_changes = [parameter]
  }
}
resource "aws_vpc_security_group_ingress_rule" "postgres" {
` + sgRuleIgnore + `}
`

// ALBOverride is the override for infra/modules/alb: its rules between the load balancer and the
// targets reference security groups (as CacheOverride's Redis rule).
const ALBOverride = `# EMULATOR ONLY (moto re-reports referenced security groups): see infra/README.md
resource "aws_vpc_security_group_egress_rule" "to_targets" {
` + sgRuleIgnore + `}
resource "aws_vpc_security_group_ingress_rule" "targets_from_alb" {
` + sgRuleIgnore + `}
`

// sgRuleIgnore is the lifecycle block of a security group rule that references another
// security group: moto returns the reference as "<account>/sg-…" (the provider runs with
// skip_requesting_account_id, which moto requires) and drops the rule's description.
const sgRuleIgnore = `  lifecycle {
    ignore_changes = [referenced_security_group_id, description]
  }
`

// BastionOverride is the override for infra/modules/bastion: moto drops the security groups given
// on the instance's network interface, so every plan would modify it. The module's own
// ignore_changes (ami) is kept. moto also drops the description of the SSH rule (a rule on a
// prefix list).
const BastionOverride = `# EMULATOR ONLY (moto re-reports vpc_security_group_ids): see infra/README.md
resource "aws_instance" "this" {
  lifecycle {
    ignore_changes = [ami, vpc_security_group_ids]
  }
}
resource "aws_vpc_security_group_ingress_rule" "ssh" {
  lifecycle {
    ignore_changes = [description]
  }
}
`

// ServiceOverride is the override for infra/modules/ecs-service: moto re-reports a service's
// capacity provider strategy (the provider refuses to plan a strategy change without a forced new
// deployment) and does not return enableECSManagedTags or healthCheckGracePeriodSeconds. The
// module's own ignore_changes (task_definition, desired_count) are kept. Application Auto Scaling's
// tag calls, which moto lacks, come from MotoPatch.
const ServiceOverride = `# EMULATOR ONLY (moto re-reports capacity_provider_strategy): see infra/README.md
resource "aws_ecs_service" "this" {
  lifecycle {
    ignore_changes = [task_definition, desired_count, capacity_provider_strategy, enable_ecs_managed_tags, health_check_grace_period_seconds]
  }
}
`
