"""Corrective action plans (DESIGN 11): a failed knock-out or one of a dealer's worst gaps becomes an
action; the dealer plans it (root cause, measures, responsible person, due date), shows its
implementation with evidence files and submits; the region's manager (or the agency) accepts it or
returns it with a note; the program's next wave at that dealer says whether it worked.

    open → planned → submitted → accepted
                         ↘ returned → planned → submitted → …

Actions are raised by the system from the same figures the scorecard shows (services/figures: the
dealer's gaps are `WaveFigures.dealer_gaps`, ordered by `worst_gaps`), never recomputed another way:
- on publication of an audit (`on_publication`, called by review.approve): one action per failed
  knock-out item of it (a second failed visit of the item adds evidence to the same action); the top
  `ACTION_TOP_GAPS` gaps of the dealer when ACTION_GAPS_AT = "publication" or the wave is closed;
  accepted actions of earlier waves verified against this wave's visits;
- when QA closes a wave (`close_wave`): the top gaps of every dealer of every program of the wave.

Every change is an append-only `ActionEvent`, written by `_event` and nowhere else; the reminders sent
about an action (services/action_reminders) are recorded in the same history by `record_reminder`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from ..checklists import OWNER_TEXT
from ..constants import ACTION_EDITABLE_STATUSES, ACTION_GAPS_AT, ACTION_REVIEW_ROLES, STAFF_ROLES
from ..errors import Conflict, InvalidInput, NotFound
from ..messages import Message
from ..models import Action, ActionEvent, Attachment, Audit, ChecklistVersion, Dealer, User, Wave, WaveClosure, utcnow
from ..scoring import ItemGap, worst_gaps
from . import access, webhooks
from .figures import WaveData, WaveFigures, load_wave, wave_programs

PLAN_FIELDS = ("root_cause", "measures", "responsible", "due_on")


@dataclass(frozen=True)
class ActionPolicy:
    due_days: int
    top_gaps: int
    gaps_at: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ActionPolicy:
        gaps_at = config["ACTION_GAPS_AT"]
        if gaps_at not in ACTION_GAPS_AT:
            raise ValueError(f"ACTION_GAPS_AT must be one of {', '.join(ACTION_GAPS_AT)}, not {gaps_at!r}")
        return cls(due_days=int(config["ACTION_DUE_DAYS"]), top_gaps=int(config["ACTION_TOP_GAPS"]),
                   gaps_at=gaps_at)


# --- the history --------------------------------------------------------------------------------------

def _snapshot(action: Action) -> dict[str, Any]:
    return {"status": action.status, "root_cause": action.root_cause, "measures": action.measures,
            "responsible": action.responsible, "due_on": action.due_on.isoformat() if action.due_on else None,
            "implementation_files": list(action.implementation_files or []),
            "visits": len(action.evidence or []), "verification": action.verification,
            "verified_visits": action.verified_visits, "verified_fully_met": action.verified_fully_met}


def _event(session: Session, action: Action, actor: User | None, kind: str, before: dict[str, Any] | None,
           note: str | None = None, now: datetime | None = None) -> None:
    """Record one change of an action: the single place every action change passes through (the
    `action.changed` webhook is emitted from here)."""
    after = _snapshot(action)
    session.add(ActionEvent(action_id=action.id, wave_id=action.wave_id, actor_id=actor.id if actor else None,
                            at=now or utcnow(), kind=kind, before=before, after=after, note=note))
    webhooks.action_changed(session, action, kind, before, after)


# The history kind of a reminder sent to the dealer; its `after` is {"kind": "due_soon" | "overdue",
# "due": the due date reminded of}, which is what makes a reminder go out once per kind and due date.
REMINDED = "reminded"


def record_reminder(session: Session, action: Action, reminder: str, now: datetime) -> None:
    """The dealer was reminded of the action's due date. History, but no change of the action: no
    snapshot, and no `action.changed` webhook."""
    session.add(ActionEvent(action_id=action.id, wave_id=action.wave_id, actor_id=None, at=now, kind=REMINDED,
                            before=None, after={"kind": reminder, "due": action.due.isoformat()}))


def reminders_sent(session: Session, action_ids: list[int]) -> set[tuple[int, str, str]]:
    """(action id, reminder kind, due date ISO) of every reminder recorded for these actions."""
    sent: set[tuple[int, str, str]] = set()
    for start in range(0, len(action_ids), 1000):  # bounded IN lists
        for action_id, after in session.execute(
                select(ActionEvent.action_id, ActionEvent.after)
                .where(ActionEvent.kind == REMINDED, ActionEvent.action_id.in_(action_ids[start:start + 1000]))):
            if action_id is not None and after:
                sent.add((action_id, str(after.get("kind")), str(after.get("due"))))
    return sent


def action_events(session: Session, action_id: int) -> list[ActionEvent]:
    """An action's history, oldest first (the caller has checked that the action may be seen)."""
    return list(session.scalars(select(ActionEvent).where(ActionEvent.action_id == action_id)
                                .order_by(ActionEvent.at, ActionEvent.id)))


# --- what raised an action: the dealer's figures ------------------------------------------------------

def _local_day(moment: datetime | None, timezone: str) -> str | None:
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat() if moment else None


def _visits(data: WaveData, dealer: Dealer, item: str) -> list[dict[str, Any]]:
    """The dealer's visits of the wave on which the item failed (r < 1, knock-outs included), by visit
    date, with what it cost each: audit id and local date only, never the shopper."""
    rows = []
    audits = sorted(data.dealer_audits(dealer.id), key=lambda a: (a.visited_at is None, a.visited_at, str(a.audit_id)))
    for audit in audits:
        score = audit.score
        if item not in score["failed"] and not any(k["item"] == item for k in score["knockouts"]):
            continue
        rows.append({"audit_id": str(audit.audit_id), "visited_on": _local_day(audit.visited_at, dealer.timezone),
                     "ratio": score["ratios"].get(item),
                     "points_lost": score["points_lost"].get(item, 0.0),
                     "knockout_cost": score.get("knockout_cost", {}).get(item, 0.0),
                     "knockout": any(k["item"] == item for k in score["knockouts"])})
    return rows


def _refresh_evidence(session: Session, action: Action, data: WaveData, gaps: Mapping[str, ItemGap],
                      now: datetime) -> None:
    visits = _visits(data, action.dealer, action.item_key)
    gap = gaps.get(action.item_key)
    lost, cost = (gap.mean_points_lost, gap.mean_knockout_cost) if gap else (0.0, 0.0)
    if visits == list(action.evidence or []) and (lost, cost) == (action.points_lost, action.knockout_cost):
        return
    before = _snapshot(action)
    grew = len(visits) > len(action.evidence or [])
    action.evidence, action.points_lost, action.knockout_cost = visits, lost, cost
    _flush(session)  # the dealer may be editing the plan at the same moment: 409, not a lost update
    _event(session, action, None, "evidence_added" if grew else "evidence_updated", before, now=now)


def _existing(session: Session, dealer_id: int, wave_id: int, program: str) -> dict[str, Action]:
    return {a.item_key: a for a in session.scalars(
        select(Action).where(Action.dealer_id == dealer_id, Action.wave_id == wave_id, Action.program == program)
        .options(joinedload(Action.dealer)))}


def _raise(session: Session, data: WaveData, figures: WaveFigures, dealer: Dealer, item: str, origin: str,
           policy: ActionPolicy, now: datetime, actor: User | None = None, note: str | None = None) -> Action:
    info = data.item_info.get(item, {})
    assert data.program is not None
    action = Action(dealer_id=dealer.id, dealer=dealer, wave_id=data.wave.id, program=data.program, item_key=item,
                    item_text=dict(info.get("text") or {"zh": item, "en": item}), origin=origin, status="open",
                    evidence=[], points_lost=0.0, knockout_cost=0.0, owner=info.get("owner"),
                    recommended_action=info.get("action"), raised_by_id=actor.id if actor else None, raised_at=now,
                    due_limit=due_limit_for(now.astimezone(ZoneInfo(dealer.timezone)).date(), policy),
                    implementation_files=[])
    action.evidence = _visits(data, dealer, item)
    gap = figures.dealer_gaps.get(dealer.id, {}).get(item)
    if gap is not None:
        action.points_lost, action.knockout_cost = gap.mean_points_lost, gap.mean_knockout_cost
    session.add(action)
    session.flush()
    _event(session, action, actor, "action_raised", None, note, now=now)
    return action


def top_gap_items(figures: WaveFigures, dealer_id: int, top: int) -> list[str]:
    """The dealer's `top` worst gaps as its scorecard lists them (`worst_gaps`: failed at least once,
    by mean points lost L + K, then failure rate), leaving out the failed knock-outs, which have an
    action of their own whatever their points."""
    rows = worst_gaps(figures.dealer_gaps.get(dealer_id, {}), None, None,
                      figures.dealer_knockouts.get(dealer_id, []), figures.data.item_info, top=None)
    return [row.item for row in rows if not row.knockout][:top]


def _raise_for_dealer(session: Session, data: WaveData, figures: WaveFigures, dealer: Dealer, policy: ActionPolicy,
                      now: datetime, *, knockout_items: list[str], with_top_gaps: bool) -> list[Action]:
    """Raise what is missing for one dealer (never a second action for an item, never deleting one) and
    bring the evidence of its existing actions of the wave up to date."""
    assert data.program is not None
    existing = _existing(session, dealer.id, data.wave.id, data.program)
    gaps = figures.dealer_gaps.get(dealer.id, {})
    raised = []
    wanted = [(item, "knockout") for item in knockout_items]
    if with_top_gaps:
        wanted += [(item, "top_gap") for item in top_gap_items(figures, dealer.id, policy.top_gaps)]
    for item, origin in wanted:
        if item not in existing:
            existing[item] = _raise(session, data, figures, dealer, item, origin, policy, now)
            raised.append(existing[item])
    for action in existing.values():
        if action not in raised:
            _refresh_evidence(session, action, data, gaps, now)
    return raised


def _is_closed(session: Session, wave_id: int) -> bool:
    return session.get(WaveClosure, wave_id) is not None


def on_publication(session: Session, audit: Audit, policy: ActionPolicy, *, min_ranked: int,
                   now: datetime | None = None) -> list[Action]:
    """What publishing an audit does to actions; returns the actions raised.

    The dealer's figures are read once, for that dealer alone (`load_wave(only_dealer=...)`, the same
    figures code and numbers as its scorecard)."""
    now = now or utcnow()
    program = audit.checklist_version.key
    data = load_wave(session, audit.wave.code, min_ranked, program, only_dealer=audit.dealer_id, now=now)
    figures = WaveFigures(data)
    mine = next((a for a in data.audits if a.audit_id == audit.id), None)
    knockouts = list(dict.fromkeys(k["item"] for k in mine.score["knockouts"])) if mine else []
    raised = _raise_for_dealer(session, data, figures, audit.dealer, policy, now, knockout_items=knockouts,
                               with_top_gaps=policy.gaps_at == "publication" or _is_closed(session, audit.wave_id))
    _verify_dealer(session, data, figures, audit.dealer, now)
    session.flush()
    return raised


def on_score_revision(session: Session, audit: Audit, *, min_ranked: int, now: datetime | None = None) -> None:
    """A new score version of a published audit (an upheld dispute) changes the dealer's figures: the
    evidence of its actions of the wave and the verdicts this wave gives follow; nothing is raised or
    deleted (a knock-out overturned on appeal leaves its action with the visits that still failed)."""
    now = now or utcnow()
    data = load_wave(session, audit.wave.code, min_ranked, audit.checklist_version.key, only_dealer=audit.dealer_id,
                     now=now)
    figures = WaveFigures(data)
    assert data.program is not None
    for action in _existing(session, audit.dealer_id, audit.wave_id, data.program).values():
        _refresh_evidence(session, action, data, figures.dealer_gaps.get(audit.dealer_id, {}), now)
    _verify_dealer(session, data, figures, audit.dealer, now)
    session.flush()


# --- closing a wave -----------------------------------------------------------------------------------

def close_wave(session: Session, user: User, wave_code: str, policy: ActionPolicy, *, min_ranked: int,
               now: datetime | None = None) -> tuple[WaveClosure, list[Action]]:
    """QA or an admin declares the wave's results final; the top gaps of every dealer of every program
    of the wave become actions. Closing a closed wave changes nothing and raises nothing."""
    now = now or utcnow()
    access.require_role(user, *STAFF_ROLES)
    wave = session.scalar(select(Wave).where(Wave.code == wave_code))
    if wave is None:
        raise NotFound("action.no_such_wave", wave=wave_code)
    closure = session.get(WaveClosure, wave.id)
    if closure is not None:
        return closure, []
    closure = WaveClosure(wave_id=wave.id, closed_by_id=user.id, closed_at=now)
    session.add(closure)
    session.flush()
    session.add(ActionEvent(action_id=None, wave_id=wave.id, actor_id=user.id, at=now, kind="wave_closed",
                            before=None, after={"wave": wave.code, "closed_at": now.isoformat()}))
    raised: list[Action] = []
    for program in wave_programs(session, wave):
        data = load_wave(session, wave.code, min_ranked, program, now=now)
        figures = WaveFigures(data)
        for dealer_id in data.dealer_ids_in():
            raised += _raise_for_dealer(session, data, figures, data.dealers[dealer_id], policy, now,
                                        knockout_items=[], with_top_gaps=True)
    session.flush()
    return closure, raised


# --- verification by the next wave --------------------------------------------------------------------

def _verifying_wave_id(session: Session, action: Action) -> int | None:
    """The program's next wave at the dealer: the first wave starting after the action's own in which
    the dealer has a published audit of the program."""
    return session.scalar(
        select(Wave.id).join(Audit, Audit.wave_id == Wave.id)
        .join(ChecklistVersion, ChecklistVersion.id == Audit.checklist_version_id)
        .where(Audit.dealer_id == action.dealer_id, Audit.status == "published",
               ChecklistVersion.key == action.program, Wave.starts_on > action.wave.starts_on)
        .order_by(Wave.starts_on, Wave.id).limit(1))


def _apply_verdict(session: Session, action: Action, wave_id: int, gap: ItemGap | None, now: datetime) -> None:
    """Fully met (r = 1) on every visit of the next wave that scored the item → effective; otherwise not
    effective. No verdict while no visit of that wave scored the item (all N/A or hidden)."""
    scored = gap.fully_met + gap.partly_met + gap.not_met if gap else 0
    verdict = None if not scored else "effective" if gap is not None and gap.fully_met == scored else "not_effective"
    fully_met = gap.fully_met if gap and scored else None
    if (action.verification, action.verified_wave_id, action.verified_visits, action.verified_fully_met) == (
            verdict, wave_id if verdict else None, scored or None, fully_met):
        return
    before = _snapshot(action)
    action.verification = verdict
    action.verified_wave_id = wave_id if verdict else None
    action.verified_visits = scored or None
    action.verified_fully_met = fully_met
    action.verified_at = now if verdict else None
    _flush(session)
    _event(session, action, None, "verified", before, now=now)


def _verify_dealer(session: Session, data: WaveData, figures: WaveFigures, dealer: Dealer, now: datetime) -> None:
    """Re-check the dealer's accepted actions of earlier waves of the program whose next wave is this one,
    with the visits published so far (each new visit recomputes the verdict)."""
    accepted = session.scalars(
        select(Action).join(Wave, Wave.id == Action.wave_id)
        .where(Action.dealer_id == dealer.id, Action.program == data.program, Action.status == "accepted",
               Wave.starts_on < data.wave.starts_on)
        .options(joinedload(Action.dealer), joinedload(Action.wave))).unique().all()
    gaps = figures.dealer_gaps.get(dealer.id, {})
    for action in accepted:
        if _verifying_wave_id(session, action) == data.wave.id:
            _apply_verdict(session, action, data.wave.id, gaps.get(action.item_key), now)


def _verify_on_acceptance(session: Session, action: Action, min_ranked: int, now: datetime) -> None:
    """An action accepted after its next wave already has results is verified at once."""
    wave_id = _verifying_wave_id(session, action)
    if wave_id is None:
        return
    wave = session.get(Wave, wave_id)
    assert wave is not None
    data = load_wave(session, wave.code, min_ranked, action.program, only_dealer=action.dealer_id, now=now)
    gaps = WaveFigures(data).dealer_gaps.get(action.dealer_id, {})
    _apply_verdict(session, action, wave_id, gaps.get(action.item_key), now)


# --- raising by hand, reading -------------------------------------------------------------------------

def raise_action(session: Session, user: User, *, dealer_id: int, wave_code: str, program: str, item_key: str,
                 note: str | None, policy: ActionPolicy, min_ranked: int, now: datetime | None = None) -> Action:
    """QA, an admin or the region's manager raises an action on an item of a dealer's published visits."""
    now = now or utcnow()
    access.require_role(user, *ACTION_REVIEW_ROLES)
    dealer = access.ensure_may_raise_action(user, session.get(Dealer, dealer_id))
    wave = session.scalar(select(Wave).where(Wave.code == wave_code))
    if wave is None:
        raise InvalidInput("action.unknown_wave", {"wave": [Message("action.unknown_wave_field", wave=wave_code)]})
    data = load_wave(session, wave.code, min_ranked, program, only_dealer=dealer.id, now=now) \
        if program in wave_programs(session, wave) else None
    if data is None or not data.dealer_audits(dealer.id):
        raise InvalidInput("action.no_published_visits",
                           {"program": [Message("action.no_published_visits_field", program=program, wave=wave.code)]})
    if item_key not in data.item_info:
        raise InvalidInput("action.unknown_item", {"item": [Message("action.unknown_item_field", item=item_key)]})
    if session.scalar(select(Action.id).where(Action.dealer_id == dealer.id, Action.wave_id == wave.id,
                                              Action.program == program, Action.item_key == item_key)):
        raise Conflict("action.already_raised", {"item": [Message("action.already_raised_field")]})
    action = _raise(session, data, WaveFigures(data), dealer, item_key, "manual", policy, now, actor=user, note=note)
    session.flush()
    return action


def get_action(session: Session, user: User, action_id: int, *, for_update: bool = False) -> Action:
    query = select(Action).where(Action.id == action_id).options(
        joinedload(Action.dealer), joinedload(Action.wave), joinedload(Action.verified_wave))
    if for_update:
        query = query.with_for_update(of=Action).execution_options(populate_existing=True)
    return access.ensure_action_visible(user, session.scalar(query))


def find_actions(session: Session, user: User, *, wave: str | None = None, program: str | None = None,
                 dealer_id: int | None = None, status: str | None = None, overdue: bool | None = None,
                 now: datetime | None = None) -> list[Action]:
    now = now or utcnow()
    access.require_role(user, *ACTION_REVIEW_ROLES, "dealer")
    query = (select(Action).join(Wave, Wave.id == Action.wave_id).where(access.action_filter(user))
             .options(joinedload(Action.dealer), joinedload(Action.wave), joinedload(Action.verified_wave))
             .order_by(Wave.starts_on, Action.dealer_id, Action.id))
    if wave:
        query = query.where(Wave.code == wave)
    if program:
        query = query.where(Action.program == program)
    if dealer_id:
        query = query.where(Action.dealer_id == dealer_id)
    if status:
        query = query.where(Action.status == status)
    rows = list(session.scalars(query).unique())
    return [a for a in rows if overdue is None or a.is_overdue(now) == overdue]


# --- the dealer's plan --------------------------------------------------------------------------------

def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("action.changed_concurrently") from None


def _implementation_files(session: Session, action: Action, hashes: list[str]) -> list[dict[str, Any]]:
    """Evidence of implementation: files the dealer's users uploaded (POST /audits/{id}/attachments) to
    one of the dealer's published audits of the action's program; each named by hash and that audit."""
    hashes = list(dict.fromkeys(hashes))
    if not hashes:
        return []
    found: dict[str, str] = {}
    for sha, audit_id in session.execute(
            select(Attachment.sha256, Attachment.audit_id).join(Audit, Audit.id == Attachment.audit_id)
            .join(ChecklistVersion, ChecklistVersion.id == Audit.checklist_version_id)
            .join(User, User.id == Attachment.uploaded_by_id)
            .where(Attachment.sha256.in_(hashes), Audit.dealer_id == action.dealer_id, Audit.status == "published",
                   ChecklistVersion.key == action.program, User.role == "dealer", User.dealer_id == action.dealer_id)
            .order_by(Attachment.id)):
        found.setdefault(sha, str(audit_id))
    missing = [h for h in hashes if h not in found]
    if missing:
        raise InvalidInput("action.upload_evidence_first",
                           {"evidence": [Message("action.evidence_not_uploaded", sha256=h) for h in missing]})
    return [{"sha256": h, "audit_id": found[h]} for h in hashes]


def update_plan(session: Session, user: User, action_id: int, changes: Mapping[str, Any],
                now: datetime | None = None) -> Action:
    """The dealer writes or edits its plan while the action is open, planned or returned; a complete plan
    (root cause, measures, responsible person, due date) makes it planned."""
    now = now or utcnow()
    access.require_role(user, "dealer")
    action = get_action(session, user, action_id, for_update=True)
    if action.status not in ACTION_EDITABLE_STATUSES:
        raise Conflict("action.not_editable", {"status": [action.status]}, status=action.status)
    due = changes.get("due_on")
    if due is not None:
        raised_on = action.raised_at.astimezone(ZoneInfo(action.dealer.timezone)).date()
        if not raised_on <= due <= action.due_limit:
            raise InvalidInput("action.due_out_of_range", {"due_on": [Message(
                "action.due_between", first=raised_on.isoformat(), last=action.due_limit.isoformat())]})
    files = _implementation_files(session, action, changes["evidence"]) if "evidence" in changes else None
    before = _snapshot(action)
    for name in PLAN_FIELDS:
        if name in changes:
            setattr(action, name, changes[name])
    if files is not None:
        action.implementation_files = files
    if all(getattr(action, name) for name in PLAN_FIELDS):
        action.status = "planned"
    if _snapshot(action) == before:
        return action
    _flush(session)
    _event(session, action, user, "plan_saved", before, now=now)
    session.flush()
    return action


def submit(session: Session, user: User, action_id: int, now: datetime | None = None) -> Action:
    now = now or utcnow()
    access.require_role(user, "dealer")
    action = get_action(session, user, action_id, for_update=True)
    if action.status != "planned":
        missing = [name for name in PLAN_FIELDS if not getattr(action, name)]
        if action.status in ACTION_EDITABLE_STATUSES and missing:
            raise Conflict("action.plan_incomplete", {name: [Message("action.plan_field_missing")]
                                                      for name in missing})
        raise Conflict("action.not_submittable", {"status": [action.status]}, status=action.status)
    if not action.implementation_files:
        raise Conflict("action.evidence_required", {"evidence": [Message("action.evidence_required_field")]})
    before = _snapshot(action)
    action.status, action.submitted_at = "submitted", now
    _flush(session)
    _event(session, action, user, "submitted", before, now=now)
    session.flush()
    return action


def review(session: Session, user: User, action_id: int, *, accept: bool, note: str | None, min_ranked: int,
           now: datetime | None = None) -> Action:
    """The region's manager (or QA, an admin) accepts a submitted plan or returns it with a note."""
    now = now or utcnow()
    access.require_role(user, *ACTION_REVIEW_ROLES)
    action = get_action(session, user, action_id, for_update=True)
    if action.status != "submitted":
        raise Conflict("action.not_submitted", {"status": [action.status]}, status=action.status)
    before = _snapshot(action)
    action.status = "accepted" if accept else "returned"
    action.reviewed_by_id, action.reviewed_at, action.review_note = user.id, now, note
    _flush(session)
    _event(session, action, user, "accepted" if accept else "returned", before, note, now=now)
    if accept:
        _verify_on_acceptance(session, action, min_ranked, now)
    session.flush()
    return action


def owner_title(owner: str | None) -> dict[str, str] | None:
    return dict(zip(("zh", "en"), OWNER_TEXT[owner])) if owner in OWNER_TEXT else None


def due_limit_for(raised_on: date, policy: ActionPolicy) -> date:
    return raised_on + timedelta(days=policy.due_days)
