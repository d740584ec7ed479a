"""QA review: the review sheet of an audit, approving it (publishing, with score version 1) or returning
it to the shopper."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..checklists.answers import visible_items
from ..checklists.model import Checklist, Item, Section
from ..config import DEFAULTS
from ..constants import STAFF_ROLES
from ..errors import Conflict, InvalidInput
from ..messages import Message
from ..models import Attachment, Audit, Dealer, User, Wave, utcnow
from . import actions, webhooks
from .access import require_role
from .alerts import AlertPolicy, queue_publication_alerts
from .audits import get_audit
from .checklists import checklist_of
from .events import record_event
from .flags import haversine_m
from .score_versions import answers_of, store_score_version


def _ensure_submitted(audit: Audit, refusal: str) -> None:
    if audit.status != "submitted":
        raise Conflict(refusal, {"status": [audit.status]}, status=audit.status)


def approve(session: Session, reviewer: User, audit: Audit, notes: str | None = None,
            alerts: AlertPolicy | None = None, *, action_policy: actions.ActionPolicy | None = None,
            min_ranked: int | None = None) -> Audit:
    """Approved audits are published at once: counted in scores and visible to the dealer, and turned
    into corrective actions (services/actions.on_publication; the configured defaults unless given).

    The publication is announced in its own transaction: `audit.published` to the webhook subscribers,
    and, under an alert policy, an instant alert to the region's managers (both through the outbox)."""
    require_role(reviewer, "qa", "admin")
    _ensure_submitted(audit, "review.not_submitted_approve")
    before = {"status": audit.status}
    now = utcnow()
    audit.status = "published"
    audit.published_at = now
    if notes:
        audit.review_notes = notes
    version = store_score_version(session, audit, reviewer, "approved by QA")
    record_event(session, audit, reviewer, "approved", before,
                 {"status": "published", "score_version": version.version, "overall": version.overall}, notes)
    session.flush()
    webhooks.audit_published(session, audit, version)
    if alerts is not None:
        queue_publication_alerts(session, audit, version, alerts)
    actions.on_publication(session, audit, action_policy or actions.ActionPolicy.from_config(DEFAULTS),
                           min_ranked=DEFAULTS["MIN_RANKED_AUDITS"] if min_ranked is None else min_ranked, now=now)
    return audit


def return_to_shopper(session: Session, reviewer: User, audit: Audit, notes: str,
                      item_notes: Mapping[str, str] | None = None) -> Audit:
    """Back to the shopper with an overall note and, optionally, notes on single items of its checklist.
    The item notes of an earlier return are replaced (the shopper has answered those), none kept beside."""
    require_role(reviewer, "qa", "admin")
    _ensure_submitted(audit, "review.not_submitted_return")
    items = checklist_of(audit.checklist_version).items
    unknown = [key for key in item_notes or {} if key not in items]
    if unknown:
        raise InvalidInput("review.item_notes_unknown_items", {"item_notes": {
            key: [Message("review.item_not_in_checklist", item=key)] for key in unknown}}, items=unknown)
    # In the checklist's order, so that every reader lists them as the shopper meets the items.
    ordered = {key: item_notes[key] for key in items if item_notes and key in item_notes}
    before = {"status": audit.status, "review_notes": audit.review_notes, "item_notes": audit.review_item_notes}
    audit.status = "returned"
    audit.review_notes = notes
    audit.review_item_notes = ordered or None
    record_event(session, audit, reviewer, "returned", before,
                 {"status": "returned", "review_notes": notes, "item_notes": ordered}, notes)
    session.flush()
    return audit


# --- what QA reads before deciding: the review sheet ----------------------------------------------------

@dataclass(frozen=True)
class ItemLine:
    item: Item
    answer: dict[str, Any]  # {value, na, comment, attachments}; empty when not answered
    shown: bool  # False when show_if hid it: not asked, not scored
    note: str | None  # QA's note at the last return


@dataclass(frozen=True)
class SectionLines:
    section: Section
    items: list[ItemLine]


@dataclass(frozen=True)
class VisitProof:
    """The visit as the phone reported it and the server received it, in the dealer's local time."""
    timezone: str
    started_local: datetime | None
    ended_local: datetime | None
    minutes: float | None
    min_minutes: int
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None
    distance_m: float | None  # from the dealer's location; None without both positions
    device_time_local: datetime | None
    received_local: datetime | None
    clock_skew_seconds: float | None  # device clock minus server receive time


@dataclass(frozen=True)
class ReviewSheet:
    audit: Audit
    checklist: Checklist
    sections: list[SectionLines]
    flags: list[dict[str, Any]]
    proof: VisitProof
    attachments: dict[str, Attachment]  # the audit's files by SHA-256 (content type, name, uploader)


def review_sheet(session: Session, user: User, audit_id: uuid.UUID) -> ReviewSheet:
    """Everything QA weighs on one audit: answers by section with comments and evidence, the quality
    flags and the visit proof. For the agency only (it names the shopper's behaviour)."""
    require_role(user, *STAFF_ROLES)
    audit = get_audit(session, user, audit_id)
    checklist = checklist_of(audit.checklist_version)
    answers = answers_of(session, audit)
    shown = visible_items(checklist, answers)
    notes = audit.review_item_notes or {}
    sections = [SectionLines(section, [ItemLine(item, answers.get(item.key, {}), item.key in shown,
                                                notes.get(item.key)) for item in section.items])
                for section in checklist.sections]
    files = {a.sha256: a for a in session.scalars(select(Attachment).where(Attachment.audit_id == audit.id))}
    return ReviewSheet(audit, checklist, sections, list(audit.flags or []), visit_proof(audit, checklist), files)


def visit_proof(audit: Audit, checklist: Checklist) -> VisitProof:
    zone = ZoneInfo(audit.dealer.timezone)

    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(zone) if moment is not None else None

    started, ended = audit.visit_started_at, audit.visit_ended_at
    lat, lon, dealer = audit.checkin_latitude, audit.checkin_longitude, audit.dealer
    distance = (haversine_m((lat, lon), (dealer.latitude, dealer.longitude))
                if lat is not None and lon is not None and dealer.latitude is not None
                and dealer.longitude is not None else None)
    skew = ((audit.device_time_at_submit - audit.submitted_at).total_seconds()
            if audit.device_time_at_submit is not None and audit.submitted_at is not None else None)
    return VisitProof(
        timezone=audit.dealer.timezone, started_local=local(started), ended_local=local(ended),
        minutes=(ended - started).total_seconds() / 60 if started is not None and ended is not None else None,
        min_minutes=checklist.min_visit_minutes, latitude=audit.checkin_latitude,
        longitude=audit.checkin_longitude, accuracy_m=audit.checkin_accuracy_m, distance_m=distance,
        device_time_local=local(audit.device_time_at_submit), received_local=local(audit.submitted_at),
        clock_skew_seconds=skew)


@dataclass(frozen=True)
class QueueChoices:
    """What QA's queue can be filtered by: every wave, dealer and shopper (the agency sees them all)."""
    waves: list[Wave]
    dealers: list[Dealer]
    shoppers: list[User]


def queue_choices(session: Session, user: User) -> QueueChoices:
    require_role(user, *STAFF_ROLES)
    return QueueChoices(
        waves=list(session.scalars(select(Wave).order_by(Wave.starts_on.desc(), Wave.code))),
        dealers=list(session.scalars(select(Dealer).order_by(Dealer.code))),
        shoppers=list(session.scalars(select(User).where(User.role == "shopper")
                                      .order_by(User.display_name, User.id))))
