# One Fargate task definition with a single container, its log group and its two roles.
# OpenTofu owns the family and the content of its revisions; the revision it registers is a
# template (tag bookme:template = "true"): the pipeline renders each release's revision from it,
# replacing only the image (by digest), the env file and the commit tag, and points the services
# or one-off runs at that.

data "aws_region" "current" {}

locals {
  secret_arns = distinct([for s in values(var.secrets) : s.secret_arn])

  # Optional fields are null when unused; the provider drops nulls when it reads the JSON.
  container = {
    name      = var.container_name
    image     = var.image
    essential = true
    command   = var.command

    # The single container may use the whole task (a soft limit: Fargate enforces the task's).
    memoryReservation = var.memory

    linuxParameters = { initProcessEnabled = true }
    stopTimeout     = var.stop_timeout

    portMappings = var.port == null ? null : [
      { containerPort = var.port, hostPort = var.port, protocol = "tcp" },
    ]

    environmentFiles = length(var.environment_files) == 0 ? null : [
      for f in var.environment_files : { type = "s3", value = "arn:aws:s3:::${f.bucket}/${f.key}" }
    ]

    environment = length(var.environment) == 0 ? null : [
      for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }
    ]

    secrets = length(var.secrets) == 0 ? null : [
      for k in sort(keys(var.secrets)) : {
        name      = k
        valueFrom = var.secrets[k].json_key == null ? var.secrets[k].secret_arn : "${var.secrets[k].secret_arn}:${var.secrets[k].json_key}::"
      }
    ]

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.region
        awslogs-stream-prefix = var.container_name
      }
    }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/ecs/${var.family}"
  retention_in_days = var.log_retention_days
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.container])

  # Marks the revision as a template: never a release, never a roll-back target (core/rollout).
  tags = { "bookme:template" = "true" }

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }
}
