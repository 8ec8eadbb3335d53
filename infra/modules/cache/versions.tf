terraform {
  required_version = ">= 1.11.0" # write-only arguments, ephemeral resources

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }
}
