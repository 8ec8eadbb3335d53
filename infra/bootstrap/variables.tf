variable "region" {
  description = "Region of the state bucket."
  type        = string
}

variable "state_bucket_name" {
  description = "Globally unique name of the state bucket, e.g. book-me-tofu-state-<account id>."
  type        = string
}

variable "force_destroy" {
  description = "Allow destroying the bucket while it holds state (never for real accounts)."
  type        = bool
  default     = false
}
