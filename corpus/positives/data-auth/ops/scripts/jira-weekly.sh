#!/usr/bin/env bash
# Weekly report of open incidents, posted to the ops channel.
set -euo pipefail

JQL='project = OPS AND type = Incident AND status != Done'
curl -sS -G 'https://jira.corp.local/rest/api/2/search' \
  -H 'Authorization: Basic c3ZjLXJlcG9ydGluZzpDQ3U1WCpqZldjay5PdDdOY28=' \
  --data-urlencode "jql=$JQL" -o /tmp/incidents.json
jq -r '.issues[] | "\(.key) \(.fields.summary)"' /tmp/incidents.json
curl -sS -u jenkins:UhnxU!KLd9AK9~pB -X POST https://ci.corp.local/job/ops-report/build
