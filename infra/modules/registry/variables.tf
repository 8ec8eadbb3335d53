variable "name" {
  description = "ECR repository name, e.g. book-me-prod-api."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+([._/-][a-z0-9]+)*$", var.name))
    error_message = "name must be a valid ECR repository name (lowercase, digits, . _ - /)."
  }
}

variable "keep_images" {
  description = "How many images to keep (older ones expire); the pipeline's rollback needs the last few."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_images >= 5
    error_message = "keep_images must be at least 5 so that rollbacks have images to go back to."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (e.g. attestations of expired images) are removed."
  type        = number
  default     = 7
}

variable "force_delete" {
  description = "Allow destroying the repository while it still holds images."
  type        = bool
  default     = false
}
