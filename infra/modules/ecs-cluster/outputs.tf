output "name" {
  description = "Cluster name (available once the capacity providers are attached)."
  value       = aws_ecs_cluster_capacity_providers.this.cluster_name
}

output "arn" {
  description = "Cluster ARN."
  value       = aws_ecs_cluster.this.arn
}

output "capacity_provider_strategy" {
  description = "The cluster's default strategy, for services that set theirs explicitly."
  value = [
    { capacity_provider = "FARGATE", base = var.fargate_base, weight = var.fargate_weight },
    { capacity_provider = "FARGATE_SPOT", base = 0, weight = var.fargate_spot_weight },
  ]
}
