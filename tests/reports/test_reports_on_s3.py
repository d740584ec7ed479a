"""`auditapp reports render` with S3 storage (moto's S3 server): PDFs kept in the bucket, copied from it into
the output folder, and reused from it on the next run."""
from __future__ import annotations

from fixtures.object_storage import bucket_keys, s3_settings
from sqlalchemy import select

from auditapp import create_app
from auditapp.models import ReportFile

HASH = "a" * 64
PERFECT = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 10},
           "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 5}}


def test_a_wave_rendered_into_the_bucket_and_copied_out(app, db_session, tmp_path, s3_endpoint, s3_bucket,
                                                        make_region, make_dealer, make_wave, make_checklist_version,
                                                        make_published_audit):
    region = make_region(code="EA")
    dealer = make_dealer(region=region, code="EA01")
    wave, version = make_wave(code="2026-Q3"), make_checklist_version()
    for _ in range(2):
        make_published_audit(PERFECT, dealer=dealer, wave=wave, checklist_version=version)
    s3 = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                     "SECRET_KEY": "test", "ATTACHMENT_DIR": str(tmp_path / "att"), "REPORT_DIR": str(tmp_path / "rep"),
                     "FONT_CACHE_DIR": app.config["FONT_CACHE_DIR"], **s3_settings(s3_endpoint, s3_bucket)})
    # The command runs in the app context that is current (the session app's, in `db_session`): this one's.
    with s3.app_context():
        check_render(s3, db_session, tmp_path, s3_endpoint, s3_bucket)


def check_render(s3, db_session, tmp_path, s3_endpoint, s3_bucket) -> None:
    args = ["reports", "render", "--wave", "2026-Q3", "--out", str(tmp_path / "out"), "--lang", "en",
            "--processes", "1"]
    result = s3.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "2 rendered, 0 unchanged" in result.output  # the dealer's scorecard and the region's report
    rows = db_session.scalars(select(ReportFile).order_by(ReportFile.kind)).all()
    assert bucket_keys(s3_endpoint, s3_bucket) == sorted(f"auditapp/reports/{r.sha256[:2]}/{r.sha256}.pdf"
                                                         for r in rows)
    scorecard = tmp_path / "out" / "2026-Q3" / "EA" / "scorecard-EA01-mini-en.pdf"
    assert scorecard.read_bytes().startswith(b"%PDF-")
    assert scorecard.stat().st_size == next(r.size for r in rows if r.kind == "dealer_scorecard")
    assert not (tmp_path / "rep").exists()  # nothing kept on this machine's disk

    again = s3.test_cli_runner().invoke(args=args)
    assert again.exit_code == 0 and "0 rendered, 2 unchanged" in again.output, again.output
