variable "family" {
  description = "Task-definition family, e.g. book-me-prod-api. Also names the log group and the roles."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,50}$", var.family))
    error_message = "family must be 1-50 letters, digits, hyphens or underscores (the role names add a suffix)."
  }
}

variable "container_name" {
  description = "Name of the single container (the pipeline replaces its image when it registers new revisions)."
  type        = string
}

variable "image" {
  description = "Image of the template revision (a placeholder; each release renders its revision with the image by digest)."
  type        = string
}

variable "repository_arn" {
  description = "ECR repository the execution role may pull from."
  type        = string
}

variable "command" {
  description = "Container command (null keeps the image's CMD)."
  type        = list(string)
  default     = null
}

variable "cpu" {
  description = "Fargate CPU units (256, 512, 1024, 2048, 4096, ...)."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Memory in MiB, valid for the chosen cpu on Fargate."
  type        = number
  default     = 512

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880
    error_message = "memory must be between 512 and 122880 MiB."
  }
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64 — must match the image."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "port" {
  description = "Container port to expose (null for workers and one-off tasks)."
  type        = number
  default     = null
}

variable "environment_files" {
  description = "Environment files in S3 loaded at start, as bucket/key objects (the execution role may read exactly these)."
  type = list(object({
    bucket = string
    key    = string
  }))
  default = []
}

variable "environment_file_patterns" {
  description = "More env files in S3 the execution role may read (not loaded by this task definition): bucket/key objects, the key may hold a * wildcard (the revisions each release renders reference their own)."
  type = list(object({
    bucket = string
    key    = string
  }))
  default = []
}

variable "environment" {
  description = "Plain (non-secret) environment variables."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables injected from Secrets Manager: name => { secret_arn, json_key (optional) }."
  type = map(object({
    secret_arn = string
    json_key   = optional(string)
  }))
  default = {}
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL (Fargate allows at most 120)."
  type        = number
  default     = 30

  validation {
    condition     = var.stop_timeout >= 2 && var.stop_timeout <= 120
    error_message = "stop_timeout must be between 2 and 120 seconds (the Fargate maximum)."
  }
}

variable "enable_execute_command" {
  description = "Grant the task role what ECS Exec needs (ssmmessages:*Channel): the shell task, and the services that accept ECS Exec sessions."
  type        = bool
  default     = false
}

variable "task_role_policy_documents" {
  description = "IAM policy documents (JSON) granted to the application inside the container (least privilege)."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Days to keep the container logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}
