output "distribution_id" {
  description = "Distribution id (for invalidations)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_arn" {
  description = "Distribution ARN (the bucket policy's AWS:SourceArn)."
  value       = aws_cloudfront_distribution.this.arn
}

output "domain_name" {
  description = "The distribution's *.cloudfront.net name (the alias target)."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "hosted_zone_id" {
  description = "CloudFront's hosted zone id (the alias target zone)."
  value       = aws_cloudfront_distribution.this.hosted_zone_id
}
