# Redis (Celery broker, Django sessions and cache) as an ElastiCache replication group with
# encryption at rest, TLS in transit and role-based access control: the application connects as its
# own ElastiCache user, whose password exists only in AWS (the user and a Secrets Manager secret).
#
# No secret is in the state or in a saved plan: the password is an ephemeral value (Secrets
# Manager GetRandomPassword, opened again on every run and never stored), written to the user with
# the write-only `passwords_wo` and to the secret with the write-only `secret_string_wo`. Both are
# sent only when created or when `password_wo_version` changes: bump it to rotate. OpenTofu >= 1.11.
# Files: main.tf (network, group), users.tf (RBAC users and group), secret.tf (the credentials).

resource "aws_security_group" "this" {
  name        = "${var.name}-redis"
  description = "Redis from the application and the bastion"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-redis" }
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  for_each = var.allowed_security_groups

  security_group_id            = aws_security_group.this.id
  description                  = "Redis from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = each.value
}

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id = var.name
  description          = "Redis for ${var.name} (Celery broker, sessions, cache)"

  engine               = "redis"
  engine_version       = var.engine_version
  node_type            = var.node_type
  num_cache_clusters   = var.num_cache_clusters
  port                 = 6379
  parameter_group_name = "default.redis${split(".", var.engine_version)[0]}"

  automatic_failover_enabled = var.num_cache_clusters > 1
  multi_az_enabled           = var.num_cache_clusters > 1

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [aws_security_group.this.id]

  at_rest_encryption_enabled = true
  transit_encryption_enabled = true # required by user groups

  # Role-based access control instead of an AUTH token. DELETE moves a group that still has an
  # AUTH token (created before RBAC) to the user group in one modification.
  user_group_ids             = [aws_elasticache_user_group.this.user_group_id]
  auth_token_update_strategy = "DELETE"

  snapshot_retention_limit = var.snapshot_retention_days
  apply_immediately        = true
}
