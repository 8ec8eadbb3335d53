api_min_count           = 1
api_max_count           = 2
worker_count            = 1
fargate_spot_weight     = 3
container_insights      = false
alb_deletion_protection = false
log_retention_days      = 14
