#!/usr/bin/env bash
# Static checks: ruff (style and likely mistakes) and mypy (types; strict on scoring/ and services/).
# Both read their settings from pyproject.toml. Fails if either fails; both always run.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

status=0
echo "=== ruff ==="
.venv/bin/ruff check auditapp tests bench scripts || status=1
echo "=== mypy ==="
.venv/bin/mypy || status=1
exit $status
