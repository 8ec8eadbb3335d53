variable "name" {
  description = "Cluster name, e.g. book-me-prod-ecs-cluster."
  type        = string
}

variable "container_insights" {
  description = "Collect Container Insights metrics (extra CloudWatch cost)."
  type        = bool
  default     = true
}

variable "fargate_base" {
  description = "Tasks always placed on on-demand FARGATE before the weights apply."
  type        = number
  default     = 1
}

variable "fargate_weight" {
  description = "Relative share of tasks on on-demand FARGATE."
  type        = number
  default     = 1
}

variable "fargate_spot_weight" {
  description = "Relative share of tasks on FARGATE_SPOT (0 = never use Spot)."
  type        = number
  default     = 1

  validation {
    condition     = var.fargate_spot_weight >= 0
    error_message = "fargate_spot_weight must not be negative."
  }
}
