#!/usr/bin/env bash
# One-off bootstrap of the staging Vault cluster (run from the ops bastion).
set -euo pipefail

export VAULT_ADDR=https://vault.staging.acme.io:8200
export VAULT_TOKEN=hvs.CAESI7tit9yn7tPPYN7L5PrxbFMndUwtJfNyO3n3nS8VAdA78yUmLFERELproVd7BxgxHgcgn6gOHTEbHxG83HynDJ

vault secrets enable -path=kv kv-v2 || true
vault auth enable kubernetes || true
vault policy write ledger-read policies/ledger-read.hcl

# batch token for the migration job
MIGRATION_TOKEN=hvb.AAAAAQqftvWgjBPNM6DajuYH_w_8jLFeSBk8utYzeA2lY7_tL-iEauIcbG6pRctnxSqeCXmanDs3XJ5g6P6nUQq6FQoguMbXVVPVBOUVWYH6BPxBm0ujiO85D24ls2B8qAUcb2
kubectl -n ledger create secret generic vault-migration --from-literal=token="$MIGRATION_TOKEN"

# recovery-mode token kept by the on-call engineer, expires with the cluster
RECOVERY_TOKEN=hvr.UVxEodlc1KOHqrtcH7fbACVN
