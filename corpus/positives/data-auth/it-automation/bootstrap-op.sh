#!/usr/bin/env bash
# One-off: register the shared ops account on a fresh admin workstation.
set -euo pipefail

op account add \
  --address larkspur.1password.com \
  --email ops@larkspur.io \
  --secret-key A3-XD3BYX-Q1ELUN-UXL1X-4HBO1-25IE5-BUNYK \
  --shorthand larkspur
op vault list --account larkspur
