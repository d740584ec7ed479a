"""Instant alerts (DESIGN 11): the moment an audit is published with an audit-scope knock-out (a
compliance breach, such as a forced bundle) or an overall below the program's `ALERT_BELOW`, the managers
of the dealer's region get an email in Chinese and English.

The emails go through the outbox, queued in the publication's transaction: a mail server that is down
never blocks or undoes a publication, and the alert is retried until it is sent."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Audit, OutboxMessage, ScoreVersion, User, manager_regions
from . import outbox
from .checklists import checklist_of
from .mail import Mail

PORTAL_VISIT_PATH = "/portal/visits/{audit_id}"
ALERT_EVENT = "audit.alert"


@dataclass(frozen=True)
class AlertPolicy:
    below: Mapping[str, float]  # program (checklist key) → alert when the overall is below this
    portal_base_url: str
    mail_config: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], default_base_url: str) -> AlertPolicy:
        below = config.get("ALERT_BELOW") or {}
        if not isinstance(below, Mapping) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in below.values()):
            raise ValueError(f"ALERT_BELOW must map programs to scores, e.g. {{\"sales_visit\": 60}}, not {below!r}")
        base = (config.get("PORTAL_BASE_URL") or default_base_url).rstrip("/")
        return cls(below={str(k): float(v) for k, v in below.items()}, portal_base_url=base,
                   mail_config={k: v for k, v in config.items() if k.startswith(("SMTP_", "MAIL_"))})


def portal_link(policy: AlertPolicy, audit: Audit) -> str:
    return policy.portal_base_url + PORTAL_VISIT_PATH.format(audit_id=audit.id)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def alert_mail_text(audit: Audit, version: ScoreVersion, threshold: float | None,
                    link: str) -> tuple[str, str] | None:
    """(subject, body) of the alert, or None when the publication calls for none."""
    score = version.score
    knockouts = score.get("knockouts", [])
    breach = any(k["scope"] == "audit" for k in knockouts)
    low = threshold is not None and version.overall is not None and version.overall < threshold
    if not (breach or low):
        return None
    dealer = audit.dealer
    items = checklist_of(audit.checklist_version).items
    cost = score.get("knockout_cost", {})
    moment = audit.visit_started_at or audit.submitted_at
    day = moment.astimezone(ZoneInfo(dealer.timezone)).date().isoformat() if moment else "—"
    overall = _number(version.overall)
    lines_zh, lines_en = [], []
    for k in knockouts:
        item = items.get(k["item"])
        zh, en = (item.text.zh, item.text.en) if item else (k["item"], k["item"])
        scope_zh, scope_en = ("整份稽核否决", "audit knock-out") if k["scope"] == "audit" else ("环节否决",
                                                                                           "section knock-out")
        lines_zh.append(f"- {zh}（{scope_zh}）：扣 {_number(cost.get(k['item']))} 分")
        lines_en.append(f"- {en} ({scope_en}): costs {_number(cost.get(k['item']))} points")
    reason_zh = "合规违规（整份稽核否决项不合格）" if breach else f"总分低于预警线 {_number(threshold)} 分"
    reason_en = ("compliance breach (an audit knock-out failed)" if breach
                 else f"overall below the alert threshold of {_number(threshold)}")
    if breach and low:
        reason_zh += f"；总分低于预警线 {_number(threshold)} 分"
        reason_en += f"; overall below the alert threshold of {_number(threshold)}"
    body = "\n".join([
        f"即时预警：{dealer.name_zh}（{dealer.code}）", f"原因：{reason_zh}", f"到访日期：{day}", f"总分：{overall}",
        "不合格的否决项：" if lines_zh else "不合格的否决项：无", *lines_zh, f"查看该次到访：{link}", "",
        f"Instant alert: {dealer.name_en} ({dealer.code})", f"Reason: {reason_en}", f"Visit date: {day}",
        f"Overall: {overall}", "Failed knock-out items:" if lines_en else "Failed knock-out items: none", *lines_en,
        f"See the visit: {link}", ""])
    subject = f"[auditapp] 即时预警 / Instant alert: {dealer.code} {dealer.name_en} — {overall}"
    return subject, body


def queue_publication_alerts(session: Session, audit: Audit, version: ScoreVersion,
                             policy: AlertPolicy) -> list[OutboxMessage]:
    """Queue the alert to each active manager of the dealer's region, if the publication calls for one."""
    text = alert_mail_text(audit, version, policy.below.get(audit.checklist_version.key), portal_link(policy, audit))
    if text is None:
        return []
    recipients = list(dict.fromkeys(session.scalars(
        select(User.email).join(manager_regions, manager_regions.c.user_id == User.id)
        .where(manager_regions.c.region_id == audit.dealer.region_id, User.role == "manager",
               User.active.is_(True)).order_by(User.email))))
    subject, body = text
    event_id = uuid.uuid4()
    return [outbox.enqueue_email(session, Mail(to=email, subject=subject, body=body), event_id, ALERT_EVENT,
                                 policy.mail_config) for email in recipients]
