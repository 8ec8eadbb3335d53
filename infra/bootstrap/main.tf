# Bootstrap of the OpenTofu remote state: a versioned, SSE-KMS-encrypted, TLS-only, private
# bucket (the project's bucket module) and a KMS key for OpenTofu's client-side state encryption
# (TF_ENCRYPTION with the aws_kms key provider), so that the state (no secret of ours is in it, but
# it names every resource of the account) is unreadable even to someone who can read the bucket.

provider "aws" {
  region = var.region

  default_tags {
    tags = { ManagedBy = "opentofu", Stack = "bootstrap" }
  }
}

module "state_bucket" {
  source = "../modules/bucket"

  name                               = var.state_bucket_name
  sse_algorithm                      = "aws:kms"
  noncurrent_version_expiration_days = 90
  force_destroy                      = var.force_destroy
}

resource "aws_kms_key" "state" {
  description             = "OpenTofu state encryption (${var.state_bucket_name})"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "state" {
  name          = "alias/${var.state_bucket_name}"
  target_key_id = aws_kms_key.state.key_id
}
