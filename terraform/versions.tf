terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7.0"
    }
    vault = {
      source  = "hashicorp/vault"
      version = ">= 4.0, < 6.0"
    }
    kestra = {
      source  = "kestra-io/kestra"
      version = ">= 0.18, < 2.0"
    }
  }
}
