variable "newrelic_api_key" {
  description = "New Relic user key (NRAK-...), from the vault"
  type        = string
  sensitive   = true
}

variable "pagerduty_token" {
  description = "PagerDuty REST API token"
  type        = string
  sensitive   = true
}

variable "grafana_auth" {
  description = "Grafana service account token (glsa_...)"
  type        = string
  sensitive   = true
}

provider "newrelic" {
  account_id = 3948122
  api_key    = var.newrelic_api_key
  region     = "EU"
}

provider "pagerduty" {
  token = var.pagerduty_token
}

provider "grafana" {
  url  = "https://grafana.larkspur.io"
  auth = var.grafana_auth
}
