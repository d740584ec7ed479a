"""The outbox delivers webhooks signed, retries them with back-off until delivered or given up, and never
lets two runners send the same row — against a real local HTTP receiver, on a database of its own
(delivery runs on connections of its own, which see only committed rows)."""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
import uuid
from datetime import timedelta

import pytest
from fixtures.outbox import Receiver, seed
from sqlalchemy import select

from auditapp.extensions import db
from auditapp.models import OutboxMessage, User, WebhookSubscription, utcnow
from auditapp.services import outbox, webhooks


def subscribe(app, url: str, events=("dispute.filed",), secret: str = "a shared secret of the receiver") -> int:
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        subscription = webhooks.create_subscription(db.session, admin, url=url, events=list(events), secret=secret)
        db.session.commit()
        return subscription.id


def emit(app, event_type: str = "dispute.filed", data=None):
    with app.app_context():
        event_id = webhooks.emit(db.session, event_type, data or {"dispute_id": 7})
        db.session.commit()
        return event_id


def rows(app) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)))
        db.session.expunge_all()
        return found


def run(app, now=None):
    with app.app_context():
        return outbox.run_due(db.engine, app.config, now)


def test_a_delivery_is_signed_with_the_subscriptions_secret(outbox_app, receiver):
    seed(outbox_app)
    subscribe(outbox_app, receiver.url, secret="s3cret-of-the-OEM-system")
    event_id = emit(outbox_app, "dispute.filed", {"dispute_id": 7, "item": "written_quote"})
    assert run(outbox_app) == {"delivered": 1, "pending": 0, "failed": 0}

    [got] = receiver.received
    expected = hmac.new(b"s3cret-of-the-OEM-system", got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Auditapp-Signature"] == f"sha256={expected}"
    assert got.headers["X-Auditapp-Event"] == "dispute.filed"
    [row] = rows(outbox_app)
    assert got.headers["X-Auditapp-Delivery"] == str(row.id)
    assert got.json["id"] == str(event_id) and got.json["type"] == "dispute.filed"
    assert got.json["data"] == {"dispute_id": 7, "item": "written_quote"} and got.json["created_at"]
    # A different secret does not verify: the signature is of this body with this secret.
    assert hmac.new(b"another secret", got.body, hashlib.sha256).hexdigest() != expected
    assert (row.status, row.attempts, row.last_http_status, row.delivered_at is not None) == ("delivered", 1, 200,
                                                                                              True)


def test_only_active_subscriptions_to_the_event_get_it(outbox_app, receiver):
    seed(outbox_app)
    wanted = subscribe(outbox_app, receiver.url, events=("dispute.filed", "audit.published"))
    subscribe(outbox_app, receiver.url, events=("score.revised",))
    paused = subscribe(outbox_app, receiver.url, events=("dispute.filed",))
    with outbox_app.app_context():
        db.session.get(WebhookSubscription, paused).active = False
        db.session.commit()
    emit(outbox_app, "dispute.filed")
    assert [r.subscription_id for r in rows(outbox_app)] == [wanted]
    with outbox_app.app_context(), pytest.raises(ValueError):
        webhooks.emit(db.session, "audit.deleted", {})


def test_a_receiver_down_for_three_tries_gets_the_event_once_on_the_fourth(outbox_app, down_receiver):
    seed(outbox_app)
    subscribe(outbox_app, down_receiver.url)
    event_id = emit(outbox_app)
    start = utcnow()

    assert run(outbox_app, start)["pending"] == 1  # 1st try: connection refused
    [row] = rows(outbox_app)
    assert row.attempts == 1 and "Connection refused" in row.last_error and row.last_http_status is None
    assert row.next_attempt_at == start + timedelta(minutes=1)
    assert sum(run(outbox_app, start + timedelta(seconds=59)).values()) == 0  # not due yet

    assert run(outbox_app, start + timedelta(minutes=1))["pending"] == 1  # 2nd try
    assert rows(outbox_app)[0].next_attempt_at == start + timedelta(minutes=1 + 5)
    assert run(outbox_app, start + timedelta(minutes=6))["pending"] == 1  # 3rd try
    assert rows(outbox_app)[0].next_attempt_at == start + timedelta(minutes=6 + 30)

    down_receiver.up()
    assert run(outbox_app, start + timedelta(minutes=36)) == {"delivered": 1, "pending": 0, "failed": 0}
    for later in (timedelta(hours=3), timedelta(days=2)):  # nothing is sent again
        assert sum(run(outbox_app, start + later).values()) == 0
    assert [r.json["id"] for r in down_receiver.received] == [str(event_id)]
    [row] = rows(outbox_app)
    assert (row.status, row.attempts) == ("delivered", 4)


def test_a_receiver_that_keeps_failing_is_given_up_after_seven_tries_over_most_of_a_day(outbox_app, receiver):
    seed(outbox_app)
    subscribe(outbox_app, receiver.url)
    receiver.status = 503
    emit(outbox_app)
    now = utcnow()
    waits = []
    for attempt in range(1, 8):
        counts = run(outbox_app, now)
        row = rows(outbox_app)[0]
        assert row.attempts == attempt and row.last_http_status == 503 and row.last_error.startswith("HTTP 503")
        if attempt < 7:
            assert counts["pending"] == 1
            waits.append(row.next_attempt_at - now)
            now = row.next_attempt_at
        else:
            assert counts["failed"] == 1 and row.status == "failed"
    assert waits == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                     timedelta(hours=6), timedelta(hours=12)]
    assert sum(waits, timedelta()) == timedelta(hours=20, minutes=36)
    assert len(receiver.received) == 7
    assert sum(run(outbox_app, now + timedelta(days=7)).values()) == 0  # given up means given up


def test_a_redirect_is_not_a_delivery(outbox_app, receiver):
    seed(outbox_app)
    subscribe(outbox_app, receiver.url)
    receiver.status = 302
    emit(outbox_app)
    run(outbox_app)
    [row] = rows(outbox_app)
    assert (row.status, row.attempts, row.last_http_status) == ("pending", 1, 302)


def test_a_slow_receiver_times_out():
    slow = Receiver().up()
    slow.delay = 2
    try:
        started = time.monotonic()
        outcome = outbox.post_webhook(slow.url, "secret", "{}", event_type="dispute.filed",
                                      delivery_id=uuid.uuid4(), timeout=0.5)
        assert time.monotonic() - started < 1.5
        assert not outcome.ok and "timed out" in outcome.error
    finally:
        slow.down()


def test_rows_claimed_by_one_runner_are_not_taken_by_another(outbox_app, receiver):
    seed(outbox_app)
    subscribe(outbox_app, receiver.url)
    for _ in range(3):
        emit(outbox_app)
    with outbox_app.app_context():
        now = utcnow()
        _, first = outbox.claim(db.engine, now)
        assert len(first) == 3
        assert outbox.claim(db.engine, now)[1] == []  # all three are held
        assert outbox.deliver(db.engine, first[0], {}, now) is None  # by id too
        # A runner that died leaves its lease, which expires: the row is tried again (at least once).
        _, again = outbox.claim(db.engine, now + outbox.LEASE + timedelta(seconds=1))
        assert sorted(again) == sorted(first)
    assert receiver.received == []


def test_runners_racing_deliver_each_event_exactly_once(outbox_app, receiver):
    seed(outbox_app)
    subscribe(outbox_app, receiver.url)
    receiver.delay = 0.05  # long enough for the runners to overlap
    events = [str(emit(outbox_app)) for _ in range(12)]
    barrier = threading.Barrier(3)
    totals: list[dict[str, int]] = []

    def runner() -> None:
        with outbox_app.app_context():
            barrier.wait()
            totals.append(outbox.run_due(db.engine, outbox_app.config, limit=5))
            totals.append(outbox.run_due(db.engine, outbox_app.config, limit=5))

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    run(outbox_app)  # whatever the racing passes left
    assert sorted(r.json["id"] for r in receiver.received) == sorted(events)
    assert {r.status for r in rows(outbox_app)} == {"delivered"}
    assert all(r.attempts == 1 for r in rows(outbox_app))


def test_deleting_a_subscription_drops_what_it_had_queued(outbox_app, down_receiver):
    seed(outbox_app)
    sid = subscribe(outbox_app, down_receiver.url)
    emit(outbox_app)
    run(outbox_app)
    with outbox_app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        webhooks.delete_subscription(db.session, admin, sid)
        db.session.commit()
    assert rows(outbox_app) == []


def test_the_server_process_retries_due_deliveries_by_itself(outbox_app, receiver):
    seed(outbox_app)
    subscribe(outbox_app, receiver.url)
    emit(outbox_app)  # committed outside any request: only a pass will send it
    outbox_app.config["OUTBOX_POLL_SECONDS"] = 0.2
    poller = outbox_app.extensions["auditapp.outbox_poller"]
    try:
        outbox_app.test_client().get("/health")  # the first request starts the process's poller
        deadline = time.monotonic() + 10
        while rows(outbox_app)[0].status != "delivered" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        poller.stop()
    assert rows(outbox_app)[0].status == "delivered"
    assert len(receiver.received) == 1


def test_a_row_deleted_with_its_subscription_while_claimed_is_skipped(outbox_app, receiver):
    seed(outbox_app)
    sid = subscribe(outbox_app, receiver.url)
    emit(outbox_app)
    with outbox_app.app_context():
        token, [claimed] = outbox.claim(db.engine)
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        webhooks.delete_subscription(db.session, admin, sid)
        db.session.commit()
        assert outbox._attempt(db.engine, claimed, token, {}, None) is None
    assert receiver.received == []
