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
  description = "GitHub environments that deploy to this account (one deploy role each)."
  type        = list(string)
  default     = ["production", "staging"]
}

variable "deploy_policy_arns" {
  description = "Managed policies for the deploy roles. The deploy applies the OpenTofu stacks, so this is broad (e.g. arn:aws:iam::aws:policy/AdministratorAccess, or a tighter customer policy)."
  type        = list(string)
}

variable "state_bucket_name" {
  description = "OpenTofu state bucket, so that the read-only plan role may take the state lock; null when plans run with -lock=false."
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
