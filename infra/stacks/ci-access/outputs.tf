output "deploy_role_arns" {
  description = "Per GitHub environment: the value of that environment's variable AWS_DEPLOY_ROLE_ARN."
  value       = module.ci_access.deploy_role_arns
}

output "plan_role_arn" {
  description = "The value of the repository variable AWS_PLAN_ROLE_ARN."
  value       = module.ci_access.plan_role_arn
}

output "oidc_provider_arn" {
  description = "GitHub's OIDC provider in this account."
  value       = module.ci_access.oidc_provider_arn
}
