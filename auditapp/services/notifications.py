"""Who is told about a dispute, and what (DESIGN 6): QA when one is filed or escalated (and the region's
managers, who decide escalations), the dealer when it is decided."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Dispute, User, manager_regions
from . import side_effects
from .checklists import checklist_of
from .mail import Mail, send_all

OUTCOME_TEXT = {"upheld": ("支持", "upheld"), "partially_upheld": ("部分支持", "partially upheld"),
                "rejected": ("驳回", "rejected")}


def dispute_mails(session: Session, dispute: Dispute, event: str) -> list[Mail]:
    audit = dispute.audit
    dealer = audit.dealer
    item = checklist_of(audit.checklist_version).items.get(dispute.item_key)
    item_zh, item_en = (item.text.zh, item.text.en) if item else (dispute.item_key, dispute.item_key)
    subject_ref = f"#{dispute.id} {dealer.code}"
    active = (User.active.is_(True),)
    if event in ("filed", "escalated"):
        recipients = list(session.scalars(select(User.email).where(User.role == "qa", *active)))
        if event == "escalated":
            recipients += list(session.scalars(
                select(User.email).join(manager_regions, manager_regions.c.user_id == User.id)
                .where(manager_regions.c.region_id == dealer.region_id, User.role == "manager", *active)))
        verb_zh, verb_en = ("新申诉", "New dispute") if event == "filed" else ("申诉升级", "Dispute escalated")
        body = (f"{verb_zh}：{dealer.name_zh}（{dealer.code}）\n项目：{item_zh}\n申诉理由：{dispute.claim}\n\n"
                f"{verb_en}: {dealer.name_en} ({dealer.code})\nItem: {item_en}\nClaim: {dispute.claim}\n"
                + (f"Escalation note: {dispute.escalation_note}\n" if dispute.escalation_note else "")
                + f"Audit {audit.id}\n")
        subject = f"[auditapp] {verb_zh} / {verb_en} {subject_ref}"
    elif event == "decided":
        recipients = list(session.scalars(select(User.email).where(
            User.role == "dealer", User.dealer_id == dealer.id, *active)))
        outcome = dispute.final_outcome or dispute.qa_outcome or dispute.status
        reason = dispute.final_reason or dispute.qa_reason or ""
        zh, en = OUTCOME_TEXT.get(outcome, (outcome, outcome))
        final = dispute.final_outcome is not None
        body = (f"您的申诉已{'最终' if final else ''}裁定：{zh}\n项目：{item_zh}\n理由：{reason}\n\n"
                f"Your dispute was {'finally ' if final else ''}decided: {en}\nItem: {item_en}\nReason: {reason}\n"
                + ("" if final or outcome != "rejected" else
                   "You may escalate it once to your region's manager.\n"))
        subject = f"[auditapp] 申诉裁定 / Dispute decided {subject_ref}: {en}"
    else:
        raise ValueError(f"unknown dispute event {event!r}")
    return [Mail(to=email, subject=subject, body=body) for email in dict.fromkeys(recipients)]


def queue_dispute_mails(session: Session, config: Mapping[str, Any], dispute: Dispute, event: str) -> None:
    """Send the event's mails once the change is committed; recipients and texts are read now, inside
    the transaction, so they describe exactly the committed change."""
    mails = dispute_mails(session, dispute, event)
    if mails:
        settings = dict(config)
        side_effects.after_commit(session, f"{event} mail of dispute {dispute.id}",
                                  lambda: send_all(settings, mails))
