# Variables every stack declares identically (this file is the same in base, backend and
# frontend; a test checks that), set by infra/environments/<env>.tfvars.

variable "project" {
  description = "Project name, the first part of every resource name."
  type        = string
  default     = "book-me"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.project))
    error_message = "project must be 2-16 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Short environment name, the second part of every resource name (prod, staging, ...)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of the environment (CloudFront's certificate is always in us-east-1)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-central-1."
  }
}

variable "dns_zone_name" {
  description = "Public Route53 hosted zone that holds the API and client records, e.g. example.com."
  type        = string
}

variable "api_domain_name" {
  description = "Domain of the API, e.g. api.example.com (inside dns_zone_name)."
  type        = string
}

variable "client_domain_name" {
  description = "Domain of the React client, e.g. app.example.com (inside dns_zone_name)."
  type        = string
}
