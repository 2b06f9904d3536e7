#!/usr/bin/env bash
# Provision keys for a new bastion host.
set -euo pipefail

HOST=${1:?host}
mkdir -p "keys/$HOST"
ssh-keygen -t ed25519 -C "deploy@$HOST" -f "keys/$HOST/deploy_ed25519" -N 'Yll+3wCry-9cd1xW'
openssl req -x509 -newkey rsa:3072 -nodes -days 365 -subj "/CN=$HOST" -keyout "keys/$HOST/tls.key" -out "keys/$HOST/tls.crt"
openssl pkcs12 -export -in "keys/$HOST/tls.crt" -inkey "keys/$HOST/tls.key" -out "keys/$HOST/tls.pfx" -passout pass:f5H*aBwi8_WH-ZHt
echo "keys for $HOST written"
