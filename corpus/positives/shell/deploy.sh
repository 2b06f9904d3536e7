#!/usr/bin/env bash
# Release script for the CLI. Run from the repo root on the build agent.
set -euo pipefail

VERSION="${1:?usage: deploy.sh <version>}"

export GH_TOKEN="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"
export AZURE_DEVOPS_EXT_PAT="m9ykjD4RMy0aDm8vmGqBQGnmEObjP0S5vYjeXzxfqO4sJdxcsZOw5gTNS5S29KTTEctZyGKygolCAZDOixL2"
export OPENAI_API_KEY="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"

echo "Building larkspur-cli ${VERSION}"
cargo build --release --locked
tar -C target/release -czf "larkspur-cli-${VERSION}-linux-x86_64.tar.gz" larkspur-cli
sha256sum "larkspur-cli-${VERSION}-linux-x86_64.tar.gz" > SHA256SUMS

gh release create "v${VERSION}" --generate-notes \
  "larkspur-cli-${VERSION}-linux-x86_64.tar.gz" SHA256SUMS

az pipelines run --organization https://dev.azure.com/larkspur --project cli \
  --name publish-docs --variables "version=${VERSION}"

# Release notes summary
python3 scripts/summarise_changelog.py --model gpt-4o-mini CHANGELOG.md
