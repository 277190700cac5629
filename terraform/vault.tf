# Optional (enable_vault): what each kots identity needs, written to Vault KV v2 at the paths kots
# reads by default. A service started with vault.pathPrefix = "<vault_path_prefix>/<identity>" finds
# its settings without any file or environment variable (core/secrets/README.md):
#   <prefix>/<identity>/lake   bucket, region, prefix, accessKeyId, secretAccessKey  (consumer, consolidation, analyst)
#   <prefix>/<identity>/kafka  brokers (+ SASL)                                     (consumer, bridge)
#   <prefix>/agent/agent       openweatherApiKey                                    (agents with source openweather)
#   <prefix>/agent/up          cities (JSON)                                        (`kots up`, `kots simulate`)
# Each identity also gets a Vault policy that reads only its own folder, and an AppRole using it.
locals {
  lake_settings = { bucket = var.bucket_name, region = var.aws_region, prefix = var.lake_prefix }
  kafka_settings = merge(
    { brokers = join(",", var.kafka_brokers) },
    var.kafka_sasl_mechanism == null ? {} : {
      saslMechanism = var.kafka_sasl_mechanism
      saslUsername  = coalesce(var.kafka_sasl_username, "")
      saslPassword  = coalesce(var.kafka_sasl_password, "")
    },
  )
  vault_secrets = merge(
    {
      for id in keys(local.identities) : "${id}/lake" => merge(local.lake_settings, {
        accessKeyId     = aws_iam_access_key.kots[id].id
        secretAccessKey = aws_iam_access_key.kots[id].secret
      })
    },
    length(var.kafka_brokers) == 0 ? {} : { "consumer/kafka" = local.kafka_settings, "bridge/kafka" = local.kafka_settings },
    var.openweather_api_key == null ? {} : { "agent/agent" = { openweatherApiKey = var.openweather_api_key } },
    { "agent/up" = { cities = jsonencode(var.cities) } },
  )
  # Paths are not secret, only their contents: they may drive for_each.
  vault_secret_paths = var.enable_vault ? nonsensitive(toset(keys(local.vault_secrets))) : toset([])
  vault_identities   = var.enable_vault ? toset(["consumer", "consolidation", "analyst", "bridge", "agent"]) : toset([])
}

resource "vault_kv_secret_v2" "kots" {
  for_each  = local.vault_secret_paths
  mount     = var.vault_kv_mount
  name      = "${var.vault_path_prefix}/${each.key}"
  data_json = jsonencode(local.vault_secrets[each.key])
}

resource "vault_policy" "kots" {
  for_each = local.vault_identities
  name     = "${var.name_prefix}-${each.key}"
  policy   = <<-EOT
    # kots ${each.key}: reads its own settings, nothing else
    path "${var.vault_kv_mount}/data/${var.vault_path_prefix}/${each.key}/*" {
      capabilities = ["read"]
    }
  EOT
}

resource "vault_approle_auth_backend_role" "kots" {
  for_each       = var.enable_vault_approle ? local.vault_identities : toset([])
  backend        = var.vault_approle_mount
  role_name      = "${var.name_prefix}-${each.key}"
  token_policies = [vault_policy.kots[each.key].name]
  token_ttl      = 3600
  token_max_ttl  = 86400
}

variable "enable_vault_approle" {
  description = "With enable_vault: create an AppRole per identity (on an existing AppRole mount) whose tokens read only that identity's folder."
  type        = bool
  default     = true
}

variable "vault_approle_mount" {
  description = "Mount path of an existing AppRole auth method (kots vault.appRoleMount)."
  type        = string
  default     = "approle"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.vault_approle_mount))
    error_message = "vault_approle_mount must be a single path segment, e.g. approle."
  }
}
