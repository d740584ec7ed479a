"""QA review: approving (publishing, with score version 1) or returning a submitted audit."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..config import DEFAULTS
from ..errors import Conflict
from ..models import Audit, User, utcnow
from . import actions
from .access import require_role
from .events import record_event
from .score_versions import store_score_version


def _ensure_submitted(audit: Audit, refusal: str) -> None:
    if audit.status != "submitted":
        raise Conflict(refusal, {"status": [audit.status]}, status=audit.status)


def approve(session: Session, reviewer: User, audit: Audit, notes: str | None = None, *,
            action_policy: actions.ActionPolicy | None = None, min_ranked: int | None = None) -> Audit:
    """Approved audits are published at once: counted in scores and visible to the dealer, and turned
    into corrective actions (services/actions.on_publication; the configured defaults unless given)."""
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
    actions.on_publication(session, audit, action_policy or actions.ActionPolicy.from_config(DEFAULTS),
                           min_ranked=DEFAULTS["MIN_RANKED_AUDITS"] if min_ranked is None else min_ranked, now=now)
    return audit


def return_to_shopper(session: Session, reviewer: User, audit: Audit, notes: str) -> Audit:
    require_role(reviewer, "qa", "admin")
    _ensure_submitted(audit, "review.not_submitted_return")
    before = {"status": audit.status, "review_notes": audit.review_notes}
    audit.status = "returned"
    audit.review_notes = notes
    record_event(session, audit, reviewer, "returned", before, {"status": "returned", "review_notes": notes}, notes)
    session.flush()
    return audit
