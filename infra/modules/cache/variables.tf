variable "name" {
  description = "Replication group id and prefix of its companions (at most 32 characters: the user ids append -default)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.name))
    error_message = "name must be at most 32 lowercase letters, digits or hyphens, starting with a letter."
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

variable "password_wo_version" {
  description = "Version of the application user's password: change it (e.g. add 1) to generate a new password and write it to the user and the secret in the same run. The password itself never enters OpenTofu's state or plan files."
  type        = number
  default     = 1

  validation {
    condition     = var.password_wo_version >= 1 && floor(var.password_wo_version) == var.password_wo_version
    error_message = "password_wo_version must be a whole number >= 1."
  }
}

variable "password_length" {
  description = "Length of the generated application password (letters and digits only, as it goes into a URL)."
  type        = number
  default     = 64

  validation {
    condition     = var.password_length >= 32 && var.password_length <= 128
    error_message = "password_length must be between 32 and 128."
  }
}

variable "app_user_name" {
  description = "Redis user name the application connects as."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.app_user_name)) && var.app_user_name != "default"
    error_message = "app_user_name must be lowercase letters, digits or hyphens (at most 40, not \"default\")."
  }
}

variable "app_access_string" {
  description = "Redis ACL of the application user (Celery needs pub/sub channels: &*)."
  type        = string
  default     = "on ~* &* +@all"

  validation {
    condition     = startswith(var.app_access_string, "on ")
    error_message = "app_access_string must start with \"on \" (an enabled user)."
  }
}

variable "secret_recovery_window_days" {
  description = "Days a deleted credentials secret can be restored (0 deletes at once)."
  type        = number
  default     = 7
}

variable "snapshot_retention_days" {
  description = "Days to keep automatic snapshots (0 disables them)."
  type        = number
  default     = 1
}
