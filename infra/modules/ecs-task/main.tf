# One Fargate task definition with a single container, its log group and its two roles.
# The family is what OpenTofu owns; the pipeline registers later revisions of it (new image
# digest) and points the services or one-off runs at them.

data "aws_region" "current" {}

locals {
  secret_arns = distinct([for s in values(var.secrets) : s.secret_arn])

  container = merge(
    {
      name      = var.container_name
      image     = var.image
      essential = true

      linuxParameters = { initProcessEnabled = true }
      stopTimeout     = var.stop_timeout

      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = data.aws_region.current.region
          awslogs-stream-prefix = var.container_name
        }
      }
    },
    var.command == null ? {} : { command = var.command },
    var.port == null ? {} : {
      portMappings = [{ containerPort = var.port, hostPort = var.port, protocol = "tcp" }]
    },
    length(var.environment_files) == 0 ? {} : {
      environmentFiles = [for f in var.environment_files : { type = "s3", value = "arn:aws:s3:::${f.bucket}/${f.key}" }]
    },
    length(var.environment) == 0 ? {} : {
      environment = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]
    },
    length(var.secrets) == 0 ? {} : {
      secrets = [for k in sort(keys(var.secrets)) : {
        name      = k
        valueFrom = var.secrets[k].json_key == null ? var.secrets[k].secret_arn : "${var.secrets[k].secret_arn}:${var.secrets[k].json_key}::"
      }]
    },
  )
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

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }
}
