terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 3.100"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.30"
    }
  }
}

provider "aws" {
  region     = "eu-west-1"
  access_key = "AKIACKNPPYXFGPRG4PQR"
  secret_key = "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"
}

provider "azurerm" {
  features {}
  subscription_id = "946d904a-20bf-4368-97d0-9eb6ce8d567f"
  tenant_id       = "209b8e87-f5d9-4c60-83f8-7079f44217c6"
  client_id       = "647fbaac-8a51-4a01-9ebd-c9959ac80018"
  client_secret   = "4qv8Q~N4CpdriXSOeSOC70iEFl6-dfirtB473.O9"
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "larkspur-build-artifacts"
}

resource "azurerm_resource_group" "platform" {
  name     = "rg-platform-weu"
  location = "westeurope"
}

resource "kubernetes_secret" "acr_pull" {
  metadata {
    name      = "acr-pull"
    namespace = "apps"
  }

  type = "kubernetes.io/dockerconfigjson"

  data = {
    ".dockerconfigjson" = jsonencode({
      auths = {
        "larkspur.azurecr.io" = {
          username = "larkspur-pull"
          password = "ucI5KpZJhmebSxH9PeZQdFyT6iTEbKXil7sxnjnPpP+ACRJxPLRt"
        }
      }
    })
  }
}
