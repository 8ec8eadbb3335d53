# The frontend stack's outputs contract, read by the pipeline (core/stack.Frontend). Keep stable.

output "client_bucket" {
  description = "Bucket the pipeline uploads the client bundle to."
  value       = module.client_bucket.name
}

output "distribution_id" {
  description = "CloudFront distribution id (invalidations)."
  value       = module.cdn.distribution_id
}

output "distribution_domain_name" {
  description = "The distribution's *.cloudfront.net name (smoke checks before DNS propagates)."
  value       = module.cdn.domain_name
}

output "client_domain_name" {
  description = "Domain of the React client."
  value       = var.client_domain_name
}

output "client_url" {
  description = "Base URL of the React client."
  value       = "https://${var.client_domain_name}"
}

output "api_domain_name" {
  description = "Domain of the API (the client bundle's build-time API URL)."
  value       = var.api_domain_name
}
