# The plan role (pull-request plans and the drift check): reads what `tofu plan` and `dagger call plan` read —
# descriptions of the stacks' resources, the state objects, the pipeline's own records and the SPA bucket — and
# writes nothing but OpenTofu's lock objects (<key>.tflock, use_lockfile = true in every stack's backend).
# Never application secrets: no secret values, no SSM parameters, no env files, no logs. Those denials are
# explicit Deny statements, so no later Allow (a managed policy added by hand) can grant them.
# test/ciaccess evaluates this document for a table of allowed and denied requests.

locals {
  # Describe/List/Get of the services the stacks use. Read actions that return secret material are left out
  # (secretsmanager:GetSecretValue, ssm:GetParameter*, logs:GetLogEvents/FilterLogEvents, s3:GetObject*,
  # ec2:GetPasswordData, ecr layer downloads); the plan and deploy roles share this list.
  read_actions = [
    "sts:GetCallerIdentity",
    "ec2:Describe*",
    "ec2:GetManagedPrefixListEntries",
    "elasticloadbalancing:Describe*",
    "ecs:Describe*",
    "ecs:List*",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "ecr:ListImages",
    "ecr:ListTagsForResource",
    "rds:Describe*",
    "rds:ListTagsForResource",
    "elasticache:Describe*",
    "elasticache:ListTagsForResource",
    "logs:DescribeLogGroups",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "acm:DescribeCertificate",
    "acm:ListCertificates",
    "acm:ListTagsForCertificate",
    "route53:GetHostedZone",
    "route53:ListHostedZones",
    "route53:ListHostedZonesByName",
    "route53:ListResourceRecordSets",
    "route53:ListTagsForResource",
    "route53:GetChange",
    "cloudfront:Get*",
    "cloudfront:List*",
    "cloudfront:DescribeFunction",
    "application-autoscaling:Describe*",
    "application-autoscaling:ListTagsForResource",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetResourcePolicy",
    "secretsmanager:ListSecrets",
    "kms:DescribeKey",
    "s3:ListAllMyBuckets",
    "s3:GetBucket*",
    "s3:GetAccelerateConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
  ]

  # Per deploy environment: the names its stacks give their resources.
  env = {
    for g, e in var.deploy_environments : g => {
      github        = g
      name          = e.environment
      prefix        = "${var.name_prefix}-${e.environment}"
      bucket_prefix = coalesce(e.bucket_prefix, "${var.name_prefix}-${e.environment}")
      dns_names     = e.dns_names
    }
  }

  state_bucket_arn = "arn:aws:s3:::${var.state_bucket_name}"
}

# Describe/List/Get, shared by the plan and the deploy roles (its own policy: AWS limits one managed policy to
# 6,144 characters).
data "aws_iam_policy_document" "read" {
  statement {
    sid       = "ReadInfrastructure"
    actions   = local.read_actions
    resources = ["*"]
  }
}

resource "aws_iam_policy" "read" {
  name        = "${var.name_prefix}-github-read"
  description = "Describe/List/Get of the book_me stacks' resources; no secret values, no objects."
  policy      = data.aws_iam_policy_document.read.json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "plan_read" {
  role       = aws_iam_role.plan.name
  policy_arn = aws_iam_policy.read.arn
}

data "aws_iam_policy_document" "plan" {
  # tofu plan reads every stack's state (the backend's plan also reads base's outputs).
  statement {
    sid       = "ListStateBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = [for e in local.env : "${local.state_bucket_arn}/${e.github}/*.tfstate*"]
  }

  # use_lockfile: the plan writes <key>.tflock with If-None-Match and deletes it when done.
  statement {
    sid       = "StateLock"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = [for e in local.env : "${local.state_bucket_arn}/${e.github}/*.tfstate.tflock"]
  }

  # dagger call plan: the SPA release plan lists the client bucket and reads its manifest; the history reads
  # the deploy records; the env-file plan may list the config bucket (never read it: see the Deny below).
  statement {
    sid       = "ListEnvironmentBuckets"
    actions   = ["s3:ListBucket"]
    resources = [for e in local.env : "arn:aws:s3:::${e.bucket_prefix}-*"]
  }

  statement {
    sid     = "ReadReleaseObjects"
    actions = ["s3:GetObject"]
    resources = flatten([for e in local.env : [
      "arn:aws:s3:::${e.bucket_prefix}-client/*",
      "arn:aws:s3:::${e.bucket_prefix}-config/deploy/records/*",
    ]])
  }

  dynamic "statement" {
    for_each = var.state_kms_key_arn == null ? [] : [var.state_kms_key_arn]
    content {
      sid       = "DecryptState"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }

  statement {
    sid    = "NoApplicationSecrets"
    effect = "Deny"
    actions = [
      "secretsmanager:GetSecretValue",
      "ssm:GetParameter",
      "ssm:GetParameters",
      "ssm:GetParametersByPath",
      "ssm:GetParameterHistory",
      "logs:GetLogEvents",
      "logs:FilterLogEvents",
      "logs:StartQuery",
      "ec2:GetPasswordData",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "NoEnvFiles"
    effect    = "Deny"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["arn:aws:s3:::*/service-config/*"]
  }

  statement {
    sid           = "NoWritesButTheStateLock"
    effect        = "Deny"
    actions       = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl", "s3:RestoreObject"]
    not_resources = [for e in local.env : "${local.state_bucket_arn}/${e.github}/*.tfstate.tflock"]
  }
}

resource "aws_iam_policy" "plan" {
  name        = "${var.name_prefix}-github-plan"
  description = "Read-only plans of ${var.github_repository}: no secrets, no writes but the state lock."
  policy      = data.aws_iam_policy_document.plan.json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "plan" {
  role       = aws_iam_role.plan.name
  policy_arn = aws_iam_policy.plan.arn
}
