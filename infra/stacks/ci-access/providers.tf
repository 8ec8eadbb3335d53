provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = var.project
      Stack     = "ci-access"
      ManagedBy = "opentofu"
    }
  }
}
