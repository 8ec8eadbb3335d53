module "api_dns" {
  source = "../../modules/dns"

  zone_id                = data.aws_route53_zone.this.zone_id
  name                   = var.api_domain_name
  target_dns_name        = module.alb.dns_name
  target_zone_id         = module.alb.zone_id
  evaluate_target_health = true
}
