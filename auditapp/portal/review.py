"""The agency's pages: QA's review queue, the review screen (approve, or return with notes on items), the
dispute queue and dispute statistics. The decision page of a dispute serves QA and managers alike."""
from __future__ import annotations

import math
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, redirect, request, url_for
from werkzeug.wrappers import Response

from ..constants import DISPUTE_OUTCOMES
from ..errors import InvalidInput
from ..extensions import db
from ..models import Dispute
from ..services import access
from ..services.audits import AUDIT_SORTS, find_audits, get_audit
from ..services.checklists import checklist_of
from ..services.dispute_review import dispute_sheet
from ..services.disputes import DisputePolicy, decide, dispute_queue, last_day
from ..services.figures import dispute_statistics, load_wave, wave_programs
from ..services.flags import FLAG_CODES
from ..services.review import approve, queue_choices, return_to_shopper, review_sheet
from .core import (
    bp,
    current_user,
    field_errors,
    flash,
    form_choice,
    form_text,
    language,
    message_text,
    nav,
    render,
    roles,
)

PER_PAGE = 25
NOTE_LENGTH = (1, 4000)  # as the API's ReturnSchema
REASON_LENGTH = (5, 4000)
NOTE_FIELD = "note__"  # the form field of an item's note: note__<item key>


def local_time(moment: datetime | None, timezone: str) -> str:
    """A stored UTC time as a person at the dealer reads it."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M") if moment is not None else "–"


bp.add_app_template_global(local_time, "local_time")
# A decision deadline falls at local midnight: shown, as on the dealer's pages, as its last day.
bp.add_app_template_global(last_day, "last_day")


def _policy() -> DisputePolicy:
    return DisputePolicy.from_config(current_app.config)


def item_text(dispute: Dispute) -> dict[str, str]:
    """The disputed item's wording, from the checklist version the audit was made with."""
    item = checklist_of(dispute.audit.checklist_version).items.get(dispute.item_key)
    return item.text.to_dict() if item else {"zh": dispute.item_key, "en": dispute.item_key}


# --- the review queue -----------------------------------------------------------------------------------

def _int_arg(name: str, allowed: set[int], bad: list[str]) -> int | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    if raw.isdigit() and int(raw) in allowed:
        return int(raw)
    bad.append(name)
    return None


def _day_arg(name: str, bad: list[str]) -> date | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2100:
        bad.append(name)
        return None
    return day


@bp.get("/qa/audits")
@nav("nav_review", order=50)
@roles("qa", "admin")
def review_queue():
    """Submitted audits, filtered and sorted as QA asks; a filter that is not valid is named and ignored."""
    user = current_user()
    choices = queue_choices(db.session(), user)
    bad: list[str] = []
    flag = request.args.get("flag") or None
    if flag is not None and flag not in FLAG_CODES:
        bad.append("flag")
        flag = None
    filters: dict[str, Any] = {
        "flag": flag,
        "wave_id": _int_arg("wave", {w.id for w in choices.waves}, bad),
        "dealer_id": _int_arg("dealer", {d.id for d in choices.dealers}, bad),
        "shopper_id": _int_arg("shopper", {s.id for s in choices.shoppers}, bad),
        "submitted_from": _day_arg("from", bad),
        "submitted_to": _day_arg("to", bad),
    }
    sort = request.args.get("sort") or "submitted"
    if sort not in AUDIT_SORTS:
        bad.append("sort")
        sort = "submitted"
    order = request.args.get("order") or "asc"
    if order not in ("asc", "desc"):
        bad.append("order")
        order = "asc"
    page = request.args.get("page", "1")
    page_no = int(page) if page.isdigit() and 0 < int(page) < 100000 else 1
    audits, total = find_audits(db.session(), user, status="submitted", sort=sort, descending=order == "desc",
                                timezone=current_app.config["DEFAULT_TIMEZONE"], page=page_no, per_page=PER_PAGE,
                                **filters)
    pages = max(1, math.ceil(total / PER_PAGE))
    shown = {key: request.args.get(key, "") for key in ("flag", "wave", "dealer", "shopper", "from", "to")
             if key not in bad}
    return render("qa_queue.html", audits=audits, total=total, page=page_no, pages=pages, choices=choices,
                  flag_codes=FLAG_CODES, sorts=AUDIT_SORTS, sort=sort, order=order, shown=shown, bad=bad,
                  query={k: v for k, v in {**shown, "sort": sort, "order": order}.items() if v})


# --- the review screen ----------------------------------------------------------------------------------

def _review_page(audit_id: uuid.UUID, status: int = 200, errors: dict[str, list[str]] | None = None,
                 form: dict[str, str] | None = None, problem: str | None = None):
    sheet = review_sheet(db.session(), current_user(), audit_id)
    lang = language()
    flags = [{**f, "text": (f.get("messages") or {}).get(lang) or f.get("message", "")} for f in sheet.flags]
    def files_of(answer: dict[str, Any]) -> list[Any]:
        return [sheet.attachments[h] for h in answer.get("attachments", []) if h in sheet.attachments]

    return render("qa_audit.html", status=status, sheet=sheet, audit=sheet.audit, flags=flags, errors=errors or {},
                  form=form or {}, note_field=NOTE_FIELD, files_of=files_of, problem=problem,
                  active_nav="portal.review_queue")


@bp.get("/qa/audits/<uuid:audit_id>")
@roles("qa", "admin")
def review_audit(audit_id: uuid.UUID):
    return _review_page(audit_id)


@bp.post("/qa/audits/<uuid:audit_id>/approve")
@roles("qa", "admin")
def approve_audit(audit_id: uuid.UUID) -> Response:
    user = current_user()
    notes = form_text("approve_notes", length=(0, NOTE_LENGTH[1]), required=False) or None
    approve(db.session(), user, get_audit(db.session(), user, audit_id, for_update=True), notes)
    flash("approved_ok")
    return redirect(url_for("portal.review_queue"), code=303)


@bp.post("/qa/audits/<uuid:audit_id>/return")
@roles("qa", "admin")
def return_audit(audit_id: uuid.UUID):
    user = current_user()
    form = {key: value for key, value in request.form.items() if key == "notes" or key.startswith(NOTE_FIELD)}
    try:
        notes = form_text("notes", length=NOTE_LENGTH)
        item_notes = {}
        for key in request.form:
            if key.startswith(NOTE_FIELD) and request.form[key].strip():
                item_notes[key[len(NOTE_FIELD):]] = form_text(key, length=NOTE_LENGTH)
        return_to_shopper(db.session(), user, get_audit(db.session(), user, audit_id, for_update=True), notes,
                          item_notes)
    except InvalidInput as refused:
        db.session.rollback()
        errors = field_errors(refused)
        # The service names a bad item note under item_notes.<key>: show it at that item.
        nested = refused.errors.get("item_notes") if isinstance(refused.errors.get("item_notes"), dict) else {}
        for key, problems in (nested or {}).items():
            errors[NOTE_FIELD + key] = field_errors(InvalidInput("page.invalid_form", {"x": problems}))["x"]
        return _review_page(audit_id, status=422, errors=errors, form=form, problem=message_text(refused.message))
    flash("returned_ok")
    return redirect(url_for("portal.review_queue"), code=303)


# --- disputes -------------------------------------------------------------------------------------------

@bp.get("/qa/disputes")
@nav("nav_dispute_queue", order=55)
@roles("qa", "admin")
def dispute_queue_page():
    queued = dispute_queue(db.session(), current_user(), _policy())
    return render("dispute_queue.html", queued=queued, title_key="dispute_queue_title", item_text=item_text)


@bp.get("/region/escalations")
@nav("nav_escalations", order=35)
@roles("manager")
def escalations():
    queued = dispute_queue(db.session(), current_user(), _policy())
    return render("dispute_queue.html", queued=queued, title_key="escalations_title", item_text=item_text)


def _decision_page(dispute_id: int, status: int = 200, errors: dict[str, list[str]] | None = None,
                   form: dict[str, str] | None = None, problem: str | None = None):
    user = current_user()
    sheet = dispute_sheet(db.session(), user, dispute_id, _policy())
    back = "portal.escalations" if user.role == "manager" else "portal.dispute_queue_page"
    return render("dispute_decide.html", status=status, sheet=sheet, dispute=sheet.dispute, item=sheet.item,
                  audit=sheet.dispute.audit, outcomes=DISPUTE_OUTCOMES, errors=errors or {}, form=form or {},
                  reason_length=REASON_LENGTH, back=back, active_nav=back, problem=problem,
                  title_of_back="escalations_title" if user.role == "manager" else "dispute_queue_title")


@bp.get("/disputes/<int:dispute_id>/decide")
@roles("qa", "admin", "manager")
def dispute_decision(dispute_id: int):
    return _decision_page(dispute_id)


def _value_from_form(item, raw: str) -> Any:
    """The new value of a partially upheld item as the checklist types it (services.decide checks it)."""
    raw = raw.strip()
    if not raw:
        return None
    if item.type in ("scale", "seconds", "minutes", "number"):
        try:
            number = float(raw)
        except ValueError:
            return raw  # refused by the service, named at the field
        if not math.isfinite(number):
            return raw
        return int(number) if number.is_integer() else number
    return raw


@bp.post("/disputes/<int:dispute_id>/decide")
@roles("qa", "admin", "manager")
def decide_dispute(dispute_id: int):
    user = current_user()
    form = {key: request.form.get(key, "") for key in ("outcome", "reason", "value")}
    try:
        outcome = form_choice("outcome", DISPUTE_OUTCOMES)
        reason = form_text("reason", length=REASON_LENGTH)
        value = None
        if outcome == "partially_upheld":
            sheet = dispute_sheet(db.session(), user, dispute_id, _policy())
            value = _value_from_form(sheet.item, form_text("value", length=(1, 200)))
        decide(db.session(), user, dispute_id, outcome=outcome, reason=reason, value=value)
    except InvalidInput as refused:
        db.session.rollback()
        return _decision_page(dispute_id, status=422, errors=field_errors(refused), form=form,
                              problem=message_text(refused.message))
    flash("decided_ok")
    back = "portal.escalations" if user.role == "manager" else "portal.dispute_queue_page"
    return redirect(url_for(back), code=303)


@bp.get("/qa/dispute-stats")
@nav("nav_dispute_stats", order=60)
@roles("qa", "admin")
def dispute_stats():
    user = current_user()
    choices = queue_choices(db.session(), user)
    waves = choices.waves
    wave = next((w for w in waves if w.code == request.args.get("wave")), waves[0] if waves else None)
    programs = wave_programs(db.session(), wave) if wave else []
    program = request.args.get("program") if request.args.get("program") in programs else (
        programs[0] if programs else None)
    stats = None
    if wave is not None and program is not None:
        data = load_wave(db.session(), wave.code, current_app.config["MIN_RANKED_AUDITS"], program)
        stats = dispute_statistics(data, data.dealer_ids_in(None), with_shoppers=access.sees_shopper(user))
        names = {s.id: s.display_name for s in choices.shoppers}
        for row in stats.get("shoppers", []):
            row["name"] = names.get(row["shopper_id"], str(row["shopper_id"]))
    return render("dispute_stats.html", waves=waves, wave=wave, programs=programs, program=program, stats=stats)

