# One ECS service on Fargate, used for both the API (with load_balancer) and the Celery worker
# (without). The deployment circuit breaker rolls a failed deployment back on its own.
#
# The boundary with the pipeline: OpenTofu creates the service; the pipeline rolls new
# task-definition revisions and Application Auto Scaling owns the running count. Both attributes
# are therefore ignored here so that `tofu apply` never undoes a release or a scale-out.

resource "aws_ecs_service" "this" {
  name            = var.name
  cluster         = var.cluster_name
  task_definition = var.task_definition_arn
  desired_count   = var.min_capacity

  enable_execute_command  = var.enable_execute_command
  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"

  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent
  deployment_maximum_percent         = var.deployment_maximum_percent

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "capacity_provider_strategy" {
    for_each = var.capacity_provider_strategy

    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      base              = capacity_provider_strategy.value.base
      weight            = capacity_provider_strategy.value.weight
    }
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = var.load_balancer == null ? [] : [var.load_balancer]

    content {
      target_group_arn = load_balancer.value.target_group_arn
      container_name   = load_balancer.value.container_name
      container_port   = load_balancer.value.container_port
    }
  }

  health_check_grace_period_seconds = var.load_balancer == null ? null : var.health_check_grace_period_seconds

  lifecycle {
    ignore_changes = [task_definition, desired_count]

    precondition {
      condition     = var.max_capacity >= var.min_capacity
      error_message = "max_capacity must be at least min_capacity."
    }
  }
}
