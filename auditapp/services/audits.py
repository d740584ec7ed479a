"""Finding audits as a given user may see them."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from ..errors import Forbidden
from ..models import Audit, AuditFlag, ChecklistVersion, Dealer, User, Wave
from .access import audit_filter, ensure_audit_visible, sees_flags, sees_shopper
from .checklists import checklist_of

# The orders of QA's review queue; without one, audits come in the order of their visit windows.
AUDIT_SORTS = ("submitted", "dealer", "shopper", "flags")


def _local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))


def find_audits(session: Session, user: User, *, status: str | None = None, wave_id: int | None = None,
                dealer_id: int | None = None, flag: str | None = None, shopper_id: int | None = None,
                submitted_from: date | None = None, submitted_to: date | None = None,
                sort: str | None = None, descending: bool = False, timezone: str = "Asia/Shanghai",
                page: int = 1, per_page: int = 50) -> tuple[list[Audit], int]:
    """The audits `user` may see with the filters given, one page of them, and how many there are in all.

    The submitted dates are days in `timezone` (the agency's), both ends included. `sort` names one of
    AUDIT_SORTS ("flags": by the number of quality flags); ties go by submission time in the same
    direction."""
    where = [audit_filter(user)]
    if flag is not None:
        if not sees_flags(user):
            raise Forbidden("access.flag_filter_for_qa")
        where.append(Audit.id.in_(select(AuditFlag.audit_id).where(AuditFlag.code == flag)))
    if shopper_id is not None:
        if not sees_shopper(user):
            raise Forbidden("access.shopper_filter_for_qa")
        where.append(Audit.shopper_id == shopper_id)
    if status:
        where.append(Audit.status == status)
    if wave_id:
        where.append(Audit.wave_id == wave_id)
    if dealer_id:
        where.append(Audit.dealer_id == dealer_id)
    if submitted_from is not None:
        where.append(Audit.submitted_at >= _local_midnight(submitted_from, timezone))
    if submitted_to is not None:
        where.append(Audit.submitted_at < _local_midnight(submitted_to + timedelta(days=1), timezone))
    total = session.scalar(select(func.count()).select_from(Audit).where(*where)) or 0
    query = select(Audit).where(*where).options(
        joinedload(Audit.checklist_version), joinedload(Audit.shopper), joinedload(Audit.dealer))
    query = query.order_by(*_order(sort, descending)) if sort else query.order_by(
        Audit.visit_window_start, Audit.created_at, Audit.id)
    if sort == "dealer":
        query = query.join(Dealer, Dealer.id == Audit.dealer_id)
    elif sort == "shopper":
        query = query.join(User, User.id == Audit.shopper_id)
    audits = list(session.scalars(query.offset((page - 1) * per_page).limit(per_page)).unique())
    return audits, total


def _order(sort: str, descending: bool) -> list[Any]:
    def direction(column: Any) -> Any:
        # Audits never submitted sort last either way, on every database.
        return (column.desc() if descending else column.asc()).nulls_last()

    submitted = direction(Audit.submitted_at)
    if sort == "dealer":
        first = [direction(Dealer.code)]
    elif sort == "shopper":
        first = [direction(User.display_name), direction(User.id)]
    elif sort == "flags":
        first = [direction(select(func.count()).where(AuditFlag.audit_id == Audit.id).scalar_subquery())]
    else:
        first = []
    return [*first, submitted, Audit.id]


# The checklist version is read with the audit (every caller needs its checklist), without its
# document: checklists.checklist_of parses a version once per process and reads it only then. Built
# once, the id a bound parameter: building the statement cost more than running it.
_AUDIT_BY_ID = select(Audit).where(Audit.id == bindparam("audit_id")).options(
    joinedload(Audit.dealer), joinedload(Audit.checklist_version).defer(ChecklistVersion.document))
_AUDIT_BY_ID_FOR_UPDATE = _AUDIT_BY_ID.with_for_update(of=Audit)


def get_audit(session: Session, user: User, audit_id: uuid.UUID, *, for_update: bool = False) -> Audit:
    query = _AUDIT_BY_ID_FOR_UPDATE if for_update else _AUDIT_BY_ID
    return ensure_audit_visible(user, session.scalar(query, {"audit_id": audit_id}))


def result_choices(session: Session, user: User, dealer_id: int) -> list[tuple[Wave, str, dict[str, str]]]:
    """The (wave, program, program title) a dealer has published results in, as far as the user may see
    its audits; newest wave first, and in a wave the program with the most visits first (the portal's wave
    and program selector, whose first entry is shown when none is asked for)."""
    rows = session.execute(
        select(Wave, ChecklistVersion.key, func.max(ChecklistVersion.id))
        .join(Audit, Audit.wave_id == Wave.id).join(ChecklistVersion, ChecklistVersion.id == Audit.checklist_version_id)
        .where(audit_filter(user), Audit.dealer_id == dealer_id, Audit.status == "published")
        .group_by(Wave.id, ChecklistVersion.key)
        .order_by(Wave.starts_on.desc(), Wave.id.desc(), func.count(Audit.id).desc(), ChecklistVersion.key))
    out = []
    for wave, key, version_id in rows:
        version = session.get(ChecklistVersion, version_id)
        assert version is not None  # the join found it
        out.append((wave, key, checklist_of(version).title.to_dict()))
    return out
