variable "name" {
  description = "Name prefix of the distribution's companions, e.g. book-me-prod-client."
  type        = string
}

variable "bucket_regional_domain_name" {
  description = "Regional domain name of the private bucket holding the client bundle."
  type        = string
}

variable "aliases" {
  description = "Domain names the distribution answers for (covered by certificate_arn)."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate in us-east-1 covering the aliases."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:us-east-1:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate in us-east-1 (CloudFront only uses those)."
  }
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "spa_routing_function_enabled" {
  description = "Attach the CloudFront Function that serves /index.html for client-side routes. Keep true outside emulators (see infra/README.md)."
  type        = bool
  default     = true
}

variable "cache_policy_id" {
  description = "Cache policy of the default behaviour (default: the managed CachingOptimized, which honours the objects' Cache-Control)."
  type        = string
  default     = "658327ea-f89d-4fab-a63d-7e88639e58f6"
}

variable "response_headers_policy_id" {
  description = "Response headers policy (default: the managed SecurityHeadersPolicy: HSTS, nosniff, frame options, ...)."
  type        = string
  default     = "67f7725c-6f97-4210-82d7-5512b31e9d03"
}
