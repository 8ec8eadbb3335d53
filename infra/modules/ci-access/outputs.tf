output "oidc_provider_arn" {
  description = "ARN of GitHub's OIDC provider in this account (created here or passed in)."
  value       = local.oidc_provider_arn
}

output "deploy_role_arns" {
  description = "Deploy role ARN per GitHub environment: set it as the environment variable AWS_DEPLOY_ROLE_ARN of that environment."
  value       = { for e, r in aws_iam_role.deploy : e => r.arn }
}

output "plan_role_arn" {
  description = "Read-only plan role ARN: set it as the repository variable AWS_PLAN_ROLE_ARN."
  value       = aws_iam_role.plan.arn
}

output "deploy_subjects" {
  description = "OIDC subject each deploy role trusts, per environment."
  value       = local.deploy_subjects
}

output "plan_subjects" {
  description = "OIDC subjects the plan role trusts."
  value       = local.plan_subjects
}
