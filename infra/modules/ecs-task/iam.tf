# Two roles per task definition, each with only what it needs:
# - execution role (used by ECS to start the task): pull from this repository, write to this
#   log group, read exactly the listed env files (and environment_file_patterns) and secrets;
# - task role (used by the application): the documents the caller passes, plus ECS Exec's
#   ssmmessages channels only when enable_execute_command is set.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

locals {
  readable_env_files = concat(var.environment_files, var.environment_file_patterns)
}

resource "aws_iam_role" "execution" {
  name               = "${var.family}-execution"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "EcrPull"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [var.repository_arn]
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  dynamic "statement" {
    for_each = length(local.readable_env_files) == 0 ? [] : [1]

    content {
      sid       = "EnvironmentFiles"
      actions   = ["s3:GetObject"]
      resources = [for f in local.readable_env_files : "arn:aws:s3:::${f.bucket}/${f.key}"]
    }
  }

  dynamic "statement" {
    for_each = length(local.readable_env_files) == 0 ? [] : [1]

    content {
      sid       = "EnvironmentFileBuckets"
      actions   = ["s3:GetBucketLocation"]
      resources = distinct([for f in local.readable_env_files : "arn:aws:s3:::${f.bucket}"])
    }
  }

  dynamic "statement" {
    for_each = length(local.secret_arns) == 0 ? [] : [1]

    content {
      sid       = "Secrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = local.secret_arns
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "start-task"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_iam_role" "task" {
  name               = "${var.family}-task"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "task" {
  source_policy_documents = var.task_role_policy_documents

  dynamic "statement" {
    for_each = var.enable_execute_command ? [1] : []

    content {
      sid = "EcsExec"
      actions = [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  count = length(var.task_role_policy_documents) > 0 || var.enable_execute_command ? 1 : 0

  name   = "application"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}
