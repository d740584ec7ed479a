"""Finding audits as a given user may see them."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..errors import Forbidden
from ..models import Audit, AuditFlag, ChecklistVersion, User, Wave
from .access import audit_filter, ensure_audit_visible, sees_flags
from .checklists import checklist_of


def find_audits(session: Session, user: User, *, status: str | None = None, wave_id: int | None = None,
                dealer_id: int | None = None, flag: str | None = None, page: int = 1,
                per_page: int = 50) -> tuple[list[Audit], int]:
    where = [audit_filter(user)]
    if flag is not None:
        if not sees_flags(user):
            raise Forbidden("access.flag_filter_for_qa")
        where.append(Audit.id.in_(select(AuditFlag.audit_id).where(AuditFlag.code == flag)))
    if status:
        where.append(Audit.status == status)
    if wave_id:
        where.append(Audit.wave_id == wave_id)
    if dealer_id:
        where.append(Audit.dealer_id == dealer_id)
    total = session.scalar(select(func.count()).select_from(Audit).where(*where)) or 0
    audits = list(session.scalars(
        select(Audit).where(*where).options(joinedload(Audit.checklist_version), joinedload(Audit.shopper),
                                           joinedload(Audit.dealer))
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
