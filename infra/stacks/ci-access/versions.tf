terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }

  # Remote state in S3 like the other stacks; bucket, key (e.g. ci-access/terraform.tfstate) and region come
  # from -backend-config. Applied once per AWS account by a person with IAM rights, never by CI itself.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
