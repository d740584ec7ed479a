"""Instant alerts: a publication with an audit knock-out (a compliance breach) or an overall below the
program's ALERT_BELOW emails the region's active managers in both languages, through the outbox — a mail
server that is down never blocks the publication, and the alert goes out once it is back."""
from __future__ import annotations

import json
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from fixtures.outbox import CLEAN_ANSWERS, seed
from sqlalchemy import select

from auditapp.extensions import db
from auditapp.models import Audit, OutboxMessage, utcnow
from auditapp.services import outbox
from auditapp.services.alerts import AlertPolicy
from auditapp.services.side_effects import wait_for_background


def approve(app, world, audit_key: str = "audit"):
    r = app.test_client().post(f"/api/v1/audits/{world.ids[audit_key]}/approve", headers=world.headers["qa"],
                               json={})
    assert r.status_code == 200, r.get_json()
    assert wait_for_background(30)
    return r


def alert_rows(app) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert_email")
                                        .order_by(OutboxMessage.recipient)))
        db.session.expunge_all()
        return found


def text_of(message) -> tuple[str, str]:
    subject = str(make_header(decode_header(message["Subject"])))
    return subject, message.get_payload(decode=True).decode("utf-8")


def test_a_compliance_breach_emails_the_regions_managers_in_both_languages(outbox_app, mail_server):
    outbox_app.config.update(mail_server.settings())
    mail_server.up()
    world = seed(outbox_app)
    approve(outbox_app, world)

    assert sorted(m["To"] for m in mail_server.received) == ["north.deputy@x.cn", "north.manager@x.cn"]
    subject, body = text_of(mail_server.received[0])
    assert "即时预警" in subject and "Instant alert" in subject and "BJ01" in subject
    for text in ("北京一店（BJ01）", "到访日期：2026-08-03", "总分：0.0", "书面报价（整份稽核否决）：扣 72.9 分",
                 "Beijing One (BJ01)", "Visit date: 2026-08-03", "Overall: 0.0",
                 "Written quote (audit knock-out): costs 72.9 points", "compliance breach"):
        assert text in body, text
    assert f"http://localhost/portal/visits/{world.ids['audit']}" in body
    assert "Wang Fang" not in body and "shopper" not in body
    assert {r.status for r in alert_rows(outbox_app)} == {"delivered"}
    # Every later pass finds nothing to send again.
    with outbox_app.app_context():
        assert sum(outbox.run_due(db.engine, outbox_app.config, utcnow() + timedelta(days=1)).values()) == 0
    assert len(mail_server.received) == 2


def test_mail_down_the_publication_succeeds_and_the_alert_is_sent_later_once(outbox_app, mail_server):
    outbox_app.config.update(mail_server.settings())  # nothing listens there yet
    world = seed(outbox_app)
    approve(outbox_app, world)
    with outbox_app.app_context():
        assert db.session.get(Audit, world.ids["audit"]).status == "published"
    rows = alert_rows(outbox_app)
    assert [r.recipient for r in rows] == ["north.deputy@x.cn", "north.manager@x.cn"]
    assert all(r.status == "pending" and r.attempts == 1 and "Connection refused" in r.last_error for r in rows)
    assert len({r.event_id for r in rows}) == 1  # one publication, one event

    mail_server.up()
    with outbox_app.app_context():
        assert outbox.run_due(db.engine, outbox_app.config, utcnow() + timedelta(seconds=30)) == \
            {"delivered": 0, "pending": 0, "failed": 0}  # the retry is not due before its minute
        assert outbox.run_due(db.engine, outbox_app.config, utcnow() + timedelta(minutes=2))["delivered"] == 2
        assert sum(outbox.run_due(db.engine, outbox_app.config, utcnow() + timedelta(days=1)).values()) == 0
    assert sorted(m["To"] for m in mail_server.received) == ["north.deputy@x.cn", "north.manager@x.cn"]
    assert {(r.status, r.attempts) for r in alert_rows(outbox_app)} == {("delivered", 2)}


def test_an_overall_below_the_programs_threshold_alerts(outbox_app):
    # No knock-out: greeting 100, negotiation (3·1 + 1·0.75)/4 = 93.75, overall (2·100 + 93.75)/3 = 97.92.
    world = seed(outbox_app, CLEAN_ANSWERS, audits=3)
    approve(outbox_app, world, "audit0")  # no ALERT_BELOW: no alert
    assert alert_rows(outbox_app) == []
    outbox_app.config["ALERT_BELOW"] = {"mini_ko": 90, "sales_visit": 99}
    approve(outbox_app, world, "audit1")  # 97.92 is not below 90
    assert alert_rows(outbox_app) == []
    outbox_app.config.update(ALERT_BELOW={"mini_ko": 98}, PORTAL_BASE_URL="https://portal.example.cn/")
    approve(outbox_app, world, "audit2")
    rows = alert_rows(outbox_app)
    assert len(rows) == 2
    body = json.loads(rows[0].body)["text"]
    assert "总分：97.9" in body and "总分低于预警线 98.0 分" in body and "below the alert threshold of 98.0" in body
    assert "Failed knock-out items: none" in body
    assert f"https://portal.example.cn/portal/visits/{world.ids['audit2']}" in body


@pytest.mark.parametrize("below", [[60], {"sales_visit": "60"}, {"sales_visit": True}])
def test_alert_below_must_map_programs_to_scores(below):
    with pytest.raises(ValueError, match="ALERT_BELOW"):
        AlertPolicy.from_config({"ALERT_BELOW": below}, "http://localhost/")


def test_a_wrong_alert_below_stops_the_start_up(tmp_path):
    from auditapp import create_app

    with pytest.raises(ValueError, match="ALERT_BELOW"):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}",
                    "ALERT_BELOW": {"sales_visit": "sixty"}})
