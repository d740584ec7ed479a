"""Disputes (DESIGN 6): a dealer contests an item; QA decides; a rejected dispute may be escalated once to
the region's manager, who decides finally. An upheld decision adds an override and a new score version:
the shopper's answer is never edited."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from ..checklists.answers import value_problem, visible_items
from ..checklists.model import Item
from ..config import DEFAULTS
from ..constants import DISPUTING_ROLES, OPEN_DISPUTE_STATUSES, UPHELD_OUTCOMES
from ..errors import Conflict, InvalidInput, NotFound
from ..messages import Message
from ..models import Attachment, Audit, Dispute, User, utcnow
from ..workdays import deadline, parse_holidays
from . import access, webhooks
from .checklists import checklist_of
from .events import record_event
from .score_versions import answers_of, latest_versions, store_score_version


@dataclass(frozen=True)
class DisputePolicy:
    window_days: int
    decision_days: int
    holidays: frozenset[date]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DisputePolicy:
        return cls(window_days=config["DISPUTE_WINDOW_DAYS"], decision_days=config["DECISION_DAYS"],
                   holidays=parse_holidays(config["PUBLIC_HOLIDAYS"]))


def last_day(end: datetime, timezone: str) -> str:
    """The last local day (ISO date) before a deadline that falls at local midnight: what a dealer is
    told as "file by" or "decided by"."""
    return (end - timedelta(microseconds=1)).astimezone(ZoneInfo(timezone)).date().isoformat()


def filing_window_end(published_at: datetime, timezone: str, policy: DisputePolicy) -> datetime:
    """When the dealer's window to dispute a published audit closes (local midnight after its last day)."""
    return deadline(published_at, policy.window_days, timezone, policy.holidays)


def filing_deadline(audit: Audit, policy: DisputePolicy) -> datetime:
    assert audit.published_at is not None
    return filing_window_end(audit.published_at, audit.dealer.timezone, policy)


def decision_deadline(dispute: Dispute, policy: DisputePolicy) -> datetime:
    return decision_due(dispute.status, dispute.filed_at, dispute.escalated_at, dispute.audit.dealer.timezone, policy)


def decision_due(status: str, filed_at: datetime, escalated_at: datetime | None, timezone: str,
                 policy: DisputePolicy) -> datetime:
    """QA decides within the decision days of filing; the manager within those of the escalation."""
    since = escalated_at if status == "escalated" and escalated_at is not None else filed_at
    return deadline(since, policy.decision_days, timezone, policy.holidays)


def is_overdue(dispute: Dispute, policy: DisputePolicy, now: datetime) -> bool:
    return dispute.is_open and now > decision_deadline(dispute, policy)


def _snapshot(dispute: Dispute) -> dict[str, Any]:
    return {"status": dispute.status, "qa_outcome": dispute.qa_outcome, "final_outcome": dispute.final_outcome,
            "override": dispute.override, "score_version": dispute.score_version}


def _event(session: Session, dispute: Dispute, actor: User, kind: str, before: dict[str, Any] | None,
           note: str | None = None) -> None:
    record_event(session, dispute.audit, actor, kind, before, _snapshot(dispute), note, dispute=dispute)


def file_dispute(session: Session, user: User, audit_id: Any, *, item_key: str, claim: str,
                 requested_outcome: str, evidence: Iterable[str], policy: DisputePolicy,
                 now: datetime | None = None) -> Dispute:
    now = now or utcnow()
    access.require_role(user, *DISPUTING_ROLES)
    audit = session.scalar(select(Audit).where(Audit.id == audit_id).options(joinedload(Audit.dealer)))
    audit = access.ensure_audit_visible(user, audit)
    checklist = checklist_of(audit.checklist_version)
    item = checklist.items.get(item_key)
    if item is None:
        raise InvalidInput("dispute.no_such_item", {"item": [Message("dispute.unknown_item", item=item_key)]})
    if not item.disputable:
        raise InvalidInput("dispute.item_not_disputable",
                           {"item": [Message("dispute.item_not_disputable_field", item=item_key)]})
    end = filing_deadline(audit, policy)
    if now >= end:
        raise Conflict("dispute.window_closed", {"audit": [Message("dispute.window_closed_field")]},
                       deadline=end.strftime('%Y-%m-%d %H:%M %Z'), days=policy.window_days)
    answers = answers_of(session, audit)
    if item_key not in visible_items(checklist, answers):
        raise InvalidInput("dispute.item_hidden", {"item": [Message("dispute.item_not_shown", item=item_key)]})
    if requested_outcome == "not_applicable" and not item.na_allowed:
        raise InvalidInput("dispute.na_not_allowed",
                           {"requested_outcome": [Message("dispute.na_not_allowed_field")]})
    current = latest_versions(session, [audit.id])[audit.id].score
    if requested_outcome == "pass" and current["ratios"].get(item_key) == 1:
        raise InvalidInput("dispute.already_passes", {"item": [Message("dispute.already_passes_field")]})
    if requested_outcome == "not_applicable" and item_key in current["excluded"]:
        raise InvalidInput("dispute.already_excluded", {"item": [Message("dispute.already_excluded_field")]})
    evidence = list(dict.fromkeys(evidence))
    if evidence:
        uploaded = set(session.scalars(select(Attachment.sha256).where(
            Attachment.audit_id == audit.id, Attachment.sha256.in_(evidence))))
        missing = [h for h in evidence if h not in uploaded]
        if missing:
            raise InvalidInput("dispute.upload_evidence_first",
                               {"evidence": [Message("dispute.evidence_not_uploaded", sha256=h) for h in missing]})
    if session.scalar(select(Dispute.id).where(Dispute.audit_id == audit.id, Dispute.item_key == item_key,
                                               Dispute.status.in_(OPEN_DISPUTE_STATUSES))):
        raise Conflict("dispute.already_open", {"item": [Message("dispute.already_open_field")]})
    dispute = Dispute(audit_id=audit.id, dealer_id=audit.dealer_id, item_key=item_key, status="open",
                      claim=claim, requested_outcome=requested_outcome, evidence=evidence, filed_by_id=user.id,
                      filed_at=now)
    session.add(dispute)
    session.flush()
    _event(session, dispute, user, "dispute_filed", None, claim)
    session.flush()
    webhooks.dispute_filed(session, dispute)
    return dispute


def get_dispute(session: Session, user: User, dispute_id: int, *, for_update: bool = False) -> Dispute:
    query = select(Dispute).where(Dispute.id == dispute_id).options(
        joinedload(Dispute.audit).joinedload(Audit.dealer))
    if for_update:
        # Fresh from the row just locked, not a copy the session already held.
        query = query.with_for_update(of=Dispute).execution_options(populate_existing=True)
    dispute = session.scalar(query)
    if dispute is None or not access.can_see_dispute(user, dispute):
        raise NotFound("dispute.no_such_dispute")
    return dispute


def passing_answer(item: Item) -> dict[str, Any]:
    """The answer that makes the item pass (what an upheld 'pass' request overrides it with)."""
    if item.type == "yes_no":
        return {"value": item.pass_value}
    if item.type == "scale":
        return {"value": item.max}
    if item.type == "choice":
        return {"value": next(o.key for o in item.options if o.score == 1)}
    best = max(b.score for b in item.bands)
    index = next(i for i, b in enumerate(item.bands) if b.score == best)
    band = item.bands[index]
    if band.upto is not None:
        value = band.upto if item.max is None else min(band.upto, item.max)
    else:
        value = item.max if item.max is not None else (item.bands[index - 1].upto or 0) + 1
    return {"value": value}


def decide(session: Session, user: User, dispute_id: int, *, outcome: str, reason: str,
           value: Any = None, now: datetime | None = None) -> Dispute:
    """QA decides an open dispute; the region's manager decides an escalated one, finally."""
    now = now or utcnow()
    dispute = get_dispute(session, user, dispute_id, for_update=True)
    if not dispute.is_open:
        raise Conflict("dispute.already_decided", {"status": [dispute.status]}, status=dispute.status)
    access.ensure_may_decide_dispute(user, dispute)
    audit = dispute.audit
    item = checklist_of(audit.checklist_version).items[dispute.item_key]
    override: dict[str, Any] | None = None
    if outcome == "upheld":
        override = passing_answer(item) if dispute.requested_outcome == "pass" else {"na": True}
    elif outcome == "partially_upheld":
        if value is None:
            raise InvalidInput("dispute.partial_needs_value",
                               {"value": [Message("dispute.partial_needs_value_field")]})
        problem = value_problem(item, value)
        if problem:
            raise InvalidInput("dispute.invalid_value", {"value": [problem]})
        override = {"value": value}
    before = _snapshot(dispute)
    stage = "final" if dispute.status == "escalated" else "qa"
    setattr(dispute, f"{stage}_outcome", outcome)
    setattr(dispute, f"{stage}_reason", reason)
    setattr(dispute, f"{stage}_decided_by_id", user.id)
    setattr(dispute, f"{stage}_decided_at", now)
    dispute.status = outcome
    if override is not None:
        dispute.override = override
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("dispute.decided_concurrently") from None
    if override is not None:
        overrides = {d.item_key: d.override for d in session.scalars(select(Dispute).where(
            Dispute.audit_id == audit.id, Dispute.status.in_(UPHELD_OUTCOMES),
            Dispute.override.is_not(None), Dispute.id != dispute.id)).all()}
        overrides[dispute.item_key] = override
        previous = latest_versions(session, [audit.id]).get(audit.id)
        version = store_score_version(session, audit, user, f"dispute #{dispute.id} {outcome} "
                                      f"({'manager' if stage == 'final' else 'QA'}): {reason}", overrides)
        dispute.score_version = version.version
        webhooks.score_revised(session, audit, version, previous, dispute)
        # Imported here: actions read the figures, which read this module's dispute policy.
        from .actions import on_score_revision

        on_score_revision(session, audit, min_ranked=DEFAULTS["MIN_RANKED_AUDITS"], now=now)
    _event(session, dispute, user, "dispute_decided" if stage == "qa" else "dispute_decided_finally", before, reason)
    session.flush()
    webhooks.dispute_decided(session, dispute, stage)
    return dispute


def escalation_deadline(dispute: Dispute, policy: DisputePolicy) -> datetime:
    """When a rejected dispute can no longer be escalated: the dispute window again, from QA's decision."""
    assert dispute.qa_decided_at is not None
    return deadline(dispute.qa_decided_at, policy.window_days, dispute.audit.dealer.timezone, policy.holidays)


def escalate(session: Session, user: User, dispute_id: int, *, note: str, policy: DisputePolicy,
             now: datetime | None = None) -> Dispute:
    now = now or utcnow()
    access.require_role(user, *DISPUTING_ROLES)
    dispute = get_dispute(session, user, dispute_id, for_update=True)
    if dispute.escalated_at is not None:
        raise Conflict("dispute.escalated_once", {"status": [dispute.status]})
    if dispute.status != "rejected":
        raise Conflict("dispute.only_rejected_escalated", {"status": [dispute.status]}, status=dispute.status)
    end = escalation_deadline(dispute, policy)
    if now >= end:
        raise Conflict("dispute.escalation_window_closed",
                       {"status": [Message("dispute.escalation_window_closed_field")]},
                       deadline=end.strftime('%Y-%m-%d %H:%M %Z'))
    before = _snapshot(dispute)
    dispute.status = "escalated"
    dispute.escalated_at = now
    dispute.escalation_note = note
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("dispute.changed_concurrently") from None
    _event(session, dispute, user, "dispute_escalated", before, note)
    session.flush()
    return dispute


def find_disputes(session: Session, user: User, *, status: str | None = None, audit_id: Any = None,
                  dealer_id: int | None = None) -> list[Dispute]:
    query = (select(Dispute).join(Audit, Audit.id == Dispute.audit_id)
             .where(access.dispute_filter(user)).options(joinedload(Dispute.audit).joinedload(Audit.dealer))
             .order_by(Dispute.filed_at, Dispute.id))
    if status:
        query = query.where(Dispute.status == status)
    if audit_id:
        query = query.where(Dispute.audit_id == audit_id)
    if dealer_id:
        query = query.where(Dispute.dealer_id == dealer_id)
    return list(session.scalars(query).unique())


def open_disputes_by_audit(session: Session, audit_ids: Iterable[Any]) -> dict[Any, list[str]]:
    """Items under dispute per audit, in one query ("under dispute" marks in APIs and reports)."""
    ids = list(audit_ids)
    if not ids:
        return {}
    out: dict[Any, list[str]] = {}
    for audit_id, item_key in session.execute(select(Dispute.audit_id, Dispute.item_key).where(
            Dispute.audit_id.in_(ids), Dispute.status.in_(OPEN_DISPUTE_STATUSES))):
        out.setdefault(audit_id, []).append(item_key)
    return out


@dataclass(frozen=True)
class QueuedDispute:
    dispute: Dispute
    deadline: datetime
    overdue: bool


def dispute_queue(session: Session, user: User, policy: DisputePolicy, *, dealer_id: int | None = None,
                  now: datetime | None = None) -> list[QueuedDispute]:
    """The disputes waiting for `user`'s decision (QA: the open ones; a manager: the escalated ones of
    their regions), overdue first, then by decision deadline, the most urgent first."""
    now = now or utcnow()
    status = access.dispute_status_decided_by(user)
    queued = [QueuedDispute(d, decision_deadline(d, policy), is_overdue(d, policy, now))
              for d in find_disputes(session, user, status=status, dealer_id=dealer_id)]
    return sorted(queued, key=lambda q: (not q.overdue, q.deadline, q.dispute.id))
