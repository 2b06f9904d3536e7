provider "azurerm" {
  features {}
  subscription_id = "20691a1b-1364-4af4-8333-4ff2b96779b0"
  tenant_id       = "fa699781-8b1b-4760-85c2-ae66dfa97cdd"
  client_id       = "8f9a388e-b1eb-4862-9c9b-a68a363b3d2d"
  client_secret   = var.client_secret
}

data "azurerm_key_vault" "platform" {
  name                = "kv-platform-weu"
  resource_group_name = "rg-platform-weu"
}

data "azurerm_key_vault_secret" "db_password" {
  name         = "orders-db-password"
  key_vault_id = data.azurerm_key_vault.platform.id
}

resource "azurerm_postgresql_flexible_server" "orders" {
  name                   = "psql-orders-weu"
  resource_group_name    = "rg-orders-weu"
  location               = "westeurope"
  version                = "16"
  administrator_login    = "orders_admin"
  administrator_password = data.azurerm_key_vault_secret.db_password.value
  sku_name               = "GP_Standard_D2ds_v5"
}

resource "random_password" "session" {
  length  = 48
  special = true
}

output "storage_primary_access_key" {
  value     = azurerm_storage_account.assets.primary_access_key
  sensitive = true
}
