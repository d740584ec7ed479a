"""QA review: approving (publishing, with score version 1) or returning a submitted audit."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..errors import Conflict
from ..models import Audit, User, utcnow
from . import webhooks
from .access import require_role
from .alerts import AlertPolicy, queue_publication_alerts
from .events import record_event
from .score_versions import store_score_version


def _ensure_submitted(audit: Audit, refusal: str) -> None:
    if audit.status != "submitted":
        raise Conflict(refusal, {"status": [audit.status]}, status=audit.status)


def approve(session: Session, reviewer: User, audit: Audit, notes: str | None = None,
            alerts: AlertPolicy | None = None) -> Audit:
    """Approved audits are published at once: counted in scores and visible to the dealer.

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
