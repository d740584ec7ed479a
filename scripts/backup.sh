#!/usr/bin/env bash
# A backup of an installation on PostgreSQL: the database dump and the listing of every stored object it
# refers to (checked present in the configured store). Object storage keeps the files themselves: copy the
# listed keys with the store's own tools (a bucket's versioning or replication, `aws s3 sync`, rsync of
# the folders) — content-addressed, a file never changes under its key.
#   DATABASE_URL=postgresql://... [AUDITAPP_...] scripts/backup.sh DIR
set -euo pipefail
out=${1:?usage: backup.sh DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
auditapp=${AUDITAPP_BIN:-$here/.venv/bin/auditapp}
url=${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database}
url=${url/postgresql+psycopg:/postgresql:}
url=${url/#postgres:/postgresql:}
mkdir -p "$out"
pg_dump --format=custom --no-owner --file "$out/database.dump" "$url"
"$auditapp" storage manifest > "$out/objects.tsv"
echo "backup in $out: database.dump, objects.tsv ($(wc -l < "$out/objects.tsv") objects)"
