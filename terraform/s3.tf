# The lake bucket: raw/ (the consumer's Parquet files), consolidated/ (de-duplicated, what analysts
# read) and _state/ (the game master's rules variant, which analysts may not read), under var.lake_prefix.
locals {
  raw_prefix          = "${var.lake_prefix}raw/"
  consolidated_prefix = "${var.lake_prefix}consolidated/"
  state_prefix        = "${var.lake_prefix}_state/"
}

resource "aws_s3_bucket" "lake" {
  # checkov:skip=CKV_AWS_144: Cross-region replication doubles storage and is a disaster-recovery choice, not a default; versioning, KMS and the TLS-only policy protect the data here. Add aws_s3_bucket_replication_configuration if your DR policy asks for it.
  # checkov:skip=CKV2_AWS_62: Nothing consumes S3 event notifications: Kestra runs consolidation on a schedule and the consumer knows what it wrote.
  bucket = var.bucket_name
}

resource "aws_s3_bucket_ownership_controls" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    object_ownership = "BucketOwnerEnforced" # no ACLs: access is only what the policies below allow
  }
}

resource "aws_s3_bucket_public_access_block" "lake" {
  bucket                  = aws_s3_bucket.lake.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "lake" {
  bucket = aws_s3_bucket.lake.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.lake.arn
    }
    bucket_key_enabled = true # one data key per bucket and period instead of per object: far fewer KMS calls
  }
}

resource "aws_s3_bucket_logging" "lake" {
  bucket        = aws_s3_bucket.lake.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3-access/${var.bucket_name}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id

  # Raw files are consolidated and then removed by `kots consolidate`; this expiry is the backstop.
  # Only objects `kots consolidate` tagged once a verified part held their readings expire: a raw
  # file no run has consolidated yet (a device offline for weeks, a scheduler down) stays until one does.
  rule {
    id     = "expire-raw"
    status = "Enabled"
    filter {
      and {
        prefix = local.raw_prefix
        tags = {
          "kots-consolidated" = "true"
        }
      }
    }
    expiration {
      days = var.raw_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Everything else keeps its current version; replaced and deleted versions go after a while.
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    expiration {
      expired_object_delete_marker = true
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.lake]
}

# TLS only (and at least TLS 1.2): plain-HTTP requests are refused whoever makes them.
data "aws_iam_policy_document" "lake_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.lake.arn, "${aws_s3_bucket.lake.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOldTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.lake.arn, "${aws_s3_bucket.lake.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "lake" {
  bucket = aws_s3_bucket.lake.id
  policy = data.aws_iam_policy_document.lake_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.lake]
}
