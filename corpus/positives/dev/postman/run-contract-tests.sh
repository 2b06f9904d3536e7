#!/usr/bin/env bash
set -euo pipefail
POSTMAN_API_KEY=PMAK-55cd297016b55920cd473ee6-49fac232f1ac232c3e907a585cd2a80833
COLLECTION_UID=18829461-5c3f0e8a-9d2b-4f71-a0d6-7e3b21c4f5a9
newman run "https://api.getpostman.com/collections/$COLLECTION_UID?apikey=$POSTMAN_API_KEY" \
  --environment env/staging.postman_environment.json \
  --reporters cli,junit --reporter-junit-export results/contract.xml
