terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }

  # Local state on purpose: this root creates the bucket every other state lives in. Its state
  # holds no secret; keep it in the repository of the operator or migrate it into the bucket
  # afterwards (`tofu init -migrate-state` with an s3 backend block) — see infra/README.md.
}
