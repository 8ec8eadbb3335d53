variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
}

variable "spa_routing_function_enabled" {
  description = "Serve /index.html for client-side routes through a CloudFront Function. Only emulators without CloudFront Functions (moto) turn it off."
  type        = bool
  default     = true
}

variable "bucket_name_prefix" {
  description = "Prefix of the client bucket name (S3 names are global); defaults to <project>-<environment>."
  type        = string
  default     = null
}

variable "bucket_force_destroy" {
  description = "Allow destroying the client bucket while it holds releases (throw-away environments only)."
  type        = bool
  default     = false
}
