output "name" {
  description = "Service name."
  value       = aws_ecs_service.this.name
}

output "id" {
  description = "Service ARN."
  value       = aws_ecs_service.this.id
}
