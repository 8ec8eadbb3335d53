variable "name" {
  description = "Service name, e.g. book-me-prod-api."
  type        = string
}

variable "cluster_name" {
  description = "Name of the ECS cluster."
  type        = string
}

variable "task_definition_arn" {
  description = "Revision the service is created with. Later revisions are the pipeline's business (ignored here)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the tasks."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the tasks."
  type        = list(string)
}

variable "capacity_provider_strategy" {
  description = "Capacity providers and weights (FARGATE / FARGATE_SPOT)."
  type = list(object({
    capacity_provider = string
    base              = number
    weight            = number
  }))

  validation {
    condition     = length(var.capacity_provider_strategy) > 0
    error_message = "capacity_provider_strategy must name at least one capacity provider."
  }
}

variable "load_balancer" {
  description = "Target group registration for a web service; null for a worker (no port, no load balancer)."
  type = object({
    target_group_arn = string
    container_name   = string
    container_port   = number
  })
  default = null
}

variable "health_check_grace_period_seconds" {
  description = "Seconds the load balancer's health checks are ignored after a task starts (web services only)."
  type        = number
  default     = 60
}

variable "min_capacity" {
  description = "Fewest tasks (also the count the service is created with)."
  type        = number
  default     = 1

  validation {
    condition     = var.min_capacity >= 0
    error_message = "min_capacity must not be negative."
  }
}

variable "max_capacity" {
  description = "Most tasks. Equal to min_capacity means a fixed count; larger turns on CPU target tracking."
  type        = number
  default     = 1
}

variable "cpu_target_percent" {
  description = "Average CPU utilisation the autoscaling policy aims for."
  type        = number
  default     = 60

  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent must be between 10 and 90."
  }
}

variable "scale_in_cooldown" {
  description = "Seconds between scale-in steps."
  type        = number
  default     = 300
}

variable "scale_out_cooldown" {
  description = "Seconds between scale-out steps."
  type        = number
  default     = 60
}

variable "deployment_minimum_healthy_percent" {
  description = "Lower bound of running tasks during a deployment, in percent of the desired count."
  type        = number
  default     = 100
}

variable "deployment_maximum_percent" {
  description = "Upper bound of tasks during a deployment, in percent of the desired count."
  type        = number
  default     = 200
}

variable "enable_execute_command" {
  description = "Allow ECS Exec into the service's tasks (the task role must grant ssmmessages too)."
  type        = bool
  default     = false
}
