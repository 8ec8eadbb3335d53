# The backend stack's outputs contract, read by the pipeline (core/stack.Backend). Keep stable.

output "cluster_name" {
  description = "ECS cluster."
  value       = module.cluster.name
}

output "api_service_name" {
  description = "ECS service of the API."
  value       = module.api_service.name
}

output "worker_service_name" {
  description = "ECS service of the Celery worker."
  value       = module.worker_service.name
}

output "api_task_family" {
  description = "Task-definition family of the API."
  value       = module.api_task.family
}

output "worker_task_family" {
  description = "Task-definition family of the worker."
  value       = module.worker_task.family
}

output "migrate_task_family" {
  description = "Task-definition family of the one-off migration task."
  value       = module.migrate_task.family
}

output "shell_task_family" {
  description = "Task-definition family of the ECS Exec shell task."
  value       = module.shell_task.family
}

output "api_container_name" {
  description = "Container name in the API family."
  value       = module.api_task.container_name
}

output "worker_container_name" {
  description = "Container name in the worker family."
  value       = module.worker_task.container_name
}

output "migrate_container_name" {
  description = "Container name in the migration family."
  value       = module.migrate_task.container_name
}

output "shell_container_name" {
  description = "Container name in the shell family."
  value       = module.shell_task.container_name
}

output "task_subnet_ids" {
  description = "Subnets for one-off tasks (run-task awsvpcConfiguration)."
  value       = var.private_subnet_ids
}

output "task_security_group_ids" {
  description = "Security groups for one-off tasks."
  value       = [var.app_security_group_id]
}

output "api_log_group" {
  description = "Log group of the API containers."
  value       = module.api_task.log_group_name
}

output "worker_log_group" {
  description = "Log group of the worker containers."
  value       = module.worker_task.log_group_name
}

output "migrate_log_group" {
  description = "Log group of the migration task."
  value       = module.migrate_task.log_group_name
}

output "shell_log_group" {
  description = "Log group of the shell task."
  value       = module.shell_task.log_group_name
}

output "api_domain_name" {
  description = "Domain of the API."
  value       = var.api_domain_name
}

output "api_url" {
  description = "Base URL of the API."
  value       = "https://${var.api_domain_name}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (smoke checks before DNS propagates)."
  value       = module.alb.dns_name
}

output "target_group_arn" {
  description = "Target group of the API (health of the rollout)."
  value       = module.alb.target_group_arn
}

output "config_bucket" {
  description = "Bucket of the env file."
  value       = var.config_bucket
}

output "env_file_key" {
  description = "Key of the API/worker env file in config_bucket."
  value       = local.env_file_key
}

output "task_definition_templates" {
  description = "OpenTofu's current revision (ARN) of each task-definition family, by role (api, worker, migrate, shell): the templates every release's revisions are rendered from."
  value = {
    api     = module.api_task.arn
    worker  = module.worker_task.arn
    migrate = module.migrate_task.arn
    shell   = module.shell_task.arn
  }
}
