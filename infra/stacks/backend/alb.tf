module "alb" {
  source = "../../modules/alb"

  name                     = "${local.name}-api"
  vpc_id                   = var.vpc_id
  subnet_ids               = var.public_subnet_ids
  certificate_arn          = module.api_certificate.certificate_arn
  target_port              = local.api_port
  target_security_group_id = var.app_security_group_id
  health_check_path        = "/auth/ping/"
  deregistration_delay     = 30
  deletion_protection      = var.alb_deletion_protection
}
