module "cdn" {
  source = "../../modules/cdn"

  name                         = "${local.name}-client"
  bucket_regional_domain_name  = module.client_bucket.regional_domain_name
  aliases                      = [var.client_domain_name]
  certificate_arn              = module.client_certificate.certificate_arn
  price_class                  = var.price_class
  spa_routing_function_enabled = var.spa_routing_function_enabled
}
