variable "zone_id" {
  description = "Route53 hosted zone of the record."
  type        = string
}

variable "name" {
  description = "Fully qualified record name, e.g. api.example.com."
  type        = string
}

variable "target_dns_name" {
  description = "DNS name of the alias target (ALB or CloudFront distribution)."
  type        = string
}

variable "target_zone_id" {
  description = "Hosted zone id of the alias target."
  type        = string
}

variable "ipv6" {
  description = "Also create an AAAA alias (the target must serve IPv6, e.g. CloudFront)."
  type        = bool
  default     = false
}

variable "evaluate_target_health" {
  description = "Let Route53 consider the target's health."
  type        = bool
  default     = false
}
