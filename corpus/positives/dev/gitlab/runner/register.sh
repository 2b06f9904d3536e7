#!/usr/bin/env bash
# Registers a shared docker runner on the legacy (pre-16.0) workflow.
set -euo pipefail

gitlab-runner register \
  --non-interactive \
  --url "https://gitlab.acme.io/" \
  --registration-token "GR1348941acWtu-IUDhw84dbvxWPr" \
  --executor docker \
  --docker-image alpine:3.20 \
  --description "shared-docker-$(hostname -s)" \
  --tag-list "docker,linux" \
  --run-untagged="true" \
  --locked="false"
