data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# The lake's own key: objects are encrypted with it (SSE-KMS, bucket keys on), and only the
# kots identities (through their IAM policies) and the account's administrators may use it.
resource "aws_kms_key" "lake" {
  description             = "kots lake ${var.bucket_name}: S3 default encryption"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.lake_key.json
}

resource "aws_kms_alias" "lake" {
  name          = "alias/${var.name_prefix}-lake"
  target_key_id = aws_kms_key.lake.key_id
}

data "aws_iam_policy_document" "lake_key" {
  # checkov:skip=CKV_AWS_109: This is a KMS key policy: "Resource *" means this one key, and the account root statement is AWS's required default that lets IAM policies (iam.tf) grant use of the key; without it the key becomes unmanageable.
  # checkov:skip=CKV_AWS_111: Same key-policy statement: write access is constrained to this key by the nature of a key policy.
  # checkov:skip=CKV_AWS_356: Same key-policy statement: "*" is the only valid resource in a KMS key policy and denotes this key.
  # The account (its administrators, through IAM) manages the key; use by the kots identities is
  # granted in their IAM policies (iam.tf), which this statement lets take effect.
  statement {
    sid       = "AccountAdministers"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" means this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}
