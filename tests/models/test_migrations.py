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
