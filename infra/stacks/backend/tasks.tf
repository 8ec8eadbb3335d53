# Four task-definition families from one image and one env file: the API (daphne), the Celery
# worker, the migration (one-off) and the ECS Exec shell (one-off). The shell always has ECS Exec
# rights; the API and the worker have them when named in ecs_exec_services (default: the API).

# These are templates (tag bookme:template = "true", image <repository>:opentofu-template): each
# release renders its revisions from them, replacing only the image (by digest), the env file and
# the commit tag (core/rollout). Every family names its one container the same, for the API, the
# worker and the one-off tasks alike. Output task_definition_templates names the current revisions.
locals {
  app_container = "app"
}

module "api_task" {
  source = "../../modules/ecs-task"

  family                     = "${local.name}-api"
  container_name             = local.app_container
  image                      = local.template_image
  repository_arn             = var.ecr_repository_arn
  command                    = ["daphne", "--bind", "0.0.0.0", "--port", tostring(local.api_port), "core.asgi:application"]
  port                       = local.api_port
  cpu                        = var.api_cpu
  memory                     = var.api_memory
  cpu_architecture           = var.cpu_architecture
  environment_files          = local.env_files
  environment_file_patterns  = local.release_env_files
  secrets                    = local.secrets
  stop_timeout               = 30
  enable_execute_command     = contains(var.ecs_exec_services, "api")
  task_role_policy_documents = [data.aws_iam_policy_document.app.json]
  log_retention_days         = var.log_retention_days
}

module "worker_task" {
  source = "../../modules/ecs-task"

  family                     = "${local.name}-worker"
  container_name             = local.app_container
  image                      = local.template_image
  repository_arn             = var.ecr_repository_arn
  command                    = ["celery", "--app", "tasks", "worker", "--loglevel", "INFO"]
  cpu                        = var.worker_cpu
  memory                     = var.worker_memory
  cpu_architecture           = var.cpu_architecture
  environment_files          = local.env_files
  environment_file_patterns  = local.release_env_files
  secrets                    = local.secrets
  stop_timeout               = 120 # let Celery finish running tasks (warm shutdown)
  enable_execute_command     = contains(var.ecs_exec_services, "worker")
  task_role_policy_documents = [data.aws_iam_policy_document.app.json]
  log_retention_days         = var.log_retention_days
}

module "migrate_task" {
  source = "../../modules/ecs-task"

  family                     = "${local.name}-migrate"
  container_name             = local.app_container
  image                      = local.template_image
  repository_arn             = var.ecr_repository_arn
  command                    = ["python", "manage.py", "migrate", "--noinput"]
  cpu                        = var.api_cpu
  memory                     = var.api_memory
  cpu_architecture           = var.cpu_architecture
  environment_files          = local.env_files
  environment_file_patterns  = local.release_env_files
  secrets                    = local.secrets
  stop_timeout               = 120 # never kill a migration mid-transaction if avoidable
  task_role_policy_documents = [data.aws_iam_policy_document.app.json]
  log_retention_days         = var.log_retention_days
}

module "shell_task" {
  source = "../../modules/ecs-task"

  family                     = "${local.name}-shell"
  container_name             = local.app_container
  image                      = local.template_image
  repository_arn             = var.ecr_repository_arn
  command                    = ["sleep", tostring(var.shell_idle_seconds)]
  cpu                        = var.api_cpu
  memory                     = var.api_memory
  cpu_architecture           = var.cpu_architecture
  environment_files          = local.env_files
  environment_file_patterns  = local.release_env_files
  secrets                    = local.secrets
  enable_execute_command     = true
  task_role_policy_documents = [data.aws_iam_policy_document.app.json, data.aws_iam_policy_document.shell.json]
  log_retention_days         = var.log_retention_days
}
