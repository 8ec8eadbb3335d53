# The same ecs-service module runs the API (port 8000 behind the ALB, CPU autoscaling) and the
# Celery worker (no port, no load balancer, fixed count). ECS Exec is on for the services named in
# ecs_exec_services (default the API): their task definitions grant the ssmmessages channels too.

module "api_service" {
  source = "../../modules/ecs-service"

  name                       = "${local.name}-api"
  cluster_name               = module.cluster.name
  task_definition_arn        = module.api_task.arn
  subnet_ids                 = var.private_subnet_ids
  security_group_ids         = [var.app_security_group_id]
  capacity_provider_strategy = module.cluster.capacity_provider_strategy
  min_capacity               = var.api_min_count
  max_capacity               = var.api_max_count
  cpu_target_percent         = 60
  enable_execute_command     = contains(var.ecs_exec_services, "api")

  load_balancer = {
    target_group_arn = module.alb.target_group_arn
    container_name   = module.api_task.container_name
    container_port   = local.api_port
  }
}

module "worker_service" {
  source = "../../modules/ecs-service"

  name                       = "${local.name}-worker"
  cluster_name               = module.cluster.name
  task_definition_arn        = module.worker_task.arn
  subnet_ids                 = var.private_subnet_ids
  security_group_ids         = [var.app_security_group_id]
  capacity_provider_strategy = module.cluster.capacity_provider_strategy
  min_capacity               = var.worker_count
  max_capacity               = var.worker_count
  enable_execute_command     = contains(var.ecs_exec_services, "worker")
}
