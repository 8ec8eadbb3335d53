variable "project" {
  description = "Project name: the prefix of the role names and the Project tag."
  type        = string
  default     = "book-me"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.project))
    error_message = "project must be 2-16 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region for the provider (IAM is global; this only picks the API endpoint)."
  type        = string
  default     = "eu-central-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-central-1."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may assume the roles."
  type        = string
}

variable "deploy_environments" {
  description = "Per GitHub environment (one deploy role each): the stacks' environment name (infra/environments/<github env>.tfvars), bucket_name_prefix when set, and the DNS names (api_domain_name, client_domain_name) its deploy may write. See modules/ci-access."
  type = map(object({
    environment   = string
    bucket_prefix = optional(string)
    dns_names     = list(string)
  }))
  default = {
    production = { environment = "prod", dns_names = ["api.book-me.example.com", "app.book-me.example.com"] }
    staging    = { environment = "staging", dns_names = ["api.staging.book-me.example.com", "app.staging.book-me.example.com"] }
  }
}

variable "state_bucket_name" {
  description = "OpenTofu state bucket (book-me-tofu-state-<account id>): the plan role reads the state and writes only *.tflock; each deploy role reads and writes its own environment's keys."
  type        = string
}

variable "state_kms_key_arn" {
  description = "KMS key of the state encryption (bootstrap output state_kms_key_arn), or null."
  type        = string
  default     = null
}

variable "create_oidc_provider" {
  description = "false when the account already has GitHub's OIDC provider (then set oidc_provider_arn)."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "Existing token.actions.githubusercontent.com provider, when create_oidc_provider is false."
  type        = string
  default     = null
}
