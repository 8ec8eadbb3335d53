# The frontend stack: the React bundle in a private bucket, served by CloudFront through Origin
# Access Control with a us-east-1 certificate, and an alias record for the client domain.
# Files: main.tf (names, zone), bucket.tf, certificate.tf, cdn.tf, dns.tf.

locals {
  name          = "${var.project}-${var.environment}"
  bucket_prefix = coalesce(var.bucket_name_prefix, local.name)
}

data "aws_route53_zone" "this" {
  name         = var.dns_zone_name
  private_zone = false
}
