"""Webhooks through the API: subscriptions (admin), the delivery log, and the events that publication and
disputes send — after the commit, never slowing the request, never for a rolled-back change."""
from __future__ import annotations

import time

import pytest
from fixtures.outbox import seed
from sqlalchemy import func, select

from auditapp.errors import Conflict
from auditapp.extensions import db
from auditapp.models import Audit, OutboxMessage
from auditapp.services import webhooks
from auditapp.services.side_effects import wait_for_background

HOOK = "https://oem.example.com/hooks/auditapp"


def fields_refused(response) -> set[str]:
    """The fields an error names: the schema's (under the body's location) or a service rule's."""
    errors = response.get_json()["errors"]
    return set(errors.get("json", errors))


@pytest.fixture
def admin(make_user, auth_for):
    return auth_for(make_user("admin"))


def test_the_secret_is_shown_at_creation_and_never_read_back(client, admin):
    created = client.post("/api/v1/webhooks", headers=admin, json={"url": HOOK, "events": ["audit.published"]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert len(body["secret"]) >= 32 and body["active"] is True and body["events"] == ["audit.published"]
    sid = body["id"]
    assert "secret" not in client.get(f"/api/v1/webhooks/{sid}", headers=admin).get_json()
    assert all("secret" not in s for s in client.get("/api/v1/webhooks", headers=admin).get_json())
    assert "secret" not in client.patch(f"/api/v1/webhooks/{sid}", headers=admin,
                                        json={"active": False}).get_json()

    rotated = client.patch(f"/api/v1/webhooks/{sid}", headers=admin, json={"rotate_secret": True})
    assert rotated.status_code == 200 and rotated.get_json()["secret"] not in (None, body["secret"])
    assert rotated.get_json()["active"] is False


def test_an_admin_may_choose_the_secret(client, admin, db_session):
    from auditapp.models import WebhookSubscription

    chosen = "the receiver's own long secret"
    r = client.post("/api/v1/webhooks", headers=admin,
                    json={"url": HOOK, "events": ["dispute.filed"], "secret": chosen})
    assert r.status_code == 201 and r.get_json()["secret"] == chosen
    assert db_session.get(WebhookSubscription, r.get_json()["id"]).secret == chosen
    short = client.post("/api/v1/webhooks", headers=admin, json={"url": HOOK, "events": ["dispute.filed"],
                                                                 "secret": "short"})
    assert short.status_code == 422 and "secret" in fields_refused(short)


@pytest.mark.parametrize("url", ["ftp://oem.example.com/in", "javascript:alert(1)", "file:///etc/passwd",
                                 "https://", "oem.example.com/hook", "http://oem.example.com/a b"])
def test_only_http_and_https_urls_are_accepted(client, admin, db_session, url):
    from auditapp.models import WebhookSubscription

    before = db_session.scalar(select(func.count()).select_from(WebhookSubscription))
    r = client.post("/api/v1/webhooks", headers=admin, json={"url": url, "events": ["dispute.filed"]})
    assert r.status_code == 422, r.get_json()
    assert set(r.get_json()) == {"code", "status", "error", "message", "errors"} and "url" in fields_refused(r)
    assert db_session.scalar(select(func.count()).select_from(WebhookSubscription)) == before
    sid = client.post("/api/v1/webhooks", headers=admin, json={"url": HOOK, "events": ["dispute.filed"]}) \
        .get_json()["id"]
    assert client.patch(f"/api/v1/webhooks/{sid}", headers=admin, json={"url": url}).status_code == 422
    assert client.get(f"/api/v1/webhooks/{sid}", headers=admin).get_json()["url"] == HOOK


@pytest.mark.parametrize("events", [[], ["audit.deleted"], ["dispute.filed", "nope"]])
def test_events_must_be_known(client, admin, events):
    r = client.post("/api/v1/webhooks", headers=admin, json={"url": HOOK, "events": events})
    assert r.status_code == 422 and "events" in fields_refused(r)


def test_delete_and_unknown_subscriptions(client, admin):
    sid = client.post("/api/v1/webhooks", headers=admin, json={"url": HOOK, "events": ["dispute.filed"]}) \
        .get_json()["id"]
    assert client.delete(f"/api/v1/webhooks/{sid}", headers=admin).status_code == 204
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"active": True}} if method == "patch" else {}
        assert getattr(client, method)(f"/api/v1/webhooks/{sid}", headers=admin, **kwargs).status_code == 404
    assert client.get(f"/api/v1/webhooks/{sid}/deliveries", headers=admin).status_code == 404


def test_the_delivery_log_lists_a_subscriptions_deliveries(client, admin, db_session):
    sid = client.post("/api/v1/webhooks", headers=admin, json={"url": HOOK, "events": ["dispute.filed"]}) \
        .get_json()["id"]
    other = client.post("/api/v1/webhooks", headers=admin, json={"url": HOOK, "events": ["score.revised"]}) \
        .get_json()["id"]
    event_id = webhooks.emit(db_session, "dispute.filed", {"dispute_id": 1})
    db_session.commit()
    [entry] = client.get(f"/api/v1/webhooks/{sid}/deliveries", headers=admin).get_json()
    assert entry["event_id"] == str(event_id) and entry["event_type"] == "dispute.filed"
    assert (entry["status"], entry["attempts"], entry["last_error"]) == ("pending", 0, None)
    assert entry["next_attempt_at"] is not None
    assert client.get(f"/api/v1/webhooks/{sid}/deliveries?status=delivered", headers=admin).get_json() == []
    assert client.get(f"/api/v1/webhooks/{other}/deliveries", headers=admin).get_json() == []
    assert client.get(f"/api/v1/webhooks/{sid}/deliveries?status=lost", headers=admin).status_code == 422


# --- events from real requests, on a database of its own (delivery reads committed rows) ----------------

def _subscribe(app, world, url: str, events: list[str]) -> None:
    r = app.test_client().post("/api/v1/webhooks", headers=world.headers["admin"], json={"url": url, "events": events})
    assert r.status_code == 201, r.get_json()


def test_a_slow_receiver_does_not_slow_the_publication(outbox_app, receiver):
    world = seed(outbox_app)
    _subscribe(outbox_app, world, receiver.url, ["audit.published"])
    receiver.delay = 5
    client = outbox_app.test_client()
    started = time.monotonic()
    r = client.post(f"/api/v1/audits/{world.ids['audit']}/approve", headers=world.headers["qa"], json={})
    elapsed = time.monotonic() - started
    assert r.status_code == 200, r.get_json()
    assert elapsed < 1.0, f"the approval waited {elapsed:.2f} s"
    assert receiver.received == []  # still thinking
    assert wait_for_background(30)
    [got] = receiver.received
    assert got.json["type"] == "audit.published"
    data = got.json["data"]
    assert data["audit_id"] == str(world.ids["audit"]) and data["dealer"]["code"] == "BJ01"
    assert data["wave"]["code"] == "2026-Q3" and data["program"] == "mini_ko" and data["score_version"] == 1
    assert data["visit_date"] == "2026-08-03"  # 23:30 UTC on the 2nd is the 3rd in Beijing
    # No written quote: the audit knock-out takes the overall to 0; it cost the 72.92 that was left
    # (greeting 100 × 2/3 + negotiation (3·0 + 1·0.75)/4 = 18.75 × 1/3).
    assert data["overall"] == 0
    assert data["overall_raw"] == pytest.approx(72.9167, abs=1e-4)
    [knockout] = data["knockouts"]
    assert knockout["item"] == "written_quote" and knockout["scope"] == "audit"
    assert knockout["cost"] == pytest.approx(72.9167, abs=1e-4)
    assert "shopper" not in got.body.decode() and "Wang Fang" not in got.body.decode()


def test_a_rolled_back_request_queues_nothing(outbox_app, receiver, monkeypatch):
    from auditapp.services import review

    world = seed(outbox_app)
    _subscribe(outbox_app, world, receiver.url, ["audit.published"])

    def refuse(*args, **kwargs):  # after the event was queued, the publication is refused
        raise Conflict("review.not_submitted_approve", status="submitted")

    monkeypatch.setattr(review, "queue_publication_alerts", refuse)
    r = outbox_app.test_client().post(f"/api/v1/audits/{world.ids['audit']}/approve",
                                      headers=world.headers["qa"], json={})
    assert r.status_code == 409
    assert wait_for_background(30)
    with outbox_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert db.session.get(Audit, world.ids["audit"]).status == "submitted"
    assert receiver.received == []


def test_disputes_send_filed_revised_and_decided(outbox_app, receiver):
    world = seed(outbox_app)
    _subscribe(outbox_app, world, receiver.url, ["dispute.filed", "dispute.decided", "score.revised"])
    client, audit = outbox_app.test_client(), world.ids["audit"]
    assert client.post(f"/api/v1/audits/{audit}/approve", headers=world.headers["qa"], json={}).status_code == 200
    filed = client.post(f"/api/v1/audits/{audit}/disputes", headers=world.headers["dealer"], json={
        "item": "written_quote", "claim": "The quote was handed over in writing.", "requested_outcome": "pass"})
    assert filed.status_code == 201, filed.get_json()
    dispute = filed.get_json()["id"]
    decided = client.post(f"/api/v1/disputes/{dispute}/decision", headers=world.headers["qa"],
                          json={"outcome": "upheld", "reason": "The quote is in the photos."})
    assert decided.status_code == 200, decided.get_json()
    assert wait_for_background(30)

    by_type = {r.json["type"]: r.json for r in receiver.received}
    assert sorted(by_type) == ["dispute.decided", "dispute.filed", "score.revised"]
    assert len(receiver.received) == 3  # audit.published is not subscribed
    assert by_type["dispute.filed"]["data"]["dispute_id"] == dispute
    assert by_type["dispute.filed"]["data"]["item"] == "written_quote"
    revised = by_type["score.revised"]["data"]
    # Upheld: the quote passes, no knock-out; negotiation (3·1 + 1·0.75)/4 = 93.75, overall (2·100 + 93.75)/3.
    assert (revised["score_version"], revised["previous_version"], revised["previous_overall"]) == (2, 1, 0)
    assert revised["overall"] == pytest.approx(97.9167, abs=1e-4) and revised["knockouts"] == []
    assert revised["dispute_id"] == dispute
    decision = by_type["dispute.decided"]["data"]
    assert (decision["outcome"], decision["stage"], decision["score_version"]) == ("upheld", "qa", 2)
    assert len({r.json["id"] for r in receiver.received}) == 3


def test_the_request_schemas_read_every_value_through_the_bounded_fields():
    """As tests/api/test_input_rules.py checks for api/schemas.py: no unbounded marshmallow field."""
    from marshmallow import RAISE, Schema, fields

    from auditapp.api import fields as api_fields
    from auditapp.api import webhooks as webhooks_api

    bounded = (api_fields.TextRule, api_fields.Int, api_fields.Day, api_fields.Moment, api_fields.FreeJson)
    unbounded = (fields.String, fields.Integer, fields.Date, fields.DateTime, fields.Raw, fields.Dict)
    request_schemas = [s for s in vars(webhooks_api).values() if isinstance(s, type) and issubclass(s, Schema)
                       and getattr(s.Meta, "unknown", None) == RAISE]
    assert {s.__name__ for s in request_schemas} >= {"WebhookCreateSchema", "WebhookUpdateSchema", "DeliveryArgsSchema"}
    loaded = [(s.__name__, name, f) for s in request_schemas for name, field in s._declared_fields.items()
              for f in filter(None, [field, getattr(field, "inner", None)])]
    assert [(s, name) for s, name, f in loaded if isinstance(f, unbounded) and not isinstance(f, bounded)] == []


def test_a_corrective_action_raised_at_publication_sends_action_changed(outbox_app, receiver):
    """The knock-out of the published visit raises an action (services/actions); its change reaches the
    subscribers of `action.changed`, with the item and the dealer, never the shopper."""
    world = seed(outbox_app)
    _subscribe(outbox_app, world, receiver.url, ["action.changed"])
    r = outbox_app.test_client().post(f"/api/v1/audits/{world.ids['audit']}/approve", headers=world.headers["qa"],
                                      json={})
    assert r.status_code == 200, r.get_json()
    assert wait_for_background(30)
    raised = [got.json["data"] for got in receiver.received if got.json["data"]["item"] == "written_quote"]
    assert [event["change"] for event in raised] == ["action_raised"]
    [event] = raised
    assert event["status"] == "open" and event["origin"] == "knockout" and event["program"] == "mini_ko"
    assert event["dealer"]["code"] == "BJ01" and event["before"] is None and event["after"]["status"] == "open"
    assert all(got.headers["X-Auditapp-Event"] == "action.changed" for got in receiver.received)
    assert not any("Wang Fang" in got.body.decode() or "shopper@x.cn" in got.body.decode()
                   for got in receiver.received)
