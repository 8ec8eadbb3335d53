module "bastion" {
  source = "../../modules/bastion"
  count  = var.bastion_enabled ? 1 : 0

  name      = local.name
  vpc_id    = module.network.vpc_id
  subnet_id = module.network.public_subnet_ids[0]
}
