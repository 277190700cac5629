# Three least-privilege identities, one per kind of kots process:
#   consumer       writes raw/ (and reads _state/: a game master's rules variant); reads nothing of the data
#   consolidation  reads raw/, writes consolidated/, tags raw/ it verified, deletes raw/ (it reads consolidated/ back to verify what it wrote)
#   analyst        reads consolidated/ only (analysts' DuckDB, MotherDuck, the dashboard)
# Each is an IAM user with an access key, since kots runs where Kafka is (often outside AWS) and
# MotherDuck takes a key pair; the keys go to Vault (vault.tf) or to the outputs, never to files.
locals {
  identities = {
    consumer      = data.aws_iam_policy_document.consumer.json
    consolidation = data.aws_iam_policy_document.consolidation.json
    analyst       = data.aws_iam_policy_document.analyst.json
  }
}

resource "aws_iam_user" "kots" {
  # checkov:skip=CKV_AWS_273: Service identities for processes outside AWS (Kafka consumers on-premises, MotherDuck) need access keys, which SSO cannot give; the keys are kept in Vault.
  for_each = local.identities
  name     = "${var.name_prefix}-${each.key}"
  path     = "/kots/"
}

# Policies attach to groups, never to users (one group per identity).
resource "aws_iam_group" "kots" {
  for_each = local.identities
  name     = "${var.name_prefix}-${each.key}"
  path     = "/kots/"
}

resource "aws_iam_group_membership" "kots" {
  for_each = local.identities
  name     = "${var.name_prefix}-${each.key}"
  group    = aws_iam_group.kots[each.key].name
  users    = [aws_iam_user.kots[each.key].name]
}

resource "aws_iam_policy" "kots" {
  for_each    = local.identities
  name        = "${var.name_prefix}-${each.key}-lake"
  path        = "/kots/"
  description = "kots ${each.key}: its part of the lake bucket ${var.bucket_name}"
  policy      = each.value
}

resource "aws_iam_group_policy_attachment" "kots" {
  for_each   = local.identities
  group      = aws_iam_group.kots[each.key].name
  policy_arn = aws_iam_policy.kots[each.key].arn
}

resource "aws_iam_access_key" "kots" {
  for_each = local.identities
  user     = aws_iam_user.kots[each.key].name
}

# ---------------------------------------------------------------- consumer: write raw/
data "aws_iam_policy_document" "consumer" {
  statement {
    sid       = "WriteRaw"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.raw_prefix}*"]
  }
  # The consumer's event history (consumer/event-state-store.ts): its own bookkeeping, not lake data.
  statement {
    sid       = "OwnState"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.state_prefix}*"]
  }
  statement {
    sid       = "ListOwnState"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.state_prefix}*"]
    }
  }
  statement {
    sid       = "EncryptWithLakeKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.lake.arn]
  }
}

# ---------------------------------------------------------------- consolidation: read raw/, write consolidated/, delete raw/
data "aws_iam_policy_document" "consolidation" {
  statement {
    sid       = "ReadTagAndDeleteRaw"
    actions   = ["s3:GetObject", "s3:PutObjectTagging", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.raw_prefix}*"]
  }
  statement {
    sid       = "WriteConsolidated"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.consolidated_prefix}*"]
  }
  statement {
    sid       = "ListRawAndConsolidated"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.raw_prefix}*", "${local.consolidated_prefix}*"]
    }
  }
  statement {
    sid       = "UseLakeKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.lake.arn]
  }
}

# ---------------------------------------------------------------- analyst (and MotherDuck): read consolidated/
data "aws_iam_policy_document" "analyst" {
  statement {
    sid       = "ReadConsolidated"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.consolidated_prefix}*"]
  }
  statement {
    sid       = "ListConsolidated"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.consolidated_prefix}*"]
    }
  }
  statement {
    sid       = "BucketRegion"
    actions   = ["s3:GetBucketLocation"]
    resources = [aws_s3_bucket.lake.arn]
  }
  statement {
    sid       = "DecryptWithLakeKey"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.lake.arn]
  }
}
