#!/usr/bin/env bash
# Nightly export of the finance schema; runs on ora-batch-01 from cron.
set -euo pipefail

EXPORT_DIR=/u01/exports/$(date +%F)
mkdir -p "$EXPORT_DIR"

sqlplus -s fin_batch/XMCNOZtkm8mqpR~@//ora19c.internal:1521/ORCLPDB1 @close_period.sql
expdp system/KkwCg2yq.1.S+_Lx@ERPPDB schemas=FIN directory=DP_DIR dumpfile=fin_%U.dmp parallel=4

find /u01/exports -mindepth 1 -maxdepth 1 -mtime +14 -exec rm -rf {} +
