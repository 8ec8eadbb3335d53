module "client_certificate" {
  source = "../../modules/certificate"
  providers = {
    aws = aws.us_east_1
  }

  domain_name = var.client_domain_name
  zone_id     = data.aws_route53_zone.this.zone_id
}
