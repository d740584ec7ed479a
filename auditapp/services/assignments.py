"""Assigning audits to shoppers, with the rotation rule that keeps a shopper unrecognised."""
from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any, overload

from sqlalchemy import ColumnElement, SQLColumnExpression, select
from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidInput, NotFound
from ..messages import Message
from ..models import Audit, Dealer, User, Wave
from .checklists import get_version
from .events import record_events


def assign(session: Session, actor: User, *, dealer_id: int, wave_id: int, checklist: dict[str, Any],
           shopper_id: int, visit_window_start: date, visit_window_end: date, rotation_days: int) -> Audit:
    problems: dict[str, list[str]] = {}
    dealer = session.get(Dealer, dealer_id)
    if dealer is None:
        problems["dealer_id"] = [Message("ref.no_dealer", id=dealer_id)]
    if session.get(Wave, wave_id) is None:
        problems["wave_id"] = [Message("ref.no_wave", id=wave_id)]
    shopper = session.get(User, shopper_id)
    if shopper is None or not is_assignable_shopper(shopper):
        problems["shopper_id"] = [Message("assignment.not_active_shopper", id=shopper_id)]
    try:
        version = get_version(session, checklist["key"], checklist["version"])
    except NotFound as exc:
        problems["checklist"] = [exc.message]
    if problems:
        raise InvalidInput("assignment.cannot_assign", problems)
    _check_rotation(session, shopper_id, dealer_id, visit_window_start, visit_window_end, rotation_days)
    audit = new_assignment(session, dealer_id=dealer_id, wave_id=wave_id, checklist_version_id=version.id,
                           shopper_id=shopper_id, visit_window_start=visit_window_start,
                           visit_window_end=visit_window_end)
    session.flush()
    record_assigned(session, actor, [audit])
    return audit


def is_assignable_shopper(user: User) -> bool:
    return user.role == "shopper" and user.active


def new_assignment(session: Session, *, dealer_id: int, wave_id: int, checklist_version_id: int, shopper_id: int,
                   visit_window_start: date, visit_window_end: date) -> Audit:
    """A new audit in status assigned (added, not flushed: a bulk plan flushes all of them at once)."""
    audit = Audit(id=uuid.uuid4(), dealer_id=dealer_id, wave_id=wave_id, checklist_version_id=checklist_version_id,
                  shopper_id=shopper_id, visit_window_start=visit_window_start,
                  visit_window_end=visit_window_end, status="assigned", flags=[])
    session.add(audit)
    return audit


def record_assigned(session: Session, actor: User | None, audits: list[Audit]) -> None:
    """The history's first event of each new audit (after the audits are flushed: the events refer to them)."""
    record_events(session, audits, actor, "assigned", None, {"status": "assigned"})


@overload
def rotation_clash(other_start: date, other_end: date, start: date, end: date, rotation_days: int) -> bool: ...


@overload
def rotation_clash(other_start: SQLColumnExpression[date], other_end: SQLColumnExpression[date], start: date, end: date,
                   rotation_days: int) -> ColumnElement[bool]: ...


def rotation_clash(other_start: Any, other_end: Any, start: date, end: date, rotation_days: int) -> Any:
    """The rotation rule, written once for both a query (columns) and a plan's rows (dates): another visit
    of the same shopper to the same dealer clashes when its window comes within rotation_days of this one.
    `&` is SQL's AND on column expressions and plain `and` on the booleans of dates."""
    gap = timedelta(days=rotation_days)
    return (other_start < end + gap) & (other_end > start - gap)


def _check_rotation(session: Session, shopper_id: int, dealer_id: int, start: date, end: date,
                    rotation_days: int) -> None:
    """A shopper the dealer's staff have seen recently would be recognised: keep visits apart."""
    clash = session.scalar(
        select(Audit).where(Audit.shopper_id == shopper_id, Audit.dealer_id == dealer_id,
                            rotation_clash(Audit.visit_window_start, Audit.visit_window_end, start, end,
                                           rotation_days))
        .order_by(Audit.visit_window_start).limit(1))
    if clash is not None:
        raise Conflict(
            "assignment.rotation_clash",
            {"shopper_id": [Message("assignment.rotation_rule", days=rotation_days)]},
            days=rotation_days, start=clash.visit_window_start.isoformat(), end=clash.visit_window_end.isoformat())
