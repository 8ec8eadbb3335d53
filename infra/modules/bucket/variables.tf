variable "name" {
  description = "Globally unique bucket name."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name)) && !can(regex("\\.\\.", var.name))
    error_message = "name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "sse_algorithm" {
  description = "Default encryption at rest: AES256 (SSE-S3) or aws:kms (SSE-KMS with the AWS-managed key and an S3 bucket key)."
  type        = string
  default     = "AES256"

  validation {
    condition     = contains(["AES256", "aws:kms"], var.sse_algorithm)
    error_message = "sse_algorithm must be AES256 or aws:kms."
  }
}

variable "public_read_prefixes" {
  description = "Key prefixes anyone may GET over HTTPS (e.g. [\"static/\", \"media/\"]); empty keeps the bucket fully private."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.public_read_prefixes : can(regex("^[A-Za-z0-9._-]+/$", p))])
    error_message = "public_read_prefixes must be plain prefixes ending in a slash, e.g. static/."
  }
}

variable "policy_documents" {
  description = "Extra IAM policy documents (JSON) merged into the bucket policy, e.g. CloudFront read access."
  type        = list(string)
  default     = []
}

variable "cors_allowed_origins" {
  description = "Origins allowed to GET objects from browsers (fonts, scripts); empty means no CORS rule."
  type        = list(string)
  default     = []
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which overwritten or deleted object versions are removed."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Allow destroying the bucket while it still holds objects."
  type        = bool
  default     = false
}
