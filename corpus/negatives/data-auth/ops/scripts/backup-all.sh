#!/usr/bin/env bash
# Nightly backups; every credential comes from the secret store mounted at /run/secrets.
set -euo pipefail

PGPASSWORD="$(cat /run/secrets/pg_backup)" pg_dump -h pg-main.internal -U backup -Fc orders > orders.dump
mysqldump -h mysql-primary.shop.svc -u backup -p"$MYSQL_BACKUP_PASSWORD" shop > shop.sql
mongodump --host mongo-0.mongo --username backup --password "$MONGO_BACKUP_PASSWORD" --out mongo
redis-cli -h redis-master.cache.svc -a "$REDIS_PASSWORD" --no-auth-warning --rdb dump.rdb
sshpass -e ssh admin@10.40.2.31 'sudo systemctl restart edge-agent'
curl -sS -u "$JENKINS_USER:$JENKINS_TOKEN" -X POST https://ci.corp.local/job/ops-report/build
ssh-keygen -t ed25519 -f deploy_ed25519 -N ""
openssl pkcs12 -export -in tls.crt -inkey tls.key -out tls.pfx -passout env:PFX_PASSWORD
