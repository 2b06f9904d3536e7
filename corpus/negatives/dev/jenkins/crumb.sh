#!/usr/bin/env bash
# CSRF crumbs are per-session nonces, not credentials.
set -euo pipefail
CRUMB=$(curl -s -u "$JENKINS_USER:$JENKINS_API_TOKEN" "$JENKINS_URL/crumbIssuer/api/json" | jq -r .crumb)
echo "Jenkins-Crumb: $CRUMB"
# last crumb seen in the logs, for reference: 88054705e8dacfc9f6092a8d87ad933ca6d4d748d1b80a4ca3d6f011e296bb48
curl -s -X POST -u "$JENKINS_USER:$JENKINS_API_TOKEN" -H "Jenkins-Crumb: $CRUMB" "$JENKINS_URL/job/ledger/build"
