# The application's secret (JSON: DJANGO_SECRET_KEY, POSTGRES_PASSWORD, SENDGRID_API_KEY, ...).
# OpenTofu creates only the container; the values are written by the pipeline's database bootstrap
# or by an operator, so they never pass through OpenTofu or its state. ECS injects the keys into the
# containers (backend stack, `app_secret_keys`). The Redis credentials (BROKER_URL) have their own
# secret, written by the cache module (output redis_secret_arn).

resource "aws_secretsmanager_secret" "app" {
  name                    = "${local.name}/api"
  description             = "Secret settings of the ${local.name} API and worker (JSON object)"
  recovery_window_in_days = var.secret_recovery_window_days
}
