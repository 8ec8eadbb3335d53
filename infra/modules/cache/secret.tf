# The application's Redis credentials in Secrets Manager (JSON: username, password, host, port,
# url). ECS injects the `url` key as BROKER_URL (backend stack, `redis_secret_arn`). OpenTofu
# manages the secret and writes its value write-only: the value never enters the state.

resource "aws_secretsmanager_secret" "this" {
  name                    = "${var.name}/redis"
  description             = "Redis credentials of the ${var.name} application user (JSON: username, password, host, port, url)"
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id = aws_secretsmanager_secret.this.id
  secret_string_wo = jsonencode({
    username = aws_elasticache_user.app.user_name
    password = ephemeral.aws_secretsmanager_random_password.app.random_password
    host     = aws_elasticache_replication_group.this.primary_endpoint_address
    port     = aws_elasticache_replication_group.this.port
    url = format("rediss://%s:%s@%s:%d/0?ssl_cert_reqs=required",
      aws_elasticache_user.app.user_name, ephemeral.aws_secretsmanager_random_password.app.random_password,
    aws_elasticache_replication_group.this.primary_endpoint_address, aws_elasticache_replication_group.this.port)
  })
  # Same version as the user's password: both are written in the same run, with the same value.
  secret_string_wo_version = var.password_wo_version

  lifecycle {
    # A replaced user got this run's password, a replaced group has a new endpoint: write the
    # secret again in the same run, so that it always matches the user.
    replace_triggered_by = [aws_elasticache_user.app.id, aws_elasticache_replication_group.this.id]
  }
}
