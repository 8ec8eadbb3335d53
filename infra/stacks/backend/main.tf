# The backend stack: the API behind a load balancer, the Celery worker, and the task definitions
# of the one-off migration task and of the ECS Exec shell, all in one ECS cluster.
# Files: main.tf (names, zone), certificate.tf, alb.tf, cluster.tf, iam.tf, tasks.tf,
# services.tf, dns.tf.

locals {
  name = "${var.project}-${var.environment}"

  # The task definitions OpenTofu registers are templates: their content (cpu, memory, command,
  # stop timeout, environment, secrets, log configuration) is OpenTofu's, their image a fixed
  # placeholder that is never pushed. The stack does not depend on the commit; each release renders
  # its own revisions from these templates with the image by digest (core/rollout).
  template_image = "${var.ecr_repository_url}:opentofu-template"
  env_file_key   = coalesce(var.env_file_key, "service-config/api/${var.environment}.env")

  env_files = [{ bucket = var.config_bucket, key = local.env_file_key }]
  # Each release's revisions reference the release's own env file, content-addressed
  # (core/envfile.ReleaseKey: service-config/api/<environment>/<sha256 prefix>.env): the execution
  # roles may read every one of them.
  release_env_prefix = coalesce(var.release_env_prefix, "service-config/api/${var.environment}/")
  release_env_files  = [{ bucket = var.config_bucket, key = "${local.release_env_prefix}*.env" }]
  # The app secret's keys, and BROKER_URL (Celery broker, cache, sessions) from the Redis secret the
  # base stack writes write-only: its url carries the RBAC user and password.
  secrets = merge(
    { for k in var.app_secret_keys : k => { secret_arn = var.app_secret_arn, json_key = k } },
    { BROKER_URL = { secret_arn = var.redis_secret_arn, json_key = "url" } },
  )

  api_port = 8000
}

data "aws_route53_zone" "this" {
  name         = var.dns_zone_name
  private_zone = false
}
