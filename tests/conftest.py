"""Test set-up: one database per run (SQLite, or PostgreSQL from TEST_DATABASE_URL), built by the
migrations, and every test inside a transaction that is rolled back."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import scoped_session, sessionmaker

from auditapp import create_app
from auditapp.extensions import db

pytest_plugins = ["fixtures.databases", "fixtures.factories", "fixtures.shopping", "fixtures.live_server"]

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def font_cache_dir() -> Path:
    """Where the prepared report fonts are found (or built, ~15 s): AUDITAPP_FONT_CACHE_DIR, else the
    checkout's instance/fonts that scripts/setup.sh fills. A cache: it is rebuilt when out of date."""
    configured = os.environ.get("AUDITAPP_FONT_CACHE_DIR")
    return Path(configured) if configured else ROOT / "instance" / "fonts"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, font_cache_dir: Path):
    instance = tmp_path_factory.mktemp("instance")
    url = TEST_DATABASE_URL or f"sqlite:///{instance / 'test.db'}"
    if url.startswith("postgres"):
        from auditapp.config import normalise_database_url

        url = normalise_database_url(url)
        _reset_postgres(url)
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test",
        "ATTACHMENT_DIR": str(instance / "attachments"),
        "REPORT_DIR": str(instance / "reports"),
        "FONT_CACHE_DIR": str(font_cache_dir),
    })
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def db_session(app):
    """The app's session bound to a connection whose outer transaction is rolled back after the test;
    the code under test may commit (that releases a savepoint)."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's own would pick the engine, not this connection.
        db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app, db_session):
    return app.test_client()


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(db_session):
    """`with count_queries() as counter:` counts the SQL statements run inside the block."""
    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        engine = db_session.get_bind().engine

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting
