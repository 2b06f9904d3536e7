#!/usr/bin/env bash
# Nightly logical backups of the shop databases (runs on backup-01).
set -euo pipefail

STAMP=$(date +%Y%m%d-%H%M)
OUT=/srv/backups/$STAMP
mkdir -p "$OUT"

PGPASSWORD='UK5rseH.+Vh2Dn1+' pg_dump -h pg-main.internal -U backup -Fc orders > "$OUT/orders.dump"
mysqldump -h mysql-primary.shop.svc -u backup -pRa*.rSdW*t5WPa! --single-transaction shop > "$OUT/shop.sql"
mongodump --host mongo-0.mongo --username backup --password 'D3677+N+XE-Wa-orV' --authenticationDatabase admin --out "$OUT/mongo"
redis-cli -h redis-master.cache.svc -a dRJk9CZqYB9n7g-L --no-auth-warning --rdb "$OUT/dump.rdb"

find /srv/backups -mindepth 1 -maxdepth 1 -mtime +7 -exec rm -rf {} +
echo "backup $STAMP done"
