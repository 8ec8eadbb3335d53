module "api_certificate" {
  source = "../../modules/certificate"

  domain_name = var.api_domain_name
  zone_id     = data.aws_route53_zone.this.zone_id
}
