output "primary_endpoint_address" {
  description = "Host name of the primary Redis endpoint (TLS: use rediss://)."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "port" {
  description = "Redis port."
  value       = aws_elasticache_replication_group.this.port
}

output "security_group_id" {
  description = "Security group of the cache."
  value       = aws_security_group.this.id
}

output "secret_arn" {
  description = "Secrets Manager secret with the application user's credentials (JSON keys username, password, host, port, url)."
  value       = aws_secretsmanager_secret.this.arn
}

output "user_group_id" {
  description = "ElastiCache user group attached to the replication group."
  value       = aws_elasticache_user_group.this.user_group_id
}

output "app_user_id" {
  description = "ElastiCache user id of the application."
  value       = aws_elasticache_user.app.user_id
}
