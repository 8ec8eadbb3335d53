module "client_dns" {
  source = "../../modules/dns"

  zone_id         = data.aws_route53_zone.this.zone_id
  name            = var.client_domain_name
  target_dns_name = module.cdn.domain_name
  target_zone_id  = module.cdn.hosted_zone_id
  ipv6            = true
}
