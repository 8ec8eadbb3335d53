module "cache" {
  source = "../../modules/cache"

  name                        = local.name
  vpc_id                      = module.network.vpc_id
  subnet_ids                  = module.network.elasticache_subnet_ids
  allowed_security_groups     = local.data_clients
  node_type                   = var.redis_node_type
  num_cache_clusters          = var.redis_num_cache_clusters
  password_wo_version         = var.redis_password_wo_version
  secret_recovery_window_days = var.secret_recovery_window_days
}
