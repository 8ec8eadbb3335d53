module "registry" {
  source = "../../modules/registry"

  name         = "${local.name}-api"
  force_delete = var.ecr_force_delete
}
