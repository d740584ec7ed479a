"""Assigning audits to shoppers, and finding audits as a given user may see them."""
from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..models import Audit, AuditEvent, AuditFlag, ChecklistVersion, Dealer, User, Wave
from .access import audit_filter, ensure_audit_visible, sees_flags
from .checklists import get_version


def assign(session: Session, actor: User, *, dealer_id: int, wave_id: int, checklist: dict[str, Any],
           shopper_id: int, visit_window_start: date, visit_window_end: date, rotation_days: int) -> Audit:
    problems: dict[str, list[str]] = {}
    dealer = session.get(Dealer, dealer_id)
    if dealer is None:
        problems["dealer_id"] = [f"no dealer {dealer_id}"]
    if session.get(Wave, wave_id) is None:
        problems["wave_id"] = [f"no wave {wave_id}"]
    shopper = session.get(User, shopper_id)
    if shopper is None or shopper.role != "shopper" or not shopper.active:
        problems["shopper_id"] = [f"user {shopper_id} is not an active shopper"]
    try:
        version = get_version(session, checklist["key"], checklist["version"])
    except NotFound as exc:
        problems["checklist"] = [exc.message]
    if problems:
        raise InvalidInput("cannot assign this audit", problems)
    _check_rotation(session, shopper_id, dealer_id, visit_window_start, visit_window_end, rotation_days)
    audit = Audit(id=uuid.uuid4(), dealer_id=dealer_id, wave_id=wave_id, checklist_version_id=version.id,
                  shopper_id=shopper_id, visit_window_start=visit_window_start,
                  visit_window_end=visit_window_end, status="assigned", flags=[])
    session.add(audit)
    session.flush()
    record_event(session, audit, actor, "assigned", None, {"status": "assigned"})
    return audit


def _check_rotation(session: Session, shopper_id: int, dealer_id: int, start: date, end: date,
                    rotation_days: int) -> None:
    """A shopper the dealer's staff have seen recently would be recognised: keep visits apart."""
    gap = timedelta(days=rotation_days)
    clash = session.scalar(
        select(Audit).where(Audit.shopper_id == shopper_id, Audit.dealer_id == dealer_id,
                            Audit.visit_window_start < end + gap, Audit.visit_window_end > start - gap)
        .order_by(Audit.visit_window_start).limit(1))
    if clash is not None:
        raise Conflict(
            f"this shopper already has a visit to this dealer within {rotation_days} days "
            f"({clash.visit_window_start.isoformat()} to {clash.visit_window_end.isoformat()})",
            {"shopper_id": [f"rotation rule: at least {rotation_days} days between visits to the same dealer"]})


def record_event(session: Session, audit: Audit | None, actor: User | None, kind: str,
                 before: dict[str, Any] | None, after: dict[str, Any] | None, note: str | None = None,
                 dispute: Any = None) -> None:
    session.add(AuditEvent(audit_id=audit.id if audit else None, dispute_id=dispute.id if dispute else None,
                           actor_id=actor.id if actor else None, kind=kind, before=before, after=after, note=note))


def find_audits(session: Session, user: User, *, status: str | None = None, wave_id: int | None = None,
                dealer_id: int | None = None, flag: str | None = None, page: int = 1,
                per_page: int = 50) -> tuple[list[Audit], int]:
    where = [audit_filter(user)]
    if flag is not None:
        if not sees_flags(user):
            raise Forbidden("filtering by quality flag is for QA and admin")
        where.append(Audit.id.in_(select(AuditFlag.audit_id).where(AuditFlag.code == flag)))
    if status:
        where.append(Audit.status == status)
    if wave_id:
        where.append(Audit.wave_id == wave_id)
    if dealer_id:
        where.append(Audit.dealer_id == dealer_id)
    total = session.scalar(select(func.count()).select_from(Audit).where(*where)) or 0
    audits = list(session.scalars(
        select(Audit).where(*where).options(joinedload(Audit.checklist_version), joinedload(Audit.shopper))
        .order_by(Audit.visit_window_start, Audit.created_at, Audit.id)
        .offset((page - 1) * per_page).limit(per_page)))
    return audits, total


def get_audit(session: Session, user: User, audit_id: uuid.UUID, *, for_update: bool = False) -> Audit:
    # The checklist version is read with the audit (every caller needs its checklist), without its
    # document: checklists.checklist_of parses a version once per process and reads it only then.
    query = select(Audit).where(Audit.id == audit_id).options(
        joinedload(Audit.dealer), joinedload(Audit.checklist_version).defer(ChecklistVersion.document))
    if for_update:
        query = query.with_for_update(of=Audit)
    return ensure_audit_visible(user, session.scalar(query))
