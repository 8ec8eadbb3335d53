# The client bucket is private: only this distribution may read it (OAC, AWS:SourceArn). It may
# also list, so that a missing asset is a 404 rather than a 403.

data "aws_iam_policy_document" "cloudfront_read" {
  statement {
    sid       = "CloudFrontReadObjects"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${local.bucket_prefix}-client/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [module.cdn.distribution_arn]
    }
  }

  statement {
    sid       = "CloudFrontListForRealNotFound"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${local.bucket_prefix}-client"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [module.cdn.distribution_arn]
    }
  }
}

module "client_bucket" {
  source = "../../modules/bucket"

  name             = "${local.bucket_prefix}-client"
  policy_documents = [data.aws_iam_policy_document.cloudfront_read.json]
  force_destroy    = var.bucket_force_destroy
}
