module "database" {
  source = "../../modules/database"

  name                    = local.name
  vpc_id                  = module.network.vpc_id
  subnet_ids              = module.network.database_subnet_ids
  allowed_security_groups = local.data_clients
  engine_version          = var.db_engine_version
  instance_class          = var.db_instance_class
  database_name           = var.db_name
  multi_az                = var.db_multi_az
  deletion_protection     = var.db_deletion_protection
  skip_final_snapshot     = var.db_skip_final_snapshot
}
