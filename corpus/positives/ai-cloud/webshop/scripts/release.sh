#!/usr/bin/env bash
# Release the storefront to every environment we still run.
set -euo pipefail

VERSION="${1:?usage: release.sh VERSION}"
echo "releasing $VERSION"

# IBM Cloud Code Engine (EU tenants)
ibmcloud login --apikey 8zuz4c9Z_bQtUtdiMWq_mL_ns-5haCU3YojWr4Dqp7rv -r eu-de -g storefront
ibmcloud ce project select --name storefront-eu
ibmcloud ce app update --name web --image "icr.io/larkspur/web:$VERSION"

# Legacy Heroku app (being retired in Q3)
export HEROKU_API_KEY="dea7cd4e-fe48-4c3a-8198-22fe864a1b5a"
heroku container:push web --app larkspur-legacy
heroku container:release web --app larkspur-legacy

# Preview deployments
npx vercel deploy --token WInIGFnEFUhONndFx1RziYfB --yes
NETLIFY_AUTH_TOKEN="InTQKG6nZ_42ULcpjKb7ejjAmyc0-y-vy3uZAZP8GKC" npx netlify deploy --dir=build

# Edge proxy on Fly.io
FLY_ACCESS_TOKEN=fo1_ncAeo2CUENHs7cnrbckFYBkNz6Sk4EE-OomCJ89ugCI flyctl deploy --config fly.edge.toml
