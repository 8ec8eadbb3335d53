output "state_bucket" {
  description = "Bucket for -backend-config=bucket=…"
  value       = module.state_bucket.name
}

output "state_kms_key_arn" {
  description = "KMS key for TF_ENCRYPTION's aws_kms key provider."
  value       = aws_kms_key.state.arn
}
