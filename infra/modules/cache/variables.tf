variable "name" {
  description = "Replication group id and prefix of its companions (at most 40 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.name))
    error_message = "name must be at most 40 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the cache security group."
  type        = string
}

variable "subnet_ids" {
  description = "ElastiCache subnets."
  type        = list(string)
}

variable "allowed_security_groups" {
  description = "Security groups allowed to reach Redis, keyed by a static label (e.g. app, bastion)."
  type        = map(string)
}

variable "engine_version" {
  description = "Redis engine version (7.0 or newer)."
  type        = string
  default     = "7.1"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+$", var.engine_version)) && tonumber(split(".", var.engine_version)[0]) >= 7
    error_message = "engine_version must be Redis 7.x or newer, written major.minor (e.g. \"7.1\")."
  }
}

variable "node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.micro"

  validation {
    condition     = startswith(var.node_type, "cache.")
    error_message = "node_type must be an ElastiCache type such as cache.t4g.micro."
  }
}

variable "num_cache_clusters" {
  description = "Number of nodes (1 = no replica; 2+ turns on automatic failover and Multi-AZ)."
  type        = number
  default     = 1

  validation {
    condition     = var.num_cache_clusters >= 1 && var.num_cache_clusters <= 6
    error_message = "num_cache_clusters must be between 1 and 6."
  }
}

variable "auth_token" {
  description = "Redis AUTH token (16-128 printable characters, no @, \" or /). Sensitive: supply it through TF_VAR_redis_auth_token from a secret store, never in a tfvars file."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.auth_token) >= 16 && length(var.auth_token) <= 128 && !can(regex("[@\"/ ]", var.auth_token))
    error_message = "auth_token must be 16-128 characters without spaces, @, \" or /."
  }
}

variable "snapshot_retention_days" {
  description = "Days to keep automatic snapshots (0 disables them)."
  type        = number
  default     = 1
}
