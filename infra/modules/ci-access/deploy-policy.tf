# One deploy role per GitHub environment, scoped to that environment's resources: names that start with
# <name_prefix>-<environment> (or its bucket prefix), resources tagged Environment = <environment> (the stacks'
# default_tags; EC2, ACM, CloudFront distributions, Application Auto Scaling have no names in their ARNs), its
# state keys (<github env>/…) and deploy lock (deploy/<github env>/…), its DNS names, and iam:PassRole of its
# own task, execution and flow-log roles only. Not AdministratorAccess.
# A second policy denies, explicitly, everything on every other deploy environment's resources (names, tags,
# state keys, DNS names) and any change to the CI roles themselves, whatever else is allowed.
# test/ciaccess evaluates these documents for a table of allowed and denied requests.

locals {
  # Services whose resource ARNs carry the resource's name: everything on this environment's names.
  # (IAM is not among them: iam:* on the environment's roles would include iam:PassRole to any service.)
  named_services = ["ecs", "elasticloadbalancing", "rds", "elasticache", "ecr", "logs", "secretsmanager", "cloudfront"]

  # The environment's roles (task, execution, flow logs): managed, never passed here (see PassTaskRoles).
  role_actions = [
    "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
    "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy",
    "iam:ListInstanceProfilesForRole",
  ]

  # Services whose ARNs carry an ID: allowed when the resource carries (or is created with) this environment's tag.
  tagged_services = ["ec2", "acm", "cloudfront", "application-autoscaling", "elasticloadbalancing", "rds", "elasticache", "logs", "ecs"]

  # Actions without resource-level permissions that a deploy needs.
  unscoped_deploy_actions = [
    "ecr:GetAuthorizationToken",
    "ecs:RegisterTaskDefinition",
    "ecs:DeregisterTaskDefinition",
    "ecs:CreateCluster",
    "cloudfront:CreateOriginAccessControl",
    "cloudfront:GetOriginAccessControl",
    "cloudfront:UpdateOriginAccessControl",
    "cloudfront:DeleteOriginAccessControl",
    "cloudfront:CreateInvalidation",
    "cloudfront:GetInvalidation",
    "route53:GetChange",
    "elasticache:CreateCacheSubnetGroup",
  ]

  env_resources = {
    for g, e in local.env : g => {
      named = [
        "arn:aws:ecs:*:*:*/${e.prefix}-*",
        "arn:aws:elasticloadbalancing:*:*:*/${e.prefix}-*",
        "arn:aws:rds:*:*:*:${e.prefix}",
        "arn:aws:rds:*:*:*:${e.prefix}-*",
        "arn:aws:elasticache:*:*:*:${e.prefix}",
        "arn:aws:elasticache:*:*:*:${e.prefix}-*",
        "arn:aws:ecr:*:*:repository/${e.prefix}-*",
        "arn:aws:logs:*:*:log-group:/aws/ecs/${e.prefix}-*",
        "arn:aws:logs:*:*:log-group:/aws/vpc/${e.prefix}/*",
        "arn:aws:secretsmanager:*:*:secret:${e.prefix}/*",
        "arn:aws:cloudfront::*:function/${e.prefix}-*",
      ]
      roles   = ["arn:aws:iam::*:role/${e.prefix}-*"]
      buckets = ["arn:aws:s3:::${e.bucket_prefix}-*", "arn:aws:s3:::${e.bucket_prefix}-*/*"]
      state   = ["${local.state_bucket_arn}/${e.github}/*", "${local.state_bucket_arn}/deploy/${e.github}/*"]
      # Route53 normalises names to lower case without the trailing dot; _* covers ACM's validation records.
      records = flatten([for n in e.dns_names : [n, "_*.${n}"]])
    }
  }
}

data "aws_iam_policy_document" "deploy" {
  for_each = local.env

  statement {
    sid       = "StateBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.state_bucket_arn]
  }

  # OpenTofu's state and lock objects, the deploy lock (deploy/<env>/lock.json).
  statement {
    sid       = "StateObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = local.env_resources[each.key].state
  }

  dynamic "statement" {
    for_each = var.state_kms_key_arn == null ? [] : [var.state_kms_key_arn]
    content {
      sid       = "StateEncryption"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }

  # The config, static-media and client buckets and their objects (env files, records, the SPA).
  statement {
    sid       = "EnvironmentBuckets"
    actions   = ["s3:*"]
    resources = local.env_resources[each.key].buckets
  }

  statement {
    sid       = "NamedResources"
    actions   = [for s in local.named_services : "${s}:*"]
    resources = local.env_resources[each.key].named
  }

  statement {
    sid       = "EnvironmentRoles"
    actions   = local.role_actions
    resources = local.env_resources[each.key].roles
  }

  statement {
    sid       = "TaggedResources"
    actions   = [for s in local.tagged_services : "${s}:*"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [each.value.name]
    }
  }

  # Creation (and tagging on creation) of ID-named resources, only with this environment's tag.
  statement {
    sid = "TaggedCreate"
    actions = [
      "ec2:Create*", "ec2:RunInstances", "ec2:AllocateAddress", "acm:RequestCertificate", "acm:AddTagsToCertificate",
      "cloudfront:CreateDistribution*", "cloudfront:TagResource", "application-autoscaling:RegisterScalableTarget",
      "application-autoscaling:TagResource", "elasticloadbalancing:AddTags", "rds:AddTagsToResource",
      "elasticache:AddTagsToResource", "logs:TagResource", "ecs:TagResource",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [each.value.name]
    }
  }

  # Things a RunInstances or a security-group rule references but the stacks do not own: AMIs, AWS-managed
  # prefix lists (the bastion's EC2 Instance Connect rule).
  statement {
    sid       = "SharedReferences"
    actions   = ["ec2:RunInstances", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateFlowLogs"]
    resources = ["arn:aws:ec2:*::image/*", "arn:aws:ec2:*:*:prefix-list/*", "arn:aws:ec2:*:*:vpc-flow-log/*"]
  }

  statement {
    sid       = "Unscoped"
    actions   = local.unscoped_deploy_actions
    resources = ["*"]
  }

  # The RDS-managed master password (DB bootstrap): the secret RDS created for this environment's instance.
  statement {
    sid       = "DatabaseMasterSecret"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = ["arn:aws:secretsmanager:*:*:secret:rds!*"]
    condition {
      test     = "StringLike"
      variable = "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn"
      values   = ["arn:aws:rds:*:*:db:${each.value.prefix}"]
    }
  }

  # manage_master_user_password: RDS creates and rotates the secret with the caller's rights.
  statement {
    sid       = "DatabaseMasterSecretByRDS"
    actions   = ["secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:RotateSecret", "secretsmanager:DeleteSecret", "kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "aws:CalledVia"
      values   = ["rds.amazonaws.com"]
    }
  }

  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = ["arn:aws:iam::*:role/${each.value.prefix}-*-execution", "arn:aws:iam::*:role/${each.value.prefix}-*-task"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "PassFlowLogRole"
    actions   = ["iam:PassRole"]
    resources = ["arn:aws:iam::*:role/${each.value.prefix}-vpc-flow-logs"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["vpc-flow-logs.amazonaws.com"]
    }
  }

  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com", "elasticache.amazonaws.com", "ecs.application-autoscaling.amazonaws.com"]
    }
  }

  statement {
    sid       = "DNSRecords"
    actions   = ["route53:ChangeResourceRecordSets"]
    resources = ["arn:aws:route53:::hostedzone/*"]
    condition {
      test     = "ForAllValues:StringLike"
      variable = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
      values   = local.env_resources[each.key].records
    }
  }
}

# The explicit denials: every other deploy environment, and the CI access itself.
data "aws_iam_policy_document" "deploy_guard" {
  for_each = local.env

  dynamic "statement" {
    for_each = length(local.env) > 1 ? [1] : []
    content {
      sid       = "NotOtherEnvironments"
      effect    = "Deny"
      actions   = ["*"]
      resources = flatten([for g, r in local.env_resources : concat(r.named, r.roles, r.buckets, r.state) if g != each.key])
    }
  }

  dynamic "statement" {
    for_each = length(local.env) > 1 ? [1] : []
    content {
      sid       = "NotOtherEnvironmentsTagged"
      effect    = "Deny"
      actions   = ["*"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "aws:ResourceTag/Environment"
        values   = [for g, e in local.env : e.name if g != each.key]
      }
    }
  }

  dynamic "statement" {
    for_each = length(local.env) > 1 ? [1] : []
    content {
      sid       = "NotOtherEnvironmentsRecords"
      effect    = "Deny"
      actions   = ["route53:ChangeResourceRecordSets"]
      resources = ["*"]
      condition {
        test     = "ForAnyValue:StringLike"
        variable = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
        values   = flatten([for g, r in local.env_resources : r.records if g != each.key])
      }
    }
  }

  # The deploy must not widen its own access: no change to the CI roles, their policies or the OIDC provider,
  # no users or keys.
  statement {
    sid     = "NotTheCIAccess"
    effect  = "Deny"
    actions = ["iam:*"]
    resources = [
      "arn:aws:iam::*:role/${var.name_prefix}-github-*",
      "arn:aws:iam::*:policy/${var.name_prefix}-github-*",
      "arn:aws:iam::*:oidc-provider/*",
      "arn:aws:iam::*:user/*",
    ]
  }

  statement {
    sid       = "NoManagedPolicyAttachments"
    effect    = "Deny"
    actions   = ["iam:AttachRolePolicy", "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "deploy" {
  for_each = local.env

  name        = "${var.name_prefix}-github-deploy-${each.key}"
  description = "Deploys of ${var.github_repository} to ${each.key}: this environment's resources only."
  policy      = data.aws_iam_policy_document.deploy[each.key].json
  tags        = var.tags
}

resource "aws_iam_policy" "deploy_guard" {
  for_each = local.env

  name        = "${var.name_prefix}-github-deploy-${each.key}-guard"
  description = "Explicit denials for deploys to ${each.key}: other environments, the CI access itself."
  policy      = data.aws_iam_policy_document.deploy_guard[each.key].json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = local.env

  role       = aws_iam_role.deploy[each.key].name
  policy_arn = aws_iam_policy.deploy[each.key].arn
}

resource "aws_iam_role_policy_attachment" "deploy_read" {
  for_each = local.env

  role       = aws_iam_role.deploy[each.key].name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_role_policy_attachment" "deploy_guard" {
  for_each = local.env

  role       = aws_iam_role.deploy[each.key].name
  policy_arn = aws_iam_policy.deploy_guard[each.key].arn
}
