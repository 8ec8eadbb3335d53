variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "azs" {
  description = "Availability zones (three in production)."
  type        = list(string)
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway (cheap) instead of one per AZ."
  type        = bool
  default     = true
}

variable "vpc_endpoints_enabled" {
  description = "Create the s3, ecr.api and ecr.dkr VPC endpoints."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Days to keep flow logs."
  type        = number
  default     = 30
}

variable "db_engine_version" {
  description = "PostgreSQL version (14 or newer)."
  type        = string
  default     = "16"
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "db_name" {
  description = "Application database created with the instance."
  type        = string
  default     = "book_me"
}

variable "db_multi_az" {
  description = "Run a standby in a second AZ."
  type        = bool
  default     = false
}

variable "db_deletion_protection" {
  description = "Refuse to delete the database."
  type        = bool
  default     = true
}

variable "db_skip_final_snapshot" {
  description = "Delete the database without a final snapshot (throw-away environments only)."
  type        = bool
  default     = false
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.micro"
}

variable "redis_num_cache_clusters" {
  description = "Redis nodes (2+ adds a replica with automatic failover)."
  type        = number
  default     = 1
}

variable "redis_password_wo_version" {
  description = "Version of the Redis application user's password (generated, never in the state): add 1 to rotate it; the user and the secret redis_secret_arn get the new one in the same apply."
  type        = number
  default     = 1
}

variable "bastion_enabled" {
  description = "Run the EC2 Instance Connect bastion."
  type        = bool
  default     = true
}

variable "bucket_name_prefix" {
  description = "Prefix of the bucket names (S3 names are global); defaults to <project>-<environment>."
  type        = string
  default     = null
}

variable "bucket_force_destroy" {
  description = "Allow destroying buckets that still hold objects (throw-away environments only)."
  type        = bool
  default     = false
}

variable "ecr_force_delete" {
  description = "Allow destroying the image repository while it holds images (throw-away environments only)."
  type        = bool
  default     = false
}

variable "secret_recovery_window_days" {
  description = "Days a deleted Secrets Manager secret can be restored (0 deletes at once)."
  type        = number
  default     = 7
}
