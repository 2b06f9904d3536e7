#!/usr/bin/env bash
set -euo pipefail

: "${DB_PASSWORD:?DB_PASSWORD must be set}"
: "${ANTHROPIC_API_KEY:=}"

export GITHUB_TOKEN="$(gh auth token)"
read -rsp "Vault password: " VAULT_PASSWORD; echo

ANTHROPIC_API_KEY="$(az keyvault secret show --vault-name kv-prod --name anthropic-api-key --query value -o tsv)"
export ANTHROPIC_API_KEY

aws configure set aws_secret_access_key "$AWS_SECRET_ACCESS_KEY"
docker login larkspur.azurecr.io --username "$ACR_USER" --password-stdin <<< "$ACR_PASSWORD"
mysql --user=app --password="$MYSQL_PASSWORD" -e 'select 1'
curl -fsS -H "Authorization: Bearer ${API_TOKEN}" https://api.larkspur.io/v1/health
PGPASSWORD="$(cat /run/secrets/pg_password)" psql -h db -U app -c 'select now()'
unset VAULT_PASSWORD
