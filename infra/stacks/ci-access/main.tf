# The IAM side of .github/workflows: GitHub's OIDC provider, one deploy role per environment (scoped to
# that environment) and the read-only plan role.
# Setup steps and the resulting trust policies: docs/github-actions.md.

module "ci_access" {
  source = "../../modules/ci-access"

  github_repository    = var.github_repository
  deploy_environments  = var.deploy_environments
  name_prefix          = var.project
  state_bucket_name    = var.state_bucket_name
  state_kms_key_arn    = var.state_kms_key_arn
  create_oidc_provider = var.create_oidc_provider
  oidc_provider_arn    = var.oidc_provider_arn
}
