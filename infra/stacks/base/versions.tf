terraform {
  required_version = ">= 1.11.0" # the cache module uses write-only arguments and ephemeral resources

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }

  # Remote state in S3, one key per environment and stack. Bucket, key and region come from
  # -backend-config (see infra/README.md), so the same code serves every environment.
  # use_lockfile: S3-native locking (conditional writes of <key>.tflock), no DynamoDB table.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
