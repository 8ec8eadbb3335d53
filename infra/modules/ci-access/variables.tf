variable "github_repository" {
  description = "GitHub repository allowed to assume the roles, as owner/name exactly as GitHub spells it (e.g. acme/bookme-deploy)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be owner/name, e.g. acme/bookme-deploy (no URL, no .git suffix, no wildcards)."
  }
}

variable "deploy_environments" {
  description = "GitHub environments that deploy (one deploy role each, trusted only for jobs running in that environment)."
  type        = list(string)
  default     = ["production", "staging"]

  validation {
    condition     = length(var.deploy_environments) > 0 && alltrue([for e in var.deploy_environments : can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", e))])
    error_message = "deploy_environments must list at least one GitHub environment name (letters, digits, . _ -; no wildcards)."
  }

  validation {
    condition     = length(distinct(var.deploy_environments)) == length(var.deploy_environments)
    error_message = "deploy_environments must not repeat a name."
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

variable "deploy_policy_arns" {
  description = "Managed policies attached to every deploy role: what `dagger call deploy` may do (it applies the OpenTofu stacks, so it needs broad rights in the account)."
  type        = list(string)

  validation {
    condition     = length(var.deploy_policy_arns) > 0 && alltrue([for a in var.deploy_policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", a))])
    error_message = "deploy_policy_arns must list at least one IAM policy ARN (arn:aws:iam::aws:policy/... or arn:aws:iam::<account>:policy/...)."
  }
}

variable "plan_policy_arns" {
  description = "Managed policies attached to the plan role. Keep them read-only: pull requests from any branch of the repository can use this role."
  type        = list(string)
  default     = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]

  validation {
    condition     = alltrue([for a in var.plan_policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", a))])
    error_message = "plan_policy_arns must be IAM policy ARNs."
  }

  validation {
    condition     = !anytrue([for a in var.plan_policy_arns : can(regex("(AdministratorAccess|PowerUserAccess|IAMFullAccess)$", a))])
    error_message = "plan_policy_arns must not grant write access (AdministratorAccess, PowerUserAccess, IAMFullAccess): the plan role is read-only."
  }
}

variable "state_bucket_name" {
  description = "S3 bucket of the OpenTofu state. When set, the plan role may create and delete the <key>.tflock lock objects there (a locked plan needs that); nothing else is writable. Null: no lock access."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be an S3 bucket name or null."
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
