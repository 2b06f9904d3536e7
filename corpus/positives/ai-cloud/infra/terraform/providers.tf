terraform {
  required_version = ">= 1.6"
  required_providers {
    alicloud     = { source = "aliyun/alicloud", version = "~> 1.230" }
    hcloud       = { source = "hetznercloud/hcloud", version = "~> 1.48" }
    linode       = { source = "linode/linode", version = "~> 2.29" }
    vultr        = { source = "vultr/vultr", version = "~> 2.21" }
    scaleway     = { source = "scaleway/scaleway", version = "~> 2.47" }
    tencentcloud = { source = "tencentcloudstack/tencentcloud", version = "~> 1.81" }
    cloudflare   = { source = "cloudflare/cloudflare", version = "~> 4.45" }
  }
}

provider "alicloud" {
  access_key = "LTAI5tnqMVB5FVFcMEgyZtJu"
  secret_key = "5WYcYpOggflwoyelQe0dcXzGHIft7Z"
  region     = "cn-hangzhou"
}

provider "scaleway" {
  access_key = var.scw_access_key
  secret_key = "869f1281-bb06-4ecc-a7c3-e814c71f56cc"
  zone       = "fr-par-1"
  region     = "fr-par"
}

provider "tencentcloud" {
  secret_id  = "AKIDs8FaQC9u8sWs7wDkzIiSzdZNiaDN18ln"
  secret_key = "v8rkwDO4XGJXrSrnDDNvG0rczNRgTofF"
  region     = "ap-guangzhou"
}

provider "cloudflare" {
  api_token            = "cfat_tYnedau7faZ2M2WzGjF3VwGNXch97gPik67r1pzi4Y9hXoIn"
  api_user_service_key = "v1.0-ccfb902d11e913f5ba5d5297-a6e8975f927c8af3986b6e288bf6c963fa48dcc252058617bc28902b5dbf6ff05dd5fb32405214dd0bbf8abc4c59d38d129fa4b9a6d6947af58db613fcecc3d279dea902a5f9e3c68f"
}

provider "hcloud" {
  token = var.hcloud_token
}

provider "linode" {
  token = var.linode_token
}

provider "vultr" {
  api_key     = var.vultr_api_key
  rate_limit  = 100
  retry_limit = 3
}
