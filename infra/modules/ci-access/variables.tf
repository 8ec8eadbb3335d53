variable "github_repository" {
  description = "GitHub repository allowed to assume the roles, as owner/name exactly as GitHub spells it (e.g. acme/bookme-deploy)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be owner/name, e.g. acme/bookme-deploy (no URL, no .git suffix, no wildcards)."
  }
}

variable "deploy_environments" {
  description = <<-EOT
    GitHub environments that deploy (one deploy role each, trusted only for jobs running in that environment),
    each with what its deploy may touch: `environment` is the stacks' `environment` variable (infra/environments/
    <github environment>.tfvars: resource names are <name_prefix>-<environment>-…), `bucket_prefix` the stacks'
    `bucket_name_prefix` when set, `dns_names` the api_domain_name and client_domain_name of that environment.
    The OpenTofu state keys and the deploy lock are under the GitHub environment's name (<env>/<stack>.tfstate,
    deploy/<env>/lock.json).
  EOT
  type = map(object({
    environment   = string
    bucket_prefix = optional(string)
    dns_names     = list(string)
  }))
  default = {
    production = { environment = "prod", dns_names = ["api.book-me.example.com", "app.book-me.example.com"] }
    staging    = { environment = "staging", dns_names = ["api.staging.book-me.example.com", "app.staging.book-me.example.com"] }
  }

  validation {
    condition     = length(var.deploy_environments) > 0 && alltrue([for e, v in var.deploy_environments : can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", e)) && can(regex("^[a-z][a-z0-9-]{0,15}$", v.environment))])
    error_message = "deploy_environments must list at least one GitHub environment name (letters, digits, . _ -; no wildcards), each with an environment name of lowercase letters, digits and hyphens."
  }

  validation {
    condition     = length(distinct([for v in values(var.deploy_environments) : v.environment])) == length(var.deploy_environments)
    error_message = "deploy_environments must not share an environment name: each deploy role is scoped to its own."
  }

  validation {
    condition     = alltrue([for v in values(var.deploy_environments) : length(v.dns_names) > 0 && alltrue([for n in v.dns_names : can(regex("^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$", n))])])
    error_message = "deploy_environments: dns_names must list the environment's DNS names (lowercase, no wildcards)."
  }
}

variable "plan_branches" {
  description = "Branches whose workflow runs (without a GitHub environment, e.g. the scheduled drift check) may assume the read-only plan role, besides pull requests."
  type        = list(string)
  default     = ["main"]

  validation {
    condition     = alltrue([for b in var.plan_branches : can(regex("^[A-Za-z0-9][A-Za-z0-9/_.-]{0,200}$", b)) && !can(regex("\\*", b))])
    error_message = "plan_branches must be plain branch names such as main (no refs/heads/ prefix, no wildcards)."
  }
}

variable "name_prefix" {
  description = "Prefix of the role names: <prefix>-github-deploy-<environment> and <prefix>-github-plan."
  type        = string
  default     = "book-me"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 letters, digits or hyphens, starting with a letter."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (an account holds at most one per URL). Set false and give oidc_provider_arn when it already exists."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "ARN of an existing token.actions.githubusercontent.com OIDC provider; only used when create_oidc_provider is false."
  type        = string
  default     = null

  validation {
    condition     = var.oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be the ARN of the token.actions.githubusercontent.com OIDC provider (arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com)."
  }
}

variable "state_bucket_name" {
  description = "S3 bucket of the OpenTofu state (and of the deploy locks). The plan role may read the state objects of every deploy environment and write only their <key>.tflock lock objects; each deploy role reads and writes its own environment's keys only."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be an S3 bucket name."
  }
}

variable "state_kms_key_arn" {
  description = "KMS key of the state encryption (TF_ENCRYPTION aws_kms key provider; the bootstrap's state_kms_key_arn), or null. The plan role may decrypt with it, the deploy roles decrypt and generate data keys."
  type        = string
  default     = null

  validation {
    condition     = var.state_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.state_kms_key_arn))
    error_message = "state_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) or null."
  }
}

variable "max_session_duration" {
  description = "Longest session, in seconds, a workflow may ask for (role-duration-seconds). A deploy can take most of an hour."
  type        = number
  default     = 7200

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
