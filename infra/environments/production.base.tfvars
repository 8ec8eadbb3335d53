azs                    = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
vpc_cidr               = "10.0.0.0/16"
single_nat_gateway     = true
db_instance_class      = "db.t4g.micro"
db_engine_version      = "16"
db_multi_az            = false
db_deletion_protection = true
redis_node_type        = "cache.t4g.micro"
log_retention_days     = 90

# The Redis password is generated and never passed in; add 1 to rotate it:
# redis_password_wo_version = 1
