# GitHub Actions → AWS without long-lived keys: GitHub's OIDC provider, one deploy role per GitHub environment
# and one read-only plan role, each trusting only tokens of one repository with one kind of subject.
#
# Subjects (the `sub` claim GitHub puts in the token, default claim template):
#   job with `environment: production`           repo:<owner>/<name>:environment:production   → deploy role
#   pull_request event (job without environment)  repo:<owner>/<name>:pull_request             → plan role
#   push / schedule on main (without environment) repo:<owner>/<name>:ref:refs/heads/main      → plan role
# A job that names an environment gets the environment subject INSTEAD of the ref one, so "main only" for
# deploys is enforced by the environment's deployment branch rule (see docs/github-actions.md).

locals {
  oidc_host = "token.actions.githubusercontent.com"
  # "" only when neither is set; the precondition of plan_trust then stops the plan with a clear message.
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : (var.oidc_provider_arn == null ? "" : var.oidc_provider_arn)

  deploy_subjects = { for e in keys(var.deploy_environments) : e => "repo:${var.github_repository}:environment:${e}" }
  plan_subjects = concat(
    ["repo:${var.github_repository}:pull_request"],
    [for b in var.plan_branches : "repo:${var.github_repository}:ref:refs/heads/${b}"],
  )
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # No thumbprint_list: IAM retrieves the certificate thumbprint itself, and no longer relies on it for GitHub.
  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.oidc_provider_arn == null
      error_message = "Set either create_oidc_provider = true or oidc_provider_arn, not both."
    }
  }
}

data "aws_iam_policy_document" "deploy_trust" {
  for_each = local.deploy_subjects

  statement {
    sid     = "GitHubEnvironment"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = [each.value]
    }
  }
}

resource "aws_iam_role" "deploy" {
  for_each = local.deploy_subjects

  name                 = "${var.name_prefix}-github-deploy-${each.key}"
  description          = "GitHub Actions deploys of ${var.github_repository} in environment ${each.key} (OIDC)."
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust[each.key].json
  max_session_duration = var.max_session_duration
  tags                 = merge(var.tags, { GitHubRepository = var.github_repository, GitHubEnvironment = each.key })
}

data "aws_iam_policy_document" "plan_trust" {
  statement {
    sid     = "GitHubPullRequestsAndBranches"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = local.plan_subjects
    }
  }

  lifecycle {
    precondition {
      condition     = var.create_oidc_provider || var.oidc_provider_arn != null
      error_message = "create_oidc_provider is false: set oidc_provider_arn to the existing token.actions.githubusercontent.com provider."
    }
  }
}

resource "aws_iam_role" "plan" {
  name                 = "${var.name_prefix}-github-plan"
  description          = "Read-only plans of ${var.github_repository} from pull requests and ${join(", ", var.plan_branches)} (OIDC)."
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = var.max_session_duration
  tags                 = merge(var.tags, { GitHubRepository = var.github_repository })
}

# What the roles may do: plan-policy.tf (the plan role) and deploy-policy.tf (one per deploy environment).
