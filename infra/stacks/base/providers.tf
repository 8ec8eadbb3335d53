provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      Stack       = "base"
      ManagedBy   = "opentofu"
    }
  }
}
