output "bucket" {
  description = "The lake bucket (kots lake.bucket; S3_BUCKET)."
  value       = aws_s3_bucket.lake.bucket
}

output "bucket_arn" {
  description = "ARN of the lake bucket."
  value       = aws_s3_bucket.lake.arn
}

output "region" {
  description = "Region of the lake (kots lake.region; AWS_REGION)."
  value       = var.aws_region
}

output "kms_key_arn" {
  description = "KMS key that encrypts the lake (MotherDuck and other readers need kms:Decrypt on it)."
  value       = aws_kms_key.lake.arn
}

output "iam_users" {
  description = "IAM user of each kots identity."
  value       = { for id, user in aws_iam_user.kots : id => user.name }
}

output "access_key_ids" {
  description = "Access key id of each identity (kots lake.accessKeyId)."
  value       = { for id, key in aws_iam_access_key.kots : id => key.id }
}

output "secret_access_keys" {
  description = "Secret access key of each identity (kots lake.secretAccessKey). Read with `terraform output -json secret_access_keys`; prefer enable_vault."
  value       = { for id, key in aws_iam_access_key.kots : id => key.secret }
  sensitive   = true
}

output "vault_paths" {
  description = "Vault KV v2 secrets written (enable_vault), as <mount>/<path>."
  value       = [for path in local.vault_secret_paths : "${var.vault_kv_mount}/${var.vault_path_prefix}/${path}"]
}

output "vault_approle_roles" {
  description = "AppRole role of each identity (enable_vault and enable_vault_approle); get its role id with `vault read auth/<mount>/role/<role>/role-id`."
  value       = { for id, role in vault_approle_auth_backend_role.kots : id => role.role_name }
}

output "kestra_flows" {
  description = "Kestra flows loaded (enable_kestra), as namespace/id."
  value       = [for flow in kestra_flow.kots : "${flow.namespace}/${flow.flow_id}"]
}

output "kots_environment" {
  description = "Environment of a kots service per identity when its secrets come from Vault (add the Vault token or AppRole ids)."
  value = {
    for id in keys(local.identities) : id => {
      KOTS_VAULT_ADDRESS     = var.vault_address
      KOTS_VAULT_MOUNT       = var.vault_kv_mount
      KOTS_VAULT_PATH_PREFIX = "${var.vault_path_prefix}/${id}"
    }
  }
}
