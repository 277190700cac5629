provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge({ project = "kots", managed-by = "terraform" }, var.tags)
  }
}

# Used only when enable_vault is true. The token comes from VAULT_TOKEN (or ~/.vault-token), never
# from a variable, so it stays out of plans and state. Nothing is asked of Vault while it is disabled.
provider "vault" {
  address                = var.vault_address
  namespace              = var.vault_namespace
  skip_child_token       = true
  skip_get_vault_version = !var.enable_vault
}

# Used only when enable_kestra is true; give the password as TF_VAR_kestra_password.
provider "kestra" {
  url      = var.kestra_url
  username = var.kestra_username
  password = var.kestra_password
}
