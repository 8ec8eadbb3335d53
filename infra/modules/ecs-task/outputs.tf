output "family" {
  description = "Task-definition family."
  value       = aws_ecs_task_definition.this.family
}

output "arn" {
  description = "ARN of OpenTofu's current revision: the template releases are rendered from (the services start from it)."
  value       = aws_ecs_task_definition.this.arn
}

output "container_name" {
  description = "Name of the container."
  value       = var.container_name
}

output "log_group_name" {
  description = "CloudWatch log group of the container."
  value       = aws_cloudwatch_log_group.this.name
}

output "task_role_arn" {
  description = "Role of the application inside the container."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "Role ECS uses to start the task."
  value       = aws_iam_role.execution.arn
}
