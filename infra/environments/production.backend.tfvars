api_cpu                 = 256
api_memory              = 512
api_min_count           = 2
api_max_count           = 6
worker_count            = 1
fargate_spot_weight     = 1
alb_deletion_protection = true
log_retention_days      = 90
