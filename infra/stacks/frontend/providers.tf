provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      Stack       = "frontend"
      ManagedBy   = "opentofu"
    }
  }
}

# CloudFront only uses ACM certificates from us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      Stack       = "frontend"
      ManagedBy   = "opentofu"
    }
  }
}
