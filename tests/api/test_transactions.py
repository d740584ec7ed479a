"""One transaction per request: a refused or failed request writes nothing, a successful write request
commits exactly once, and mail waits for neither the response nor a hanging mail server."""
from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from auditapp.api import transactions
from auditapp.errors import Conflict, Unauthorized
from auditapp.models import Dispute, Region
from auditapp.services import admin as admin_service
from auditapp.services.side_effects import wait_for_background

ANSWERS = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 45},
           "written_quote": {"value": "yes", "attachments": ["c" * 64]}, "pressure": {"value": 3}}


@pytest.fixture
def admin(make_user, auth_for):
    return auth_for(make_user("admin"))


@pytest.fixture
def dispute_setting(make_dealer, make_user, make_published_audit, auth_for):
    dealer = make_dealer()
    make_user("qa")
    recently = datetime.now(timezone.utc) - timedelta(hours=2)
    audit = make_published_audit(ANSWERS, dealer=dealer, visited=recently)
    return audit, auth_for(make_user("dealer", dealer=dealer))


def file_dispute(client, audit, headers):
    return client.post(f"/api/v1/audits/{audit.id}/disputes", headers=headers, json={
        "item": "greet_seconds", "claim": "CCTV shows a greeting within 20 seconds.", "requested_outcome": "pass"})


def regions(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Region))


@contextmanager
def counting_commits() -> Iterator[list[bool]]:
    """Each session commit during the block, as whether its transaction wrote anything."""
    commits: list[bool] = []
    wrote: set[int] = set()

    def flushed(session, context):  # only called when the flush had something to write
        wrote.add(id(session))

    def committed(session):
        commits.append(id(session) in wrote)
        wrote.discard(id(session))

    event.listen(Session, "after_flush", flushed)
    event.listen(Session, "after_commit", committed)
    try:
        yield commits
    finally:
        event.remove(Session, "after_flush", flushed)
        event.remove(Session, "after_commit", committed)


def test_a_refused_request_writes_nothing_the_view_flushed(client, admin, db_session, monkeypatch):
    before = regions(db_session)
    real_create = admin_service.create

    def create_then_refuse(session, model, data):
        real_create(session, model, data)  # flushed: the row exists inside the transaction
        raise Conflict("request.concurrent_change")

    monkeypatch.setattr(admin_service, "create", create_then_refuse)
    r = client.post("/api/v1/regions", headers=admin, json={"code": "GONE", "name_zh": "无", "name_en": "Gone"})
    assert r.status_code == 409 and r.json["error"] == "request.concurrent_change"
    assert regions(db_session) == before


def test_a_crashing_request_writes_nothing(client, admin, db_session, monkeypatch):
    before = regions(db_session)
    real_create = admin_service.create

    def create_then_crash(session, model, data):
        real_create(session, model, data)
        raise RuntimeError("a bug after the write")

    monkeypatch.setattr(admin_service, "create", create_then_crash)
    r = client.post("/api/v1/regions", headers=admin, json={"code": "GONE", "name_zh": "无", "name_en": "Gone"})
    assert r.status_code == 500 and set(r.json) == {"code", "status", "error", "message", "errors"}
    assert regions(db_session) == before


def test_a_successful_write_request_commits_exactly_once(client, admin, db_session):
    with counting_commits() as commits:
        r = client.post("/api/v1/regions", headers=admin, json={"code": "ONCE", "name_zh": "一", "name_en": "Once"})
    assert r.status_code == 201
    # On SQLite the token is read in a transaction of its own that writes nothing (database.py).
    assert commits.count(True) == 1 and commits[-1] is True
    assert db_session.scalar(select(Region.code).where(Region.id == r.json["id"])) == "ONCE"


def test_filing_a_dispute_commits_once_with_its_mail_queued(client, dispute_setting, db_session, smtp_server):
    audit, dealer = dispute_setting
    with counting_commits() as commits:
        assert file_dispute(client, audit, dealer).status_code == 201
    assert commits.count(True) == 1 and commits[-1] is True
    assert wait_for_background(10)
    assert len(smtp_server) == 1 and "New dispute" in smtp_server[0]["Subject"]


def test_a_refused_request_sends_no_mail(client, dispute_setting, smtp_server):
    audit, dealer = dispute_setting
    assert file_dispute(client, audit, dealer).status_code == 201
    assert file_dispute(client, audit, dealer).status_code == 409  # the item already has an open dispute
    assert wait_for_background(10)
    assert len(smtp_server) == 1


@pytest.fixture
def hanging_mail_server(app, monkeypatch) -> Iterator[None]:
    """A port that accepts connections (the kernel completes them) but never greets: smtplib waits for
    its timeout (60 s)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", listener.getsockname()[1])
    monkeypatch.setitem(app.config, "SMTP_TLS", "none")
    try:
        yield
    finally:
        listener.close()  # resets the waiting connection: the background send fails and is logged
        assert wait_for_background(30)


def test_a_hanging_mail_server_does_not_delay_the_response(client, dispute_setting, db_session,
                                                           hanging_mail_server):
    audit, dealer = dispute_setting
    started = time.monotonic()
    r = file_dispute(client, audit, dealer)
    elapsed = time.monotonic() - started
    assert r.status_code == 201
    assert elapsed < 5, f"the response waited {elapsed:.1f} s for the mail server"
    assert not wait_for_background(0.5)  # the mail is still waiting for the server's greeting
    assert db_session.scalar(select(func.count()).select_from(Dispute)) == 1


def test_a_failed_mail_is_logged_and_the_change_stays(client, dispute_setting, db_session, app, monkeypatch,
                                                     caplog):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", 9)  # discard port: nothing listens
    audit, dealer = dispute_setting
    assert file_dispute(client, audit, dealer).status_code == 201
    assert wait_for_background(10)
    assert db_session.scalar(select(func.count()).select_from(Dispute)) == 1
    assert any("filed mail of dispute" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")


def test_commit_despite_error_keeps_the_changes_of_a_refused_view(app, db_session):
    def refuse(code: str, keep: bool):
        def view():
            db_session.add(Region(code=code, name_zh=code, name_en=code))
            db_session.flush()
            if keep:
                transactions.commit_despite_error()
            raise Unauthorized("auth.wrong_credentials")
        return transactions.transactional(view)

    for code, keep in (("KEPT", True), ("DROPPED", False)):
        with app.test_request_context("/api/v1/auth/token", method="POST"), pytest.raises(Unauthorized):
            refuse(code, keep)()
    codes = set(db_session.scalars(select(Region.code).where(Region.code.in_(["KEPT", "DROPPED"]))))
    assert codes == {"KEPT"}


def test_commit_despite_error_does_not_keep_a_crash(app, db_session):
    def view():
        db_session.add(Region(code="CRASH", name_zh="x", name_en="x"))
        db_session.flush()
        transactions.commit_despite_error()
        raise RuntimeError("bug")

    with app.test_request_context("/api/v1/x", method="POST"), pytest.raises(RuntimeError):
        transactions.transactional(view)()
    assert db_session.scalar(select(Region.id).where(Region.code == "CRASH")) is None


def test_every_api_route_runs_in_the_request_transaction(app: Flask):
    unwrapped = [endpoint for endpoint, view in app.view_functions.items()
                 if endpoint != "static" and not getattr(view, "_auditapp_transactional", False)]
    assert unwrapped == []
