# ------------------------------------------------------------------ AWS and the lake
variable "aws_region" {
  description = "AWS region of the lake bucket (kots lake.region)."
  type        = string
  default     = "eu-west-3"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region name such as eu-west-3 or us-east-1."
  }
}

variable "bucket_name" {
  description = "Name of the lake bucket (kots lake.bucket). Globally unique, 3-63 characters, lower case."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) && !can(regex("\\.\\.|^\\d+\\.\\d+\\.\\d+\\.\\d+$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "lake_prefix" {
  description = "Key prefix of the lake inside the bucket (kots lake.prefix); empty for the bucket root, else ending with '/'."
  type        = string
  default     = ""

  validation {
    condition     = var.lake_prefix == "" || can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/$", var.lake_prefix))
    error_message = "lake_prefix must be empty or a path ending with '/', e.g. kots/."
  }
}

variable "raw_retention_days" {
  description = "Days after which raw/ objects that consolidation verified (tagged kots-consolidated=true) expire; untagged raw objects never expire. Consolidation removes raw files it has covered after consolidate.rawRetentionHours; this is the backstop for anything left behind. Keep it longer than that setting."
  type        = number
  default     = 14

  validation {
    condition     = var.raw_retention_days >= 3 && var.raw_retention_days <= 3650 && floor(var.raw_retention_days) == var.raw_retention_days
    error_message = "raw_retention_days must be a whole number of days between 3 and 3650 (consolidation needs raw files for at least two days)."
  }
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted object version is kept (versioning is on) before it expires."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 3650
    error_message = "noncurrent_version_days must be between 1 and 3650."
  }
}

variable "access_log_bucket" {
  description = "Existing bucket that receives the lake's S3 server access logs (it must allow the S3 logging service to write)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "access_log_bucket must be the name of an existing S3 bucket."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the lake's KMS key is deleted after `terraform destroy`."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30 (an AWS limit)."
  }
}

variable "name_prefix" {
  description = "Prefix of the IAM users, groups and policies (kots-consumer, kots-consolidation, kots-analyst)."
  type        = string
  default     = "kots"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9+=,.@_-]{0,40}$", var.name_prefix))
    error_message = "name_prefix must start with a letter and use IAM name characters only (at most 41)."
  }
}

variable "tags" {
  description = "Extra tags on every AWS resource."
  type        = map(string)
  default     = {}
}

# ------------------------------------------------------------------ Vault (optional)
variable "enable_vault" {
  description = "Write the generated S3 credentials, the Kafka settings, the OpenWeather key and the city list into Vault KV v2 (token from VAULT_TOKEN)."
  type        = bool
  default     = false
}

variable "vault_address" {
  description = "Vault (or OpenBao) address, e.g. https://vault.example:8200."
  type        = string
  default     = "http://127.0.0.1:8200"

  validation {
    condition     = can(regex("^https?://", var.vault_address))
    error_message = "vault_address must be an http:// or https:// URL."
  }
}

variable "vault_namespace" {
  description = "Vault Enterprise / OpenBao namespace; null for none."
  type        = string
  default     = null
}

variable "vault_kv_mount" {
  description = "Mount path of the KV version 2 engine (kots vault.mount)."
  type        = string
  default     = "secret"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", var.vault_kv_mount))
    error_message = "vault_kv_mount must be a mount path without leading or trailing '/'."
  }
}

variable "vault_path_prefix" {
  description = "Folder under the mount; each identity gets <prefix>/<identity>, which is the kots vault.pathPrefix of the services running as it."
  type        = string
  default     = "kots"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", var.vault_path_prefix))
    error_message = "vault_path_prefix must be a path without leading or trailing '/'."
  }
}

variable "kafka_brokers" {
  description = "Kafka bootstrap servers (host:port) written to Vault for the bridge and the consumer (kots kafka.brokers)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for b in var.kafka_brokers : can(regex("^[^\\s:]+:[0-9]{1,5}$", b))])
    error_message = "Each Kafka broker must be host:port, e.g. b-1.kafka.example:9096."
  }
}

variable "kafka_sasl_mechanism" {
  description = "SASL mechanism of the Kafka cluster (plain, scram-sha-256, scram-sha-512), or null for none."
  type        = string
  default     = null

  validation {
    condition     = var.kafka_sasl_mechanism == null || contains(["plain", "scram-sha-256", "scram-sha-512"], coalesce(var.kafka_sasl_mechanism, "none"))
    error_message = "kafka_sasl_mechanism must be plain, scram-sha-256, scram-sha-512 or null."
  }
}

variable "kafka_sasl_username" {
  description = "Kafka SASL username (with kafka_sasl_mechanism)."
  type        = string
  default     = null
}

variable "kafka_sasl_password" {
  description = "Kafka SASL password (with kafka_sasl_mechanism). Give it as TF_VAR_kafka_sasl_password, not in a file."
  type        = string
  default     = null
  sensitive   = true
}

variable "openweather_api_key" {
  description = "OpenWeather API key for agents with source openweather (kots agent.openweatherApiKey). Give it as TF_VAR_openweather_api_key."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.openweather_api_key == null || can(regex("^[0-9a-f]{32}$", coalesce(var.openweather_api_key, "0")))
    error_message = "openweather_api_key must be the 32 hexadecimal characters OpenWeather issues, or null."
  }
}

variable "cities" {
  description = "Cities kots simulates and the agents report for (kots up.cities): name, country (ISO 3166 alpha-2), lat, lon."
  type = list(object({
    name    = string
    country = string
    lat     = number
    lon     = number
  }))
  default = [
    { name = "Takamatsu", country = "JP", lat = 34.34, lon = 134.05 },
    { name = "Nakano", country = "JP", lat = 35.71, lon = 139.66 },
    { name = "Kochi", country = "JP", lat = 33.56, lon = 133.53 },
  ]

  validation {
    condition     = alltrue([for c in var.cities : length(c.country) == 2 && abs(c.lat) <= 90 && abs(c.lon) <= 180])
    error_message = "Each city needs a 2-letter country code, a latitude within ±90 and a longitude within ±180."
  }
}

# ------------------------------------------------------------------ Kestra (optional)
variable "enable_kestra" {
  description = "Load the kots flows (kestra/*.yml) into Kestra through its API."
  type        = bool
  default     = false
}

variable "kestra_url" {
  description = "Kestra server URL, e.g. http://localhost:8089 for docker-compose.yml."
  type        = string
  default     = "http://localhost:8089"

  validation {
    condition     = can(regex("^https?://", var.kestra_url))
    error_message = "kestra_url must be an http:// or https:// URL."
  }
}

variable "kestra_username" {
  description = "Kestra basic-auth user (an e-mail address)."
  type        = string
  default     = null
}

variable "kestra_password" {
  description = "Kestra basic-auth password. Give it as TF_VAR_kestra_password."
  type        = string
  default     = null
  sensitive   = true
}

variable "kestra_flows_dir" {
  description = "Folder of the flow files, relative to this module."
  type        = string
  default     = "../kestra"
}
