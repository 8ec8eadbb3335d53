# Inputs from the base stack's outputs (the pipeline passes them as a JSON var file built by
# core/stack.Base.BackendVars, so the stacks share no state and no names are copied by hand).

variable "vpc_id" {
  description = "Base output vpc_id."
  type        = string
}

variable "public_subnet_ids" {
  description = "Base output public_subnet_ids."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Base output private_subnet_ids."
  type        = list(string)
}

variable "app_security_group_id" {
  description = "Base output app_security_group_id."
  type        = string
}

variable "ecr_repository_url" {
  description = "Base output ecr_repository_url."
  type        = string
}

variable "ecr_repository_arn" {
  description = "Base output ecr_repository_arn."
  type        = string
}

variable "config_bucket" {
  description = "Base output config_bucket."
  type        = string
}

variable "static_bucket" {
  description = "Base output static_bucket."
  type        = string
}

variable "app_secret_arn" {
  description = "Base output app_secret_arn."
  type        = string
}

variable "redis_secret_arn" {
  description = "Base output redis_secret_arn (its JSON key url becomes BROKER_URL in every container)."
  type        = string
}

variable "db_secret_arn" {
  description = "Base output db_secret_arn (readable only by the shell task)."
  type        = string
}

# Settings of this stack.

variable "env_file_key" {
  description = "Key of the API's env file in the config bucket; defaults to service-config/api/<environment>.env."
  type        = string
  default     = null
}

variable "release_env_prefix" {
  description = "Prefix of the releases' env files in the config bucket, which the execution roles may read. The pipeline passes service-config/api/<its environment name>/ (production, while environment is prod); defaults to service-config/api/<environment>/."
  type        = string
  default     = null
}

variable "app_secret_keys" {
  description = "Keys of the app secret (JSON) injected as environment variables into every container (BROKER_URL comes from redis_secret_arn)."
  type        = list(string)
  default     = ["DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "SENDGRID_API_KEY"]

  validation {
    condition     = !contains(var.app_secret_keys, "BROKER_URL")
    error_message = "BROKER_URL comes from the Redis secret (redis_secret_arn), not from the app secret."
  }
}

variable "api_cpu" {
  description = "CPU units of an API task."
  type        = number
  default     = 256
}

variable "api_memory" {
  description = "Memory (MiB) of an API task."
  type        = number
  default     = 512
}

variable "api_min_count" {
  description = "Fewest API tasks."
  type        = number
  default     = 1
}

variable "api_max_count" {
  description = "Most API tasks (CPU target tracking scales in between)."
  type        = number
  default     = 4
}

variable "worker_cpu" {
  description = "CPU units of a Celery worker task."
  type        = number
  default     = 256
}

variable "worker_memory" {
  description = "Memory (MiB) of a Celery worker task."
  type        = number
  default     = 512
}

variable "worker_count" {
  description = "Number of Celery worker tasks (fixed)."
  type        = number
  default     = 1
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64, matching the image."
  type        = string
  default     = "X86_64"
}

variable "log_retention_days" {
  description = "Days to keep container logs."
  type        = number
  default     = 30
}

variable "fargate_spot_weight" {
  description = "Share of tasks on FARGATE_SPOT beyond the first on-demand one (0 = no Spot)."
  type        = number
  default     = 1
}

variable "container_insights" {
  description = "Collect Container Insights metrics."
  type        = bool
  default     = true
}

variable "alb_deletion_protection" {
  description = "Refuse to delete the load balancer."
  type        = bool
  default     = true
}

variable "shell_idle_seconds" {
  description = "The ECS Exec shell task stops by itself after this many seconds."
  type        = number
  default     = 3600
}

variable "ecs_exec_services" {
  description = "Services that accept ECS Exec sessions (`exec` verb): \"api\", \"worker\". Each gets enable_execute_command and its task role the ssmmessages channels; only tasks started after a change accept a session."
  type        = list(string)
  default     = ["api"]

  validation {
    condition     = alltrue([for s in var.ecs_exec_services : contains(["api", "worker"], s)])
    error_message = "ecs_exec_services may name only \"api\" and \"worker\"."
  }
}
