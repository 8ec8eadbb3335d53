module "cluster" {
  source = "../../modules/ecs-cluster"

  name                = "${local.name}-ecs-cluster"
  container_insights  = var.container_insights
  fargate_spot_weight = var.fargate_spot_weight
}
