# The IAM side of .github/workflows: GitHub's OIDC provider, the deploy roles and the read-only plan role.
# Setup steps and the resulting trust policies: docs/github-actions.md.

module "ci_access" {
  source = "../../modules/ci-access"

  github_repository    = var.github_repository
  deploy_environments  = var.deploy_environments
  name_prefix          = var.project
  deploy_policy_arns   = var.deploy_policy_arns
  state_bucket_name    = var.state_bucket_name
  create_oidc_provider = var.create_oidc_provider
  oidc_provider_arn    = var.oidc_provider_arn
}
