# The private config bucket (service env files, read by the ECS execution roles) and the
# static+media bucket of Django (public GETs under static/ and media/ only, TLS-only).

module "config_bucket" {
  source = "../../modules/bucket"

  name          = "${local.bucket_prefix}-config"
  sse_algorithm = "aws:kms"
  force_destroy = var.bucket_force_destroy
}

module "static_bucket" {
  source = "../../modules/bucket"

  name                 = "${local.bucket_prefix}-static-media"
  public_read_prefixes = ["static/", "media/"]
  cors_allowed_origins = ["https://${var.client_domain_name}", "https://${var.api_domain_name}"]
  force_destroy        = var.bucket_force_destroy
}
