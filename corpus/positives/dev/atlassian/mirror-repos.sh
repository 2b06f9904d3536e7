#!/usr/bin/env bash
# Mirrors the on-prem Bitbucket Data Center repos to Bitbucket Cloud (nightly cron).
set -euo pipefail

BBDC_URL=https://bitbucket.acme.io
BBDC_TOKEN="BBDC-OTgzMjk5MTU4MDA1OnJu0h3vrnc2r2a5ZsclNFoAfhcs"
CLOUD_WORKSPACE=acme
CLOUD_TOKEN="ATCTT3xFfGN07HDSZEm7DRCGj9ta6JzoTXWLYIXbx4pIgVyOY_UR14VFs-md7PzpsPrPUSi5-H_lWmsvTgenjdzIAUr8pLsGVfM_PWiD-oFhMMa8s4ymZ31PUFl183XkdzPYor40OfEITBC_g9T30UHoYh0_cEED93wlrOuB2fWu061FOIyPUa=528CB69D"

for repo in ledger payments notifications; do
  rm -rf "/tmp/$repo.git"
  git -c http.extraHeader="Authorization: Bearer $BBDC_TOKEN" clone --mirror "$BBDC_URL/scm/fin/$repo.git" "/tmp/$repo.git"
  git -C "/tmp/$repo.git" -c http.extraHeader="Authorization: Bearer $CLOUD_TOKEN" \
    push --mirror "https://bitbucket.org/$CLOUD_WORKSPACE/$repo.git"
done
