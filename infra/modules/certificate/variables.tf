variable "domain_name" {
  description = "Domain the certificate is for, e.g. api.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9*]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lowercase fully qualified domain name."
  }
}

variable "subject_alternative_names" {
  description = "Additional names on the certificate."
  type        = list(string)
  default     = []
}

variable "zone_id" {
  description = "Route53 hosted zone that holds the DNS validation records."
  type        = string
}
