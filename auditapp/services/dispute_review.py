"""A dispute as the one deciding it reads it: the claim and the dealer's evidence against the item's
standard and the shopper's answer (the portal's decision page)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..checklists.model import Item
from ..errors import DomainError
from ..models import Attachment, Dispute, ScoreVersion, User, utcnow
from . import access
from .checklists import checklist_of
from .disputes import DisputePolicy, decision_deadline, get_dispute, is_overdue
from .score_versions import answers_of


@dataclass(frozen=True)
class DisputeSheet:
    """What a decision weighs: the claim and the dealer's evidence against the item's standard and the
    shopper's answer, with the audit's current and original score."""
    dispute: Dispute
    item: Item
    answer: dict[str, Any]
    evidence: list[Attachment]  # the dealer's files, as filed
    shopper_files: list[Attachment]  # the shopper's files cited by the answer
    deadline: datetime
    overdue: bool
    may_decide: bool
    current_overall: float | None
    original_overall: float | None
    score_version: int


def dispute_sheet(session: Session, user: User, dispute_id: int, policy: DisputePolicy,
                  now: datetime | None = None) -> DisputeSheet:
    now = now or utcnow()
    dispute = get_dispute(session, user, dispute_id)
    audit = dispute.audit
    item = checklist_of(audit.checklist_version).items[dispute.item_key]
    answer = answers_of(session, audit).get(dispute.item_key, {})
    files = {a.sha256: a for a in session.scalars(select(Attachment).where(
        Attachment.audit_id == audit.id, Attachment.sha256.in_([*dispute.evidence, *answer.get("attachments", [])])))}
    try:
        access.ensure_may_decide_dispute(user, dispute)
        may_decide = dispute.is_open
    except DomainError:
        may_decide = False
    versions = session.scalars(select(ScoreVersion).where(ScoreVersion.audit_id == audit.id)
                               .order_by(ScoreVersion.version)).all()
    return DisputeSheet(
        dispute=dispute, item=item, answer=answer,
        evidence=[files[h] for h in dispute.evidence if h in files],
        shopper_files=[files[h] for h in answer.get("attachments", []) if h in files],
        deadline=decision_deadline(dispute, policy), overdue=is_overdue(dispute, policy, now), may_decide=may_decide,
        current_overall=versions[-1].overall if versions else None,
        original_overall=versions[0].overall if versions else None,
        score_version=versions[-1].version if versions else 0)
