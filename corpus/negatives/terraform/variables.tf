variable "db_password" {
  type        = string
  sensitive   = true
  description = "Password for the PostgreSQL administrator. Supplied by the pipeline."
}

variable "client_secret" {
  type      = string
  sensitive = true
  default   = ""
}

variable "storage_account_key" {
  type        = string
  sensitive   = true
  description = "Access key of the state storage account."
}
