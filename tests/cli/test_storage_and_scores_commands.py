"""`auditapp storage manifest` and `auditapp scores verify`, the checks of the restore drill, on the test database."""
from __future__ import annotations

from pathlib import Path

from fixtures.files import jpeg_bytes, sha256_of, upload
from sqlalchemy import select

from auditapp.models import Attachment, ScoreVersion

HASH = "a" * 64
PERFECT = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 10},
           "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 5}}


def test_the_manifest_lists_originals_and_copies_and_names_what_is_missing(app, client, headers, audit, db_session):
    photo = jpeg_bytes()
    upload(client, headers, audit.id, photo)
    row = db_session.scalar(select(Attachment).where(Attachment.audit_id == audit.id))
    result = app.test_cli_runner().invoke(args=["storage", "manifest"])
    assert result.exit_code == 0, result.stderr
    sha = sha256_of(photo)
    assert f"attachments\t{sha[:2]}/{sha[2:4]}/{sha}\t{sha}\t{len(photo)}" in result.stdout.splitlines()
    assert f"{row.stripped_sha256}\t{row.stripped_size}" in result.stdout
    (Path(app.config["ATTACHMENT_DIR"]) / sha[:2] / sha[2:4] / sha).unlink()
    result = app.test_cli_runner().invoke(args=["storage", "manifest"])
    assert result.exit_code == 1 and f"missing from storage: attachments {sha[:2]}/{sha[2:4]}/{sha}" in result.stderr


def test_scores_verify_recomputes_each_current_score(app, db_session, make_published_audit):
    make_published_audit(PERFECT)
    audit = make_published_audit(PERFECT)
    result = app.test_cli_runner().invoke(args=["scores", "verify"])
    assert result.exit_code == 0 and "2 scores recomputed, 0 differ" in result.output, result.output
    # A stored score that the answers do not give (written behind the engine's back) is named.
    version = db_session.scalar(select(ScoreVersion).where(ScoreVersion.audit_id == audit.id))
    db_session.execute(ScoreVersion.__table__.insert().values(
        audit_id=audit.id, version=version.version + 1, overall=50.0, overall_raw=50.0,
        score={**version.score, "overall": 50.0}, overrides={}, reason="tampered"))
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["scores", "verify"])
    assert result.exit_code == 1 and "1 differ" in result.output
    assert f"audit {audit.id} version {version.version + 1}" in result.output


def test_scores_verify_names_wave_figures_that_are_not_the_current_versions(app, db_session, make_published_audit):
    from auditapp.models import AuditFigures

    audit = make_published_audit(PERFECT)
    row = db_session.get(AuditFigures, audit.id)
    row.figures = {**row.figures, "overall": 50.0}  # written behind the score versions' back
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["scores", "verify"])
    assert result.exit_code == 1 and "1 differ" in result.output
    assert f"audit {audit.id} version 1: its wave figures are not this version's" in result.output
