#!/usr/bin/env bash
# The restore drill: load a backup's dump into the (empty) database of DATABASE_URL, then prove it whole:
# every object it refers to is in the configured store, and every score recomputes to its stored value.
#   DATABASE_URL=postgresql://... [AUDITAPP_...] scripts/restore.sh DIR
set -euo pipefail
backup=${1:?usage: restore.sh DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
auditapp=${AUDITAPP_BIN:-$here/.venv/bin/auditapp}
url=${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database}
url=${url/postgresql+psycopg:/postgresql:}
url=${url/#postgres:/postgresql:}
pg_restore --no-owner --exit-on-error --dbname "$url" "$backup/database.dump"
"$auditapp" storage manifest > "$backup/objects-restored.tsv"
cmp -s "$backup/objects.tsv" "$backup/objects-restored.tsv" || { echo "the restored database refers to other objects than the backup's listing" >&2; exit 1; }
"$auditapp" scores verify
echo "restore drill passed"
