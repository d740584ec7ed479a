"""Action-plan reminders (DESIGN 11): the dealer's users are mailed, in Chinese and English, about the
corrective actions still waiting for their work — "due soon" from `ACTION_REMINDER_DAYS` working days
before an action's due date, "overdue" once the due date has ended, both in the dealer's time zone.

A pass (`run_pass`: the daily `auditapp.action_reminders` task, or `auditapp actions remind`) sends each
of a dealer's active users one mail listing every action of that dealer that calls for a reminder.
Each reminder goes out once per action, kind and due date: it is recorded in the action's append-only
history (`actions.record_reminder`) and a pass leaves out what the history already holds, so a second
pass sends nothing, and a due date moved by the plan is reminded of again. Two passes at once (two
workers, the beat and the command) cannot both send: a pass locks the actions it considers until it
commits (FOR UPDATE on PostgreSQL; SQLite's write lock, taken up front by the caller's write
transaction), and the second reads the first one's history once it may go on.

The mails go through the outbox, queued in the pass's transaction: sent after the commit, never for a
pass that was rolled back, and retried while the mail server is down.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..constants import ACTION_EDITABLE_STATUSES
from ..models import Action, Dealer, User, utcnow
from ..models.actions import is_overdue
from ..reports.labels import LABELS
from ..workdays import add_working_days, parse_holidays
from . import access, actions, outbox
from .mail import Mail

DUE_SOON, OVERDUE = "due_soon", "overdue"
REMINDER_EVENT = "reminder.action"  # the outbox's event type of a reminder mail (not a message key)
# The actions still waiting for the dealer's work: those whose plan it may still change (open, planned,
# returned). A submitted plan waits for the manager, and an accepted one is done.
REMINDED_STATUSES = ACTION_EDITABLE_STATUSES


@dataclass(frozen=True)
class ReminderPolicy:
    days_before: int
    holidays: frozenset[date]
    mail_config: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ReminderPolicy:
        days = config["ACTION_REMINDER_DAYS"]
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValueError(f"ACTION_REMINDER_DAYS must be a number of working days (0 or more), not {days!r}")
        return cls(days_before=days, holidays=parse_holidays(config["PUBLIC_HOLIDAYS"]),
                   mail_config={k: v for k, v in config.items() if k.startswith(("SMTP_", "MAIL_"))})


@dataclass
class ReminderPass:
    """What one pass sent: reminders by kind, the mails, the dealers reminded, and the dealers whose
    reminders wait because no active user of theirs could be mailed."""
    due_soon: int = 0
    overdue: int = 0
    mails: int = 0
    dealers: int = 0
    dealers_without_users: int = 0

    @property
    def reminders(self) -> int:
        return self.due_soon + self.overdue

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "reminders": self.reminders}


def reminder_kind(action: Action, policy: ReminderPolicy, now: datetime) -> str | None:
    """The reminder the action calls for at `now`: overdue from the dealer's local midnight after its due
    date (the one rule of `is_overdue`), due soon while at most `days_before` working days are left
    until the due date, else none. The due soon reminder of an action raised late, or of a missed day,
    goes out at the next pass rather than never."""
    zone = action.dealer.timezone
    if is_overdue(action.status, action.due, zone, now):
        return OVERDUE
    today = now.astimezone(ZoneInfo(zone)).date()
    if action.due <= add_working_days(today, policy.days_before, policy.holidays):
        return DUE_SOON
    return None


def _candidates(session: Session, policy: ReminderPolicy, now: datetime) -> list[Action]:
    """The actions waiting for the dealer whose due date is near or past in some time zone, locked
    until the pass commits. No zone's date is later than the UTC date's next day, and a later start
    only moves the due soon horizon later: a bound that holds for every dealer."""
    horizon = add_working_days(now.astimezone(timezone.utc).date() + timedelta(days=1), policy.days_before,
                               policy.holidays)
    return list(session.scalars(
        select(Action)
        .where(Action.status.in_(REMINDED_STATUSES), func.coalesce(Action.due_on, Action.due_limit) <= horizon)
        .options(joinedload(Action.dealer), joinedload(Action.wave))
        .order_by(Action.dealer_id, Action.id)
        .with_for_update(of=Action).execution_options(populate_existing=True)))


def _recipients(session: Session, dealer_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for dealer_id, email in session.execute(
            select(User.dealer_id, User.email)
            .where(access.action_dealer_users(dealer_ids), User.active.is_(True)).order_by(User.email)):
        if dealer_id is not None:
            found.setdefault(dealer_id, []).append(email)
    return found


def run_pass(session: Session, policy: ReminderPolicy, now: datetime | None = None) -> ReminderPass:
    """Record and queue every reminder due at `now` (flushes; the caller commits, in a write transaction)."""
    now = now or utcnow()
    candidates = _candidates(session, policy, now)
    sent = actions.reminders_sent(session, [a.id for a in candidates])
    by_dealer: dict[int, list[tuple[Action, str]]] = {}
    for action in candidates:
        kind = reminder_kind(action, policy, now)
        if kind is not None and (action.id, kind, action.due.isoformat()) not in sent:
            by_dealer.setdefault(action.dealer_id, []).append((action, kind))
    recipients = _recipients(session, list(by_dealer))
    result = ReminderPass()
    for dealer_id, due in by_dealer.items():
        emails = recipients.get(dealer_id, [])
        if not emails:  # kept for the next pass: a user added meanwhile is reminded then
            result.dealers_without_users += 1
            continue
        for action, kind in due:
            actions.record_reminder(session, action, kind, now)
        subject, body = reminder_mail_text(due[0][0].dealer, due, policy)
        event_id = uuid.uuid4()
        for email in emails:
            outbox.enqueue_email(session, Mail(to=email, subject=subject, body=body), event_id, REMINDER_EVENT,
                                 policy.mail_config)
        result.dealers += 1
        result.mails += len(emails)
        result.due_soon += sum(kind == DUE_SOON for _, kind in due)
        result.overdue += sum(kind == OVERDUE for _, kind in due)
    session.flush()
    return result


def _line(action: Action, lang: int) -> str:
    """One action of the list: its number, item, wave, due date and state, in one language (0 zh, 1 en)."""
    item = action.item_text.get(("zh", "en")[lang]) or action.item_key
    status = LABELS[f"action_status_{action.status}"][lang]
    if lang == 0:
        return f"- #{action.id} {item}（{action.wave.code}）：期限 {action.due.isoformat()}，状态：{status}"
    return f"- #{action.id} {item} ({action.wave.code}): due {action.due.isoformat()}, status: {status}"


def reminder_mail_text(dealer: Dealer, due: list[tuple[Action, str]], policy: ReminderPolicy) -> tuple[str, str]:
    """(subject, body) of the mail to one of the dealer's users: the overdue actions first, then those
    due soon, in Chinese, then in English."""
    overdue = [a for a, kind in due if kind == OVERDUE]
    soon = [a for a, kind in due if kind == DUE_SOON]
    zh = [f"整改计划提醒：{dealer.name_zh}（{dealer.code}）"]
    en = [f"Action plan reminder: {dealer.name_en} ({dealer.code})"]
    if overdue:
        zh += [f"已逾期（{len(overdue)} 项），请尽快提交：", *(_line(a, 0) for a in overdue)]
        en += [f"Overdue ({len(overdue)}), please submit as soon as possible:", *(_line(a, 1) for a in overdue)]
    if soon:
        zh += [f"即将到期（{policy.days_before} 个工作日内，{len(soon)} 项）：", *(_line(a, 0) for a in soon)]
        en += [f"Due soon (within {policy.days_before} working days, {len(soon)}):", *(_line(a, 1) for a in soon)]
    zh.append("请完成整改计划（根本原因、措施、负责人、期限），并附实施证据提交审核。")
    en.append("Please complete each plan (root cause, measures, responsible person, due date) and submit it "
              "with evidence of its implementation.")
    counts_zh = "，".join(part for part in (f"{len(overdue)} 项逾期" if overdue else "",
                                            f"{len(soon)} 项即将到期" if soon else "") if part)
    counts_en = ", ".join(part for part in (f"{len(overdue)} overdue" if overdue else "",
                                            f"{len(soon)} due soon" if soon else "") if part)
    subject = f"[auditapp] 整改提醒 / Action plan reminder: {dealer.code} — {counts_zh} / {counts_en}"
    return subject, "\n".join([*zh, "", *en, ""])
