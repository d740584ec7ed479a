"""QA review: approving (publishing, with score version 1) or returning a submitted audit."""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidInput
from ..messages import Message
from ..models import Audit, User, utcnow
from .access import require_role
from .checklists import checklist_of
from .events import record_event
from .score_versions import store_score_version


def _ensure_submitted(audit: Audit, refusal: str) -> None:
    if audit.status != "submitted":
        raise Conflict(refusal, {"status": [audit.status]}, status=audit.status)


def approve(session: Session, reviewer: User, audit: Audit, notes: str | None = None) -> Audit:
    """Approved audits are published at once: counted in scores and visible to the dealer."""
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
