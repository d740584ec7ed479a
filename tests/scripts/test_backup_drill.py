"""The backup and restore drill (scripts/backup.sh, scripts/restore.sh) on a small seeded PostgreSQL
database: the restored copy refers to the same stored objects, and every score recomputes to its value."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fixtures.databases import app_with_own_database
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from auditapp.extensions import db

ROOT = Path(__file__).resolve().parents[2]
URL = os.environ.get("TEST_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(not URL.startswith("postgres"),
                                reason="the drill dumps and restores PostgreSQL (set TEST_DATABASE_URL)")


def run(script: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(ROOT / "scripts" / script), str(folder)], env=env, capture_output=True,
                          text=True, timeout=300)


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "auditapp"), *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_a_backup_restores_to_a_database_whose_every_score_recomputes(tmp_path, font_cache_dir):
    from auditapp.checklists import load_directory
    from auditapp.demo.seed import seed_demo
    from auditapp.services.checklists import store_checklists

    with app_with_own_database(tmp_path, "backup", font_cache_dir) as source:
        with source.app_context():
            store_checklists(db.session(), load_directory(ROOT / "checklists"))
            summary = seed_demo(db.session(), source.config, regions=1, dealers_per_region=2)
            db.session.commit()
            source_url = db.engine.url.render_as_string(hide_password=False)
        env = {**os.environ, "DATABASE_URL": source_url, "AUDITAPP_ATTACHMENT_DIR": source.config["ATTACHMENT_DIR"],
               "AUDITAPP_REPORT_DIR": source.config["REPORT_DIR"], "AUDITAPP_FONT_CACHE_DIR": str(font_cache_dir)}
        backup = tmp_path / "backup"
        made = run("backup.sh", backup, env)
        assert made.returncode == 0, made.stderr
        listing = (backup / "objects.tsv").read_text().splitlines()
        assert listing and all(line.startswith("attachments\t") for line in listing)  # no PDF rendered yet

        admin = create_engine(make_url(source_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        target = f"test_restore_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{target}"'))
        target_url = make_url(source_url).set(database=target).render_as_string(hide_password=False)
        try:
            restored = run("restore.sh", backup, {**env, "DATABASE_URL": target_url})
            assert restored.returncode == 0, restored.stderr + restored.stdout
            assert f"{summary.audits} scores recomputed, 0 differ" in restored.stdout
            assert "restore drill passed" in restored.stdout

            # The checks can fail: answers that no longer give the stored score, a file gone from storage.
            engine = create_engine(target_url)
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM answers WHERE audit_id = (SELECT audit_id FROM score_versions "
                                  "ORDER BY audit_id LIMIT 1)"))
            engine.dispose()
            verify = cli(["scores", "verify"], {**env, "DATABASE_URL": target_url})
            assert verify.returncode == 1 and "1 differ" in verify.stdout, verify.stdout + verify.stderr
            key = listing[0].split("\t")[1]
            (Path(source.config["ATTACHMENT_DIR"]) / key).unlink()
            manifest = cli(["storage", "manifest"], {**env, "DATABASE_URL": target_url})
            assert manifest.returncode == 1 and f"missing from storage: attachments {key}" in manifest.stderr
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{target}" WITH (FORCE)'))
            admin.dispose()
