azs                    = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
vpc_cidr               = "10.1.0.0/16"
single_nat_gateway     = true
vpc_endpoints_enabled  = false
db_instance_class      = "db.t4g.micro"
db_deletion_protection = false
db_skip_final_snapshot = true
redis_node_type        = "cache.t4g.micro"
log_retention_days     = 14

# SSH to the bastion is open to the region's EC2 Instance Connect prefix list (AWS-managed).
bastion_enabled = true
