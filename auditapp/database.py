"""Binding the database and migrations to the app."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db, migrate
from .models.base import UTCDateTime

MIGRATIONS_DIR = str(Path(__file__).resolve().parent / "migrations")
SQLITE_LOCK_TIMEOUT_S = 30  # seconds a writer waits for another to finish


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        # Several gunicorn workers share the file: wait for a lock rather than fail at once.
        options.setdefault("connect_args", {}).setdefault("timeout", SQLITE_LOCK_TIMEOUT_S)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, compare_type=True, render_as_batch=True,
                     render_item=_render_item)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN itself (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Any) -> None:
    if connection.dialect.name == "sqlite":
        # A request that writes takes the write lock up front: two deferred transactions that both
        # read and then write would otherwise deadlock, and SQLite fails one at once (busy_timeout
        # cannot help an upgrade). Reads stay deferred and run beside the writer (WAL).
        writes = (_write_request() or _writing_job()) and not g.get(_READ_ONLY_FLAG, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


_READ_ONLY_FLAG = "_auditapp_read_only_transaction"
_WRITE_FLAG = "_auditapp_write_transaction"


def _write_request() -> bool:
    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")


def _writing_job() -> bool:
    return has_app_context() and g.get(_WRITE_FLAG, False)


@contextmanager
def write_transaction() -> Iterator[None]:
    """The transactions begun inside the block take SQLite's write lock up front, as a write request's
    do: work outside a request (a job) that reads, then writes, beside other writers."""
    g.setdefault(_WRITE_FLAG, True)
    try:
        yield
    finally:
        g.pop(_WRITE_FLAG, None)


@contextmanager
def read_only_transaction(session: Any) -> Iterator[None]:
    """Run a write request's opening reads (the token lookup) before it takes SQLite's write lock.

    On SQLite the block's queries run in a deferred transaction that is ended afterwards, keeping the
    loaded objects (nothing was written, so nothing can be stale by more than the request's own age);
    the request's next query begins the write transaction (BEGIN IMMEDIATE), so the lock is held for
    the writing part of the request only and not while the body is parsed. Elsewhere, and for reads
    (which never take the lock) or a session already in a transaction, the block runs as it is.
    """
    real = session()  # the scoped session's current Session
    if not _write_request() or real.in_transaction() or real.get_bind().dialect.name != "sqlite":
        yield
        return
    g.setdefault(_READ_ONLY_FLAG, True)
    try:
        yield
    finally:
        g.pop(_READ_ONLY_FLAG, None)
    if real.new or real.dirty or real.deleted:
        return  # the block wrote after all: leave it to the request's own commit
    expire, real.expire_on_commit = real.expire_on_commit, False
    try:
        real.commit()
    finally:
        real.expire_on_commit = expire


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write our column types into migrations as plain SQLAlchemy types, so migrations never import the app."""
    if type_ != "type":
        return False
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if getattr(obj, "_variant_mapping", None) and "postgresql" in obj._variant_mapping:
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    return False
