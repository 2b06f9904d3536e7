provider "alicloud" {
  access_key = var.alicloud_access_key
  secret_key = var.alicloud_secret_key
  region     = "cn-hangzhou"
}

provider "hcloud" {
  token = var.hcloud_token
}

provider "linode" {
  token = var.linode_token
}

provider "scaleway" {
  access_key = var.scw_access_key
  secret_key = var.scw_secret_key
}

provider "tencentcloud" {
  secret_id  = var.tencentcloud_secret_id
  secret_key = var.tencentcloud_secret_key
}

provider "cloudflare" {
  api_token = var.cloudflare_api_token
}

variable "hcloud_token" {
  type      = string
  sensitive = true
}

variable "linode_token" {
  type      = string
  sensitive = true
}
