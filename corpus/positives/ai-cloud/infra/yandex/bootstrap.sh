#!/usr/bin/env bash
# One-off bootstrap of the yc CLI profile on the build agent.
set -euo pipefail

yc config profile create ci || true
yc config set token y0_Ag5vxQ5SOO5UKKzC9ZdBSYta87QgAKAgXXuMJL9Jyi8lfsLyS0XGl9u
yc config set cloud-id b1g0ci4u7p9s2h3k5m6n
yc config set folder-id b1gq8r2t4v6x8z0b2d4f

# Smoke test against the Resource Manager API with a short-lived IAM token.
curl -sf -H "Authorization: Bearer t1.9euelZ2p5Xr3VUmjh42fFqEyN0WQe__DiwdaaBwXC61CQmd1bJpXmYsvkoUZmhz4qKmQyp.Vgf69YisZHfLRXQLEcAIjF3LMtjYzkCMglKmDNGIBgMqQaQiLE2VG-9vJMSIcbVXxtC_6RazvwUxETLY5h3q5n" \
  https://resource-manager.api.cloud.yandex.net/resource-manager/v1/clouds >/dev/null

# The translation microservice authenticates with a service-account API key.
curl -sf -X POST https://translate.api.cloud.yandex.net/translate/v2/languages \
  -H "Authorization: Api-Key AQVNmHUj7Abl9-50H144qeJUNQ9N02KtStRJrXQJ" -d '{}'
