#!/usr/bin/env bash
# Restore a dump written by backup-db.sh into DATABASE (created if missing; stop fawu first, or restore
# into a new database and switch database_url). Then `fawu migrate` brings it to the release's schema.
# Usage: restore-db.sh DATABASE INFILE.sql.gz
set -euo pipefail
db="$1"; in="$2"
client="$(command -v mariadb || command -v mysql)"
"$client" ${FAWU_DUMP_ARGS:-} -e "CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
gunzip -c "$in" | "$client" ${FAWU_DUMP_ARGS:-} --default-character-set=utf8mb4 "$db"
echo "restored $in into $db"
