module "network" {
  source = "../../modules/network"

  name                    = local.name
  cidr_block              = var.vpc_cidr
  azs                     = var.azs
  single_nat_gateway      = var.single_nat_gateway
  vpc_endpoints_enabled   = var.vpc_endpoints_enabled
  flow_log_retention_days = var.log_retention_days
}
