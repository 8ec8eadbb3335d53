variable "name" {
  description = "Name of the load balancer and its target group (at most 28 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,27}$", var.name))
    error_message = "name must be at most 28 letters, digits or hyphens."
  }
}

variable "vpc_id" {
  description = "VPC of the load balancer."
  type        = string
}

variable "subnet_ids" {
  description = "Public subnets of the load balancer (two or more AZs)."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener."
  type        = string
}

variable "target_port" {
  description = "Container port the API listens on."
  type        = number
  default     = 8000
}

variable "target_security_group_id" {
  description = "Security group of the targets; the module opens target_port on it to the load balancer."
  type        = string
}

variable "health_check_path" {
  description = "Path of the target health check."
  type        = string
  default     = "/auth/ping/"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with a slash."
  }
}

variable "deregistration_delay" {
  description = "Seconds to drain a target before it is removed (short keeps deploys fast)."
  type        = number
  default     = 30

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600
    error_message = "deregistration_delay must be between 0 and 3600 seconds."
  }
}

variable "stickiness_seconds" {
  description = "lb_cookie stickiness duration (websocket reconnects land on the same task)."
  type        = number
  default     = 3600
}

variable "idle_timeout" {
  description = "Idle timeout in seconds (long enough for quiet websockets)."
  type        = number
  default     = 300
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer."
  type        = bool
  default     = true
}
