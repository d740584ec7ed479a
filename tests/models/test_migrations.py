"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from auditapp import create_app
from auditapp.extensions import db
from auditapp.models import Base


def _diff(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


def test_test_database_built_by_migrations_matches_models(app):
    """The session database (SQLite, or PostgreSQL under TEST_DATABASE_URL) came from `db upgrade`."""
    with app.app_context(), db.engine.connect() as connection:
        assert _diff(connection) == []


def test_upgrade_on_an_empty_sqlite_file(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}", "SECRET_KEY": "x"})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context(), db.engine.connect() as connection:
        assert _diff(connection) == []
        tables = set(db.inspect(connection).get_table_names())
    assert {"audits", "answers", "score_versions", "checklist_versions", "users", "dealers", "regions",
            "waves", "alembic_version"} <= tables


def test_upgrading_fills_each_audits_figures_from_its_latest_score_version(tmp_path):
    """0012 reads every audit's newest version (and version 1's overall) into audit_figures, with
    knockout_cost completed for a version stored before it existed."""
    import math
    from datetime import date

    from fixtures.factories import small_checklist_document
    from flask_migrate import upgrade

    from auditapp.checklists import checklist_from_document
    from auditapp.models import Audit, AuditFigures, ChecklistVersion, Dealer, Region, ScoreVersion, User, Wave
    from auditapp.scoring import score_audit
    from auditapp.services.checklists import store_checklists

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}", "SECRET_KEY": "x"})
    checklist = checklist_from_document(small_checklist_document())
    poor = {"greeted": {"value": "no"}, "written_quote": {"value": "no"}, "pressure": {"value": 5}}
    first = score_audit(checklist, poor, {}).to_dict()
    second = score_audit(checklist, poor, {"written_quote": {"value": "yes"}}).to_dict()
    with app.app_context():
        upgrade(revision="0011_report_unique")
        session = db.session
        store_checklists(session, [checklist])
        (version,) = session.query(ChecklistVersion).all()
        region = Region(code="R", name_zh="区", name_en="R")
        session.add(region)
        session.flush()
        dealer = Dealer(region_id=region.id, code="D", name_zh="店", name_en="D")
        wave = Wave(code="W", title_zh="期", title_en="W", starts_on=date(2026, 7, 1), ends_on=date(2026, 9, 30))
        shopper = User(email="s@x.example", password_hash="x", role="shopper")
        session.add_all([dealer, wave, shopper])
        session.flush()
        audit = Audit(dealer_id=dealer.id, wave_id=wave.id, shopper_id=shopper.id, checklist_version_id=version.id,
                      status="published", visit_window_start=date(2026, 8, 1), visit_window_end=date(2026, 8, 2))
        session.add(audit)
        session.flush()
        old = {k: v for k, v in second.items() if k != "knockout_cost"}  # as stored before knock-out costs
        session.add_all([ScoreVersion(audit_id=audit.id, version=1, overall=first["overall"],
                                      overall_raw=first["overall_raw"], score=first, overrides={}, reason="approved"),
                         ScoreVersion(audit_id=audit.id, version=2, overall=second["overall"],
                                      overall_raw=second["overall_raw"], score=old,
                                      overrides={"written_quote": {"value": "yes"}}, reason="upheld")])
        session.commit()
        upgrade()
        row = session.get(AuditFigures, audit.id)
        assert (row.version, row.program, row.wave_id) == (2, "mini", wave.id)
        assert math.isclose(row.overall, 100 / 3) and math.isclose(row.original_overall, 25 / 3)
        assert row.figures["knockout_cost"] == second["knockout_cost"] and row.figures["ratios"] == second["ratios"]
        assert "global_weights" not in row.figures
        db.session.remove()
        db.engine.dispose()
