# The base stack's outputs contract. The pipeline reads these names (core/stack.Base); keep them
# stable — renaming one is a breaking change for every environment.

output "region" {
  description = "Region of the environment."
  value       = var.region
}

output "vpc_id" {
  description = "VPC id."
  value       = module.network.vpc_id
}

output "public_subnet_ids" {
  description = "Public subnets (load balancer)."
  value       = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnets for ECS services and one-off tasks."
  value       = module.network.private_subnet_ids
}

output "app_security_group_id" {
  description = "Security group for ECS services and one-off tasks."
  value       = module.network.app_security_group_id
}

output "ecr_repository_url" {
  description = "ECR repository URL the pipeline pushes the API image to."
  value       = module.registry.repository_url
}

output "ecr_repository_name" {
  description = "ECR repository name."
  value       = module.registry.repository_name
}

output "ecr_repository_arn" {
  description = "ECR repository ARN."
  value       = module.registry.repository_arn
}

output "config_bucket" {
  description = "Private bucket of the service env files."
  value       = module.config_bucket.name
}

output "static_bucket" {
  description = "Static+media bucket of Django."
  value       = module.static_bucket.name
}

output "static_bucket_domain_name" {
  description = "Regional domain of the static+media bucket (Django's AWS_S3_CUSTOM_DOMAIN)."
  value       = module.static_bucket.regional_domain_name
}

output "db_host" {
  description = "PostgreSQL host."
  value       = module.database.address
}

output "db_port" {
  description = "PostgreSQL port."
  value       = module.database.port
}

output "db_name" {
  description = "Application database name."
  value       = module.database.database_name
}

output "db_master_username" {
  description = "Master user name (its password is in db_secret_arn)."
  value       = module.database.master_username
}

output "db_secret_arn" {
  description = "RDS-managed Secrets Manager secret with the master credentials (JSON username/password)."
  value       = module.database.master_user_secret_arn
}

output "redis_host" {
  description = "Redis primary endpoint (TLS, RBAC user)."
  value       = module.cache.primary_endpoint_address
}

output "redis_port" {
  description = "Redis port."
  value       = module.cache.port
}

output "redis_secret_arn" {
  description = "Secrets Manager secret of the Redis application user (JSON: username, password, host, port, url); its url is the app's BROKER_URL."
  value       = module.cache.secret_arn
}

output "app_secret_arn" {
  description = "Secrets Manager secret of the application's secret settings."
  value       = aws_secretsmanager_secret.app.arn
}

output "bastion_instance_id" {
  description = "EC2 Instance Connect bastion (empty when disabled)."
  value       = try(module.bastion[0].instance_id, "")
}
