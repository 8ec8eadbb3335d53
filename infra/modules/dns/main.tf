# Route53 alias records (A, and AAAA when the target serves IPv6) — aliases, not CNAMEs: they
# work at the zone apex, cost nothing per query and follow the target's addresses.

resource "aws_route53_record" "this" {
  for_each = toset(var.ipv6 ? ["A", "AAAA"] : ["A"])

  zone_id = var.zone_id
  name    = var.name
  type    = each.key

  alias {
    name                   = var.target_dns_name
    zone_id                = var.target_zone_id
    evaluate_target_health = var.evaluate_target_health
  }
}
