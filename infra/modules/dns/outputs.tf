output "fqdn" {
  description = "The record's fully qualified name."
  value       = aws_route53_record.this["A"].fqdn
}
