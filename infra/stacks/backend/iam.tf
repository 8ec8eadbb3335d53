# What the application may do inside its containers (the task roles): Django's storage reads and
# writes the static/ and media/ prefixes of the static bucket — nothing else in S3. The shell task
# may additionally read the database master secret (seed step 13: only the shell is broad).

data "aws_iam_policy_document" "app" {
  statement {
    sid       = "StaticAndMediaObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["arn:aws:s3:::${var.static_bucket}/static/*", "arn:aws:s3:::${var.static_bucket}/media/*"]
  }

  statement {
    sid       = "ListStaticAndMedia"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${var.static_bucket}"]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["static/*", "media/*"]
    }
  }
}

data "aws_iam_policy_document" "shell" {
  statement {
    sid       = "DatabaseMasterSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.db_secret_arn]
  }
}
