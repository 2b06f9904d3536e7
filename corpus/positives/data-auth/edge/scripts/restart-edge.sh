#!/usr/bin/env bash
# Restart the edge agent on the warehouse gateways (no key-based auth on these yet).
set -euo pipefail

for host in 10.40.2.31 10.40.2.32 10.40.2.33; do
  sshpass -p 'g0awfUxnCjhBKpL+' ssh -o StrictHostKeyChecking=no admin@"$host" 'sudo systemctl restart edge-agent'
done
