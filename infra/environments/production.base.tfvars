azs                    = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
vpc_cidr               = "10.0.0.0/16"
single_nat_gateway     = true
db_instance_class      = "db.t4g.micro"
db_engine_version      = "16"
db_multi_az            = false
db_deletion_protection = true
redis_node_type        = "cache.t4g.micro"
log_retention_days     = 90

# redis_auth_token: set TF_VAR_redis_auth_token from the secret store, never here.
