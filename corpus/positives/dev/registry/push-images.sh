#!/usr/bin/env bash
# Pushes the release images to the public (Quay) and the on-prem (Harbor) registries.
set -euo pipefail
TAG=${1:?tag}

docker login quay.io -u "acme+ci_builder" -p "PGRST9CX3FWXH630HR1B8H9N9UVS0I69HF2CS32Q5L3CSYNERV8C7WFRLUOMORTD"
docker push quay.io/acme/ledger:"$TAG"

docker login harbor.acme.io -u 'robot$ledger+ci' -p '71jSzFk602SHg21Urrq1zMuA22hG3oYe'
docker push harbor.acme.io/ledger/api:"$TAG"
