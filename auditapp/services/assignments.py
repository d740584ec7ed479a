"""Assigning audits to shoppers, with the rotation rule that keeps a shopper unrecognised."""
from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidInput, NotFound
from ..messages import Message
from ..models import Audit, Dealer, User, Wave
from .checklists import get_version
from .events import record_event


def assign(session: Session, actor: User, *, dealer_id: int, wave_id: int, checklist: dict[str, Any],
           shopper_id: int, visit_window_start: date, visit_window_end: date, rotation_days: int) -> Audit:
    problems: dict[str, list[str]] = {}
    dealer = session.get(Dealer, dealer_id)
    if dealer is None:
        problems["dealer_id"] = [Message("ref.no_dealer", id=dealer_id)]
    if session.get(Wave, wave_id) is None:
        problems["wave_id"] = [Message("ref.no_wave", id=wave_id)]
    shopper = session.get(User, shopper_id)
    if shopper is None or shopper.role != "shopper" or not shopper.active:
        problems["shopper_id"] = [Message("assignment.not_active_shopper", id=shopper_id)]
    try:
        version = get_version(session, checklist["key"], checklist["version"])
    except NotFound as exc:
        problems["checklist"] = [exc.message]
    if problems:
        raise InvalidInput("assignment.cannot_assign", problems)
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
            "assignment.rotation_clash",
            {"shopper_id": [Message("assignment.rotation_rule", days=rotation_days)]},
            days=rotation_days, start=clash.visit_window_start.isoformat(), end=clash.visit_window_end.isoformat())
