# Shared values for the edge fleet. Applied from the ops bastion only.
project      = "edge-fleet"
environment  = "prod"
ssh_key_name = "ops-2025"

hcloud_token  = "3j4L6F6kXC6VKctBvBZsEtvq66RSGLrdrKZ72gH2Kd8Kswt8MwPzYzsE2vm9bZUd"
linode_token  = "0413fe4a6c4616caba42c7684265b62ca9a8c412219f903d269e8044b3e89f09"
vultr_api_key = "5HYP188E2SD7VWWG3VEGV6F5AEHF3JMMDD5T"

server_type = "cx32"
locations   = ["fsn1", "nbg1", "hel1"]
