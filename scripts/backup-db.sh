#!/usr/bin/env bash
# Dump fawu's MySQL/MariaDB database to a gzip file (consistent: one transaction, no table locks).
# Usage: backup-db.sh DATABASE OUTFILE.sql.gz   (connection from ~/.my.cnf or MYSQL_* / --defaults-file)
# docs/production.md "Backups"; tests/deploy/test_production.py restores what it writes.
set -euo pipefail
db="$1"; out="$2"
dump="$(command -v mariadb-dump || command -v mysqldump)"
tmp="$out.partial"
"$dump" ${FAWU_DUMP_ARGS:-} --single-transaction --quick --routines --triggers --events \
  --default-character-set=utf8mb4 --hex-blob --tz-utc "$db" | gzip -c > "$tmp"
mv "$tmp" "$out"
echo "backup written: $out ($(stat -c %s "$out") bytes)"
