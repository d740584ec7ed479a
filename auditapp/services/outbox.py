"""The outbox: webhook deliveries and alert emails, written in the transaction of the change that caused
them and delivered after it commits, retried with back-off until delivered or given up.

Writing the row with the change makes an event impossible to lose (a receiver that is down only delays
it) and impossible to send for a change that was rolled back. Sending is never done inside a
transaction or a request:

- the first attempt runs in the side-effects background thread once the transaction commits
  (`side_effects.after_commit`), so the response never waits for a receiver;
- retries run from `run_due`: `auditapp outbox run [--loop]` (cron, systemd, a sidecar) and, in each
  server process, a `Poller` thread every `OUTBOX_POLL_SECONDS`.

`deliver` (one row) and `run_due` (every due row) are plain functions of an engine and the settings,
so a job queue's task can call them as they are.

Runners never deliver the same row at once: a runner first *claims* rows (a lease of `LEASE` with a
token of its own) — `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, an atomic `UPDATE … WHERE` the
row is still unclaimed on SQLite — sends outside any transaction, then records the outcome only if it
still holds the claim. A runner that dies mid-send leaves a lease that expires, and the row is sent
again: delivery is exactly once per event to a receiver that answers, at least once when an answer is
lost; receivers dedupe on the event id.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import os
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from ..models import OutboxMessage, WebhookSubscription, utcnow
from . import side_effects
from .mail import Mail, send_all

log = logging.getLogger(__name__)

# The wait after each failed attempt: 7 attempts spread over about 20 hours (1 + 5 + 30 min, 2 + 6 + 12 h),
# so a receiver down for a night's maintenance still gets every event; then the row is given up (failed).
RETRY_DELAYS: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                                       timedelta(hours=2), timedelta(hours=6), timedelta(hours=12))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Per network operation of a webhook delivery: a receiver that answers slower is treated as down.
DELIVERY_TIMEOUT_S = 10
# How long a claim holds: longer than any one send (the timeout, an SMTP session), short enough that a
# row whose runner died is retried soon.
LEASE = timedelta(minutes=5)
BATCH = 50
ERROR_CHARS = 2000  # what the delivery log keeps of an error
SIGNATURE_HEADER = "X-Auditapp-Signature"


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header: HMAC-SHA256 of the raw body with the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after the `attempts`-th failed attempt; None once the last one has failed."""
    return RETRY_DELAYS[attempts - 1] if attempts < MAX_ATTEMPTS else None


# --- queueing (inside the caller's transaction) -----------------------------------------------------------

def enqueue_webhook(session: Session, subscription_id: int, event_id: uuid.UUID, event_type: str,
                    body: str) -> OutboxMessage:
    message = OutboxMessage(kind="webhook", subscription_id=subscription_id, event_id=event_id,
                            event_type=event_type, body=body)
    return _enqueue(session, message, None)


def enqueue_email(session: Session, mail: Mail, event_id: uuid.UUID, event_type: str,
                  mail_config: Mapping[str, Any]) -> OutboxMessage:
    """An email in the outbox; `mail_config` (the SMTP settings) serves its first attempt, later passes
    use their own settings."""
    message = OutboxMessage(kind="alert_email", recipient=mail.to, event_id=event_id, event_type=event_type,
                            body=json.dumps({"to": mail.to, "subject": mail.subject, "text": mail.body},
                                            ensure_ascii=False))
    return _enqueue(session, message, dict(mail_config))


def _enqueue(session: Session, message: OutboxMessage, config: Mapping[str, Any] | None) -> OutboxMessage:
    now = utcnow()
    # The id is made here rather than at the flush: the row is written with the caller's other changes
    # (at its next flush or the commit), without a round trip of its own.
    message.id = message_id = uuid.uuid4()
    message.status, message.attempts = "pending", 0
    message.next_attempt_at = message.created_at = message.updated_at = now
    session.add(message)
    engine = session.get_bind().engine
    side_effects.after_commit(session, f"first delivery of outbox message {message_id}",
                              lambda: _first_attempt(engine, message_id, config or {}))
    return message


# With a job queue (auditapp/jobs.py, when a broker is configured) a worker makes the first attempt: set
# at start-up to a function that enqueues one delivery by its row's id; None delivers in this process.
job_queue: Callable[[uuid.UUID], object] | None = None


def _first_attempt(engine: Engine, message_id: uuid.UUID, config: Mapping[str, Any]) -> None:
    if job_queue is not None:
        job_queue(message_id)
    else:
        deliver(engine, message_id, config)


# --- claiming ---------------------------------------------------------------------------------------------

def _due(now: datetime) -> Any:
    return ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now)
            & or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))


def claim(engine: Engine, now: datetime | None = None, *, limit: int = BATCH,
          ids: list[uuid.UUID] | None = None) -> tuple[str, list[uuid.UUID]]:
    """Claim up to `limit` due rows (of `ids` only, when given) for one runner: (its token, the rows)."""
    now = now or utcnow()
    token = uuid.uuid4().hex
    query = select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.next_attempt_at).limit(limit)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            with session.begin():
                claimed = list(session.scalars(query.with_for_update(skip_locked=True)))
                if claimed:
                    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(claimed))
                                    .values(claimed_until=now + LEASE, claim_token=token))
            return token, claimed
        # SQLite: look first without the write lock (most passes find nothing, and rows another
        # connection has not committed are invisible); then one UPDATE whose WHERE re-checks that each
        # row is still due and unclaimed, so of two runners racing for a row only one gets it.
        with session.begin():
            candidates = list(session.scalars(query))
        if not candidates:
            return token, []
        with session.begin():
            session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(candidates), _due(now))
                            .values(claimed_until=now + LEASE, claim_token=token)
                            .execution_options(synchronize_session=False))
            claimed = list(session.scalars(select(OutboxMessage.id).where(
                OutboxMessage.id.in_(candidates), OutboxMessage.claim_token == token)))
        return token, claimed


# --- sending ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    ok: bool
    http_status: int | None = None
    error: str | None = None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is not a delivery: the receiver's URL is the subscription's, not wherever it points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post_webhook(url: str, secret: str, body: str, *, event_type: str, delivery_id: uuid.UUID,
                 timeout: float = DELIVERY_TIMEOUT_S) -> Outcome:
    raw = body.encode("utf-8")
    request = urllib.request.Request(url, data=raw, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "auditapp-webhooks/1",
        SIGNATURE_HEADER: signature(secret, raw), "X-Auditapp-Event": event_type,
        "X-Auditapp-Delivery": str(delivery_id)})
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
            response.read(65536)
    except urllib.error.HTTPError as error:  # any status urllib does not count as success
        return Outcome(False, error.code, f"HTTP {error.code} {error.reason}")
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        return Outcome(False, None, f"{type(error).__name__}: {reason}")
    if 200 <= status < 300:
        return Outcome(True, status)
    return Outcome(False, status, f"HTTP {status}")


def _send(message: OutboxMessage, subscription: WebhookSubscription | None, config: Mapping[str, Any]) -> Outcome:
    if message.kind == "webhook":
        assert subscription is not None
        return post_webhook(subscription.url, subscription.secret, message.body, event_type=message.event_type,
                            delivery_id=message.id)
    mail = json.loads(message.body)
    try:
        send_all(config, [Mail(to=mail["to"], subject=mail["subject"], body=mail["text"])])
    except Exception as error:  # noqa: BLE001  (mail server down, refusing, misconfigured: all retried)
        return Outcome(False, None, f"{type(error).__name__}: {error}")
    return Outcome(True)


def _attempt(engine: Engine, message_id: uuid.UUID, token: str, config: Mapping[str, Any],
             now: datetime | None) -> str | None:
    """Send one claimed row and record the outcome; its status afterwards (None: the row was deleted
    with its subscription meanwhile, and there is nothing to send)."""
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            message = session.get(OutboxMessage, message_id)
            subscription = message.subscription if message is not None else None
        if message is None or (message.kind == "webhook" and subscription is None):
            return None
        outcome = _send(message, subscription, config)
        attempts = message.attempts + 1
        when = now or utcnow()
        values: dict[str, Any] = {"attempts": attempts, "claimed_until": None, "claim_token": None,
                                  "updated_at": when, "last_http_status": outcome.http_status}
        if outcome.ok:
            values.update(status="delivered", delivered_at=when)
        else:
            delay = retry_delay(attempts)
            values.update(last_error=(outcome.error or "")[:ERROR_CHARS],
                          **({"status": "failed"} if delay is None else {"next_attempt_at": when + delay}))
        with session.begin():
            recorded = session.connection().execute(update(OutboxMessage).where(
                OutboxMessage.id == message_id, OutboxMessage.claim_token == token).values(**values)).rowcount
    if not recorded:
        log.warning("outbox message %s: the claim expired before its outcome was recorded", message_id)
    status: str = values.get("status", "pending")
    if status == "failed":
        log.error("outbox message %s given up after %d attempts: %s", message_id, attempts, outcome.error)
    return status


def deliver(engine: Engine, message_id: uuid.UUID, config: Mapping[str, Any],
            now: datetime | None = None) -> str | None:
    """Attempt one queued row if it is due and nobody holds it; its status afterwards, None if not taken.

    The unit a job queue's task calls (with the row's id): idempotent, since a delivered, given-up or
    claimed row is not taken."""
    token, claimed = claim(engine, now, ids=[message_id], limit=1)
    if not claimed:
        return None
    return _attempt(engine, message_id, token, config, now)


def run_due(engine: Engine, config: Mapping[str, Any], now: datetime | None = None, *,
            limit: int = BATCH) -> dict[str, int]:
    """One pass: claim the due rows (at most `limit`) and attempt each; how many ended in each status."""
    token, claimed = claim(engine, now, limit=limit)
    counts = {"delivered": 0, "pending": 0, "failed": 0}
    for message_id in claimed:
        status = _attempt(engine, message_id, token, config, now)
        if status is not None:
            counts[status] += 1
    return counts


class Poller:
    """A daemon thread per server process that runs a pass every `interval` seconds, so retries fall
    due without any request or external scheduler. Started at most once per process (a forked worker
    starts its own)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        return self._pid == os.getpid()

    def start(self, interval: float, run: Callable[[], object]) -> bool:
        with self._lock:
            if self._pid == os.getpid():
                return False
            self._pid = os.getpid()
            self._stop = threading.Event()
            stop = self._stop
        thread = threading.Thread(target=self._loop, args=(interval, run, stop), daemon=True,
                                  name="auditapp-outbox-poller")
        thread.start()
        return True

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            self._pid = None

    @staticmethod
    def _loop(interval: float, run: Callable[[], object], stop: threading.Event) -> None:
        while not stop.wait(interval):
            try:
                run()
            except Exception:
                log.exception("outbox pass failed")
