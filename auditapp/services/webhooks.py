"""Webhooks (DESIGN 11): events pushed to the agency's and the OEM's own systems, and the subscriptions
(admin only) that say where.

`emit` queues one delivery per active subscription to the event, in the caller's transaction; the
outbox (services/outbox.py) delivers it after the commit, signed and retried. Payloads describe audits,
scores and disputes by ids, codes and figures: never who the shopper was."""
from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..constants import WEBHOOK_EVENTS
from ..errors import InvalidInput, NotFound
from ..messages import Message
from ..models import Action, Audit, Dispute, OutboxMessage, ScoreVersion, User, WebhookSubscription, utcnow
from . import access, outbox

URL_MAX = 2000
SECRET_MIN, SECRET_MAX = 16, 200
DELIVERY_LOG_MAX = 500


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def event_body(event_id: uuid.UUID, event_type: str, created_at: datetime, data: Mapping[str, Any]) -> str:
    return json.dumps({"id": str(event_id), "type": event_type, "created_at": created_at.isoformat(),
                       "data": data}, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def emit(session: Session, event_type: str, payload: Mapping[str, Any]) -> uuid.UUID | None:
    """Queue the event for every active subscription to it; its event id, None when nobody subscribes."""
    if event_type not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event_type!r}")
    targets = [s for s in session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.active.is_(True)).order_by(WebhookSubscription.id)) if event_type in s.events]
    if not targets:
        return None
    event_id = uuid.uuid4()
    body = event_body(event_id, event_type, utcnow(), payload)
    for subscription in targets:
        outbox.enqueue_webhook(session, subscription.id, event_id, event_type, body)
    return event_id


# --- what each event says ---------------------------------------------------------------------------------

def _visit_date(audit: Audit) -> str | None:
    moment = audit.visit_started_at or audit.submitted_at
    return moment.astimezone(ZoneInfo(audit.dealer.timezone)).date().isoformat() if moment else None


def _audit_ref(audit: Audit) -> dict[str, Any]:
    dealer = audit.dealer
    return {"audit_id": str(audit.id), "dealer": {"id": dealer.id, "code": dealer.code},
            "region": {"id": dealer.region_id, "code": dealer.region.code},
            "wave": {"id": audit.wave_id, "code": audit.wave.code},
            "program": audit.checklist_version.key, "checklist_version": audit.checklist_version.version,
            "visit_date": _visit_date(audit)}


def _score_figures(version: ScoreVersion) -> dict[str, Any]:
    cost = version.score.get("knockout_cost", {})
    return {"score_version": version.version, "overall": version.overall, "overall_raw": version.overall_raw,
            "knockouts": [{"item": k["item"], "scope": k["scope"], "section": k["section"],
                           "cost": cost.get(k["item"])} for k in version.score.get("knockouts", [])]}


def audit_published(session: Session, audit: Audit, version: ScoreVersion) -> uuid.UUID | None:
    return emit(session, "audit.published", {**_audit_ref(audit), "published_at": audit.published_at,
                                             **_score_figures(version)})


def score_revised(session: Session, audit: Audit, version: ScoreVersion, previous: ScoreVersion | None,
                  dispute: Dispute | None) -> uuid.UUID | None:
    return emit(session, "score.revised", {
        **_audit_ref(audit), **_score_figures(version), "revised_at": version.created_at,
        "previous_version": previous.version if previous else None,
        "previous_overall": previous.overall if previous else None,
        "dispute_id": dispute.id if dispute else None})


def _dispute_ref(dispute: Dispute) -> dict[str, Any]:
    return {"dispute_id": dispute.id, **_audit_ref(dispute.audit), "item": dispute.item_key,
            "requested_outcome": dispute.requested_outcome, "status": dispute.status, "filed_at": dispute.filed_at}


def dispute_filed(session: Session, dispute: Dispute) -> uuid.UUID | None:
    return emit(session, "dispute.filed", _dispute_ref(dispute))


def dispute_decided(session: Session, dispute: Dispute, stage: str) -> uuid.UUID | None:
    """`stage`: "qa" (QA's decision) or "final" (the manager's decision on an escalation)."""
    return emit(session, "dispute.decided", {
        **_dispute_ref(dispute), "stage": stage, "outcome": dispute.status,
        "decided_at": dispute.final_decided_at if stage == "final" else dispute.qa_decided_at,
        "score_version": dispute.score_version})


# --- subscriptions (admin) --------------------------------------------------------------------------------

def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if (len(url) > URL_MAX or parts.scheme not in ("http", "https") or not parts.hostname
            or any(c.isspace() for c in url)):
        raise InvalidInput("webhook.bad_url", {"url": [Message("webhook.url_http_only", max=URL_MAX)]})
    return url


def _check_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if not events or unknown:
        raise InvalidInput("webhook.bad_events", {"events": [Message(
            "webhook.events_one_of", events=", ".join(WEBHOOK_EVENTS))]})
    return list(dict.fromkeys(events))


def _check_secret(secret: str | None) -> str:
    if secret is None:
        return secrets.token_urlsafe(32)
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise InvalidInput("webhook.bad_secret", {"secret": [Message(
            "webhook.secret_length", min=SECRET_MIN, max=SECRET_MAX)]})
    return secret


def list_subscriptions(session: Session, user: User) -> list[WebhookSubscription]:
    access.require_webhook_admin(user)
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def get_subscription(session: Session, user: User, subscription_id: int) -> WebhookSubscription:
    access.require_webhook_admin(user)
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound("webhook.no_such_subscription")
    return subscription


def create_subscription(session: Session, user: User, *, url: str, events: list[str], active: bool = True,
                        secret: str | None = None) -> WebhookSubscription:
    access.require_webhook_admin(user)
    subscription = WebhookSubscription(url=_check_url(url), events=_check_events(events), active=active,
                                       secret=_check_secret(secret), created_by_id=user.id)
    session.add(subscription)
    session.flush()
    return subscription


def update_subscription(session: Session, user: User, subscription_id: int,
                        data: Mapping[str, Any]) -> tuple[WebhookSubscription, str | None]:
    """The subscription, and its new secret when `rotate_secret` asked for one (shown this once)."""
    subscription = get_subscription(session, user, subscription_id)
    if "url" in data:
        subscription.url = _check_url(data["url"])
    if "events" in data:
        subscription.events = _check_events(data["events"])
    if "active" in data:
        subscription.active = data["active"]
    new_secret = None
    if data.get("rotate_secret") or data.get("secret") is not None:
        subscription.secret = new_secret = _check_secret(data.get("secret"))
    subscription.updated_at = utcnow()
    session.flush()
    return subscription, new_secret


def delete_subscription(session: Session, user: User, subscription_id: int) -> None:
    """The subscription goes with its delivery log and whatever it still had queued."""
    subscription = get_subscription(session, user, subscription_id)
    session.execute(delete(OutboxMessage).where(OutboxMessage.subscription_id == subscription.id))
    session.delete(subscription)
    session.flush()


def deliveries(session: Session, user: User, subscription_id: int, *, status: str | None = None,
               limit: int = 100) -> list[OutboxMessage]:
    """The subscription's delivery log, newest first."""
    subscription = get_subscription(session, user, subscription_id)
    query = (select(OutboxMessage).where(OutboxMessage.subscription_id == subscription.id)
             .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id).limit(min(limit, DELIVERY_LOG_MAX)))
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(session.scalars(query))


def action_changed(session: Session, action: Action, kind: str, before: Mapping[str, Any] | None,
                   after: Mapping[str, Any]) -> uuid.UUID | None:
    """A corrective action raised, planned, submitted, accepted, returned or verified: its dealer, wave,
    program and item, what changed (the plan's state before and after), never who the shoppers were."""
    return emit(session, "action.changed", {
        "action_id": action.id, "change": kind, "status": action.status, "origin": action.origin,
        "dealer": {"id": action.dealer_id, "code": action.dealer.code}, "wave_id": action.wave_id,
        "program": action.program, "item": action.item_key, "due_on": action.due_on,
        "before": before, "after": after})
