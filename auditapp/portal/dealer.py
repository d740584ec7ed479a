"""A dealer's pages: results per program and wave (the scorecard's figures and charts), the visits with
their item-by-item results, comments and photos, disputes filed from the item, and the dealer's disputes.

Results, visits and dispute pages take the dealer or object from the URL and are open to managers and
the agency as well (a manager drills down to a dealer and a visit); services.access decides, so a
dealer asking for another dealer's page gets the same not-found page as for one that does not exist.
Nothing here names the shopper or the planned visit window: the services never hand them to a dealer,
and the pages print only the fields below."""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any, BinaryIO, cast
from zoneinfo import ZoneInfo

from flask import current_app, redirect, request, url_for
from werkzeug.wrappers import Response

from ..checklists.answers import visible_items
from ..checklists.model import Checklist, Item
from ..constants import DISPUTE_CLAIM_LENGTH, ESCALATION_NOTE_LENGTH, REPORT_LANGUAGES, REQUESTED_OUTCOMES
from ..downloads import attachment_download, pdf_download
from ..errors import DomainError, NotFound
from ..extensions import db
from ..limits import is_code
from ..models import Attachment, Dealer, Dispute, User, utcnow
from ..reports import charts
from ..services import access, attachments
from ..services.audits import get_audit, result_choices
from ..services.checklists import checklist_of
from ..services.disputes import (
    DisputePolicy,
    decision_deadline,
    escalate,
    escalation_deadline,
    file_dispute,
    filing_deadline,
    find_disputes,
    get_dispute,
    is_overdue,
    last_day,
)
from ..services.figures import dealer_scorecard, load_wave
from ..services.notifications import queue_dispute_mails
from ..services.reports import dealer_source
from ..services.score_versions import answers_of, latest_versions, original_overalls, stored_score
from .core import (
    bp,
    current_user,
    field_errors,
    flash,
    form_choice,
    form_text,
    labeller,
    message_text,
    nav,
    render,
    roles,
)

RESULT_READERS = ("dealer", "manager", "qa", "admin")
READ_CHUNK = 1024 * 1024


def _policy() -> DisputePolicy:
    return DisputePolicy.from_config(current_app.config)


def _store() -> attachments.FileStore:
    return attachments.FileStore(current_app.config["ATTACHMENT_DIR"])


def _own_dealer_id() -> int:
    dealer_id = current_user().dealer_id
    if dealer_id is None:  # a dealer user always has one (a CHECK constraint); never a page without it
        raise NotFound("page.not_found")
    return dealer_id


def _local(moment: datetime | None, timezone: str) -> str | None:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M") if moment else None


# --- the dealer's own entry points (the navigation) ------------------------------------------------------

def _choice_args() -> dict[str, Any]:
    return {name: request.args[name] for name in ("wave", "program") if name in request.args}


@bp.get("/results")
@nav("nav_results", order=10)
@roles("dealer")
def my_results() -> Response:
    return redirect(url_for("portal.dealer_results", dealer_id=_own_dealer_id(), **_choice_args()), code=303)


@bp.get("/visits")
@nav("nav_visits", order=20)
@roles("dealer")
def my_visits() -> Response:
    return redirect(url_for("portal.dealer_visits", dealer_id=_own_dealer_id(), **_choice_args()), code=303)


# --- results and visits of one dealer ------------------------------------------------------------------

def _dealer_and_choice(dealer_id: int) -> tuple[Dealer, list[dict[str, Any]], dict[str, Any] | None]:
    """The dealer (if the user may see its results), its (wave, program) choices, and the one asked for
    (`?wave=&program=`, else the newest); the choice is None when there is nothing published yet."""
    user = current_user()
    dealer = access.ensure_dealer_results_visible(user, db.session.get(Dealer, dealer_id))
    choices = [{"wave": w.code, "wave_title": {"zh": w.title_zh, "en": w.title_en}, "program": key,
                "program_title": title} for w, key, title in result_choices(db.session(), user, dealer.id)]
    wave, program = request.args.get("wave"), request.args.get("program")
    if wave is None and program is None:
        return dealer, choices, choices[0] if choices else None
    chosen = next((c for c in choices if c["wave"] == wave and (program is None or c["program"] == program)), None)
    if chosen is None or (wave is not None and not is_code(wave)):
        raise NotFound("page.not_found")
    return dealer, choices, chosen


def _scorecard(dealer: Dealer, choice: dict[str, Any]) -> dict[str, Any]:
    data = load_wave(db.session(), choice["wave"], current_app.config["MIN_RANKED_AUDITS"], choice["program"],
                     dispute_policy=_policy(), comments_for=dealer.id)
    return dealer_scorecard(data, dealer)


@bp.get("/dealers/<int:dealer_id>/results")
@roles(*RESULT_READERS)
def dealer_results(dealer_id: int):
    dealer, choices, choice = _dealer_and_choice(dealer_id)
    if choice is None:
        return render("dealer_results.html", dealer=dealer, choices=choices, choice=None, card=None,
                      active_nav="portal.my_results")
    card = _scorecard(dealer, choice)
    lab = labeller()
    figures = {
        "mot": charts.comparison_chart(card["sections"], lab, charts.DEALER_SERIES, kind="bars"),
        "dimensions": charts.comparison_chart(card["dimensions"], lab, charts.DEALER_SERIES, kind="profile"),
        "trend": charts.trend_chart(card["trend"], lab) if len(card["trend"]) > 1 else None,
    }
    return render("dealer_results.html", dealer=dealer, choices=choices, choice=choice, card=card, figures=figures,
                  pdf_languages=REPORT_LANGUAGES, active_nav="portal.my_results")


@bp.get("/dealers/<int:dealer_id>/visits")
@roles(*RESULT_READERS)
def dealer_visits(dealer_id: int):
    dealer, choices, choice = _dealer_and_choice(dealer_id)
    card = _scorecard(dealer, choice) if choice else None
    return render("dealer_visits.html", dealer=dealer, choices=choices, choice=choice, card=card,
                  active_nav="portal.my_visits")


@bp.get("/dealers/<int:dealer_id>/scorecard.pdf")
@roles(*RESULT_READERS)
def scorecard_pdf(dealer_id: int) -> Response:
    dealer, _, choice = _dealer_and_choice(dealer_id)
    lang = request.args.get("lang", labeller().lang)
    if choice is None or lang not in REPORT_LANGUAGES:
        raise NotFound("page.not_found")
    return pdf_download(lambda data, figures, version: dealer_source(data, figures, dealer, lang, version),
                        choice["wave"], choice["program"], f"scorecard-{dealer.code}")


# --- one visit ---------------------------------------------------------------------------------------------

def _answer_text(item: Item, answer: dict[str, Any] | None) -> dict[str, str] | str | None:
    """What the shopper answered, as text in both languages (or a plain value)."""
    if answer is None or item.type == "photo":
        return None
    if answer.get("na"):
        return "na"
    value = answer.get("value")
    if value is None:
        return None
    if item.type == "yes_no":
        return "yes" if value == "yes" else "no" if value == "no" else str(value)
    if item.type == "choice":
        option = next((o for o in item.options if o.key == value), None)
        return option.text.to_dict() if option else str(value)
    if item.type == "scale":
        return f"{value} / {item.max:g}" if item.max is not None else str(value)
    return str(value)


def _met(item: Item, answer: dict[str, Any] | None, ratio: float | None) -> str:
    """How the item did: met in full, in part, not; N/A; or not scored (evidence, weightless items)."""
    if (answer or {}).get("na"):
        return "not_applicable"
    if item.weight == 0 or ratio is None:
        return "not_scored_item"
    return "met_full" if ratio >= 1 else "met_not" if ratio <= 0 else "met_partly"


def _visit_page(audit_id: uuid.UUID, *, errors_at: str | None = None, error: DomainError | None = None,
                form: dict[str, str] | None = None, status: int = 200):
    user = current_user()
    session = db.session()
    audit = get_audit(session, user, audit_id)
    checklist: Checklist = checklist_of(audit.checklist_version)
    answers = answers_of(session, audit)
    version = latest_versions(session, [audit.id]).get(audit.id)
    if version is None:  # a published audit always has one; others are not results yet
        raise NotFound("page.not_found")
    score = stored_score(version, checklist)
    original = original_overalls(session, [audit.id]).get(audit.id)
    files = attachments.visible_attachments(session, user, audit)
    disputes: dict[str, list[Dispute]] = {}
    for dispute in find_disputes(session, user, audit_id=audit.id):
        disputes.setdefault(dispute.item_key, []).append(dispute)
    policy = _policy()
    now = utcnow()
    timezone = audit.dealer.timezone
    window_end = filing_deadline(audit, policy) if audit.published_at else None
    window_open = window_end is not None and now < window_end
    shown = set(visible_items(checklist, answers))
    sections = []
    for section in checklist.sections:
        rows = []
        for item in section.items:
            if item.key not in shown:
                continue
            answer = answers.get(item.key)
            ratio = score["ratios"].get(item.key)
            open_dispute = any(d.is_open for d in disputes.get(item.key, []))
            lost = score["points_lost"].get(item.key, 0.0)
            rows.append({
                "item": item, "answer": _answer_text(item, answer),
                "comment": (answer or {}).get("comment"),
                "files": [files[h] for h in (answer or {}).get("attachments", []) if h in files],
                "met": _met(item, answer, ratio), "ratio": ratio, "lost": lost,
                "ko": score["knockout_cost"].get(item.key, 0.0),
                "overridden": item.key in (version.overrides or {}),
                "disputes": disputes.get(item.key, []),
                "may_dispute": access.may_dispute(user) and item.disputable and ratio is not None and ratio < 1
                and not open_dispute,
                "open_dispute": open_dispute,
            })
        knocked = any(k["scope"] == "section" and k["section"] == section.key for k in score["knockouts"])
        sections.append({"section": section, "score": score["sections"].get(section.key), "rows": rows,
                         "knocked_out": knocked})
    return render("visit.html", status=status, audit=audit, checklist=checklist, version=version, score=score,
                  original=original, sections=sections, visited_on=_local(audit.visit_started_at, timezone),
                  window_open=window_open, last_day=last_day(window_end, timezone) if window_end else None,
                  audit_knocked_out=any(k["scope"] == "audit" for k in score["knockouts"]),
                  errors_at=errors_at, error_text=message_text(error.message) if error else None,
                  errors=field_errors(error) if error else {}, form=form or {},
                  claim_length=DISPUTE_CLAIM_LENGTH, active_nav="portal.my_visits")


@bp.get("/visits/<uuid:audit_id>")
@roles(*RESULT_READERS)
def visit(audit_id: uuid.UUID):
    return _visit_page(audit_id)


@bp.get("/visits/<uuid:audit_id>/files/<string:sha256>")
@roles(*RESULT_READERS)
def visit_file(audit_id: uuid.UUID, sha256: str) -> Response:
    """An evidence file through the attachment service: the metadata-free copy of a photo for whoever
    does not receive originals (access.receives_original)."""
    return attachment_download(attachments.find_for_download(db.session(), current_user(), audit_id, sha256,
                                                             _store()))


def _hashed(stream: Any) -> str:
    """The SHA-256 of an uploaded file (the browser sends none; the service checks what it receives)."""
    digest = hashlib.sha256()
    while chunk := stream.read(READ_CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


@bp.post("/visits/<uuid:audit_id>/items/<string:item_key>/dispute")
@roles("dealer")
def file_item_dispute(audit_id: uuid.UUID, item_key: str):
    user = current_user()
    form = {"claim": request.form.get("claim", ""), "requested_outcome": request.form.get("requested_outcome", "")}
    try:
        claim = form_text("claim", length=DISPUTE_CLAIM_LENGTH)
        outcome = form_choice("requested_outcome", REQUESTED_OUTCOMES)
        evidence = []
        upload = request.files.get("evidence")
        if upload is not None and upload.filename:
            attachment, _ = attachments.upload(
                db.session(), user, audit_id, stream=cast(BinaryIO, upload.stream), sha256=_hashed(upload.stream),
                filename=upload.filename, store=_store(), max_bytes=current_app.config["MAX_ATTACHMENT_BYTES"])
            evidence.append(attachment.sha256)
        dispute = file_dispute(db.session(), user, audit_id, item_key=item_key, claim=claim,
                               requested_outcome=outcome, evidence=evidence, policy=_policy())
    except NotFound:
        raise
    except DomainError as refused:
        db.session.rollback()  # nothing of a refused dispute stays: not even its uploaded evidence
        return _visit_page(audit_id, errors_at=item_key, error=refused, form=form, status=refused.status)
    queue_dispute_mails(db.session(), current_app.config, dispute, "filed")
    flash("dispute_filed")
    return redirect(url_for("portal.visit", audit_id=audit_id, _anchor=f"item-{item_key}"), code=303)


# --- disputes ------------------------------------------------------------------------------------------------

def _dispute_row(dispute: Dispute, checklists: dict[int, Checklist], policy: DisputePolicy) -> dict[str, Any]:
    audit = dispute.audit
    if audit.checklist_version_id not in checklists:
        checklists[audit.checklist_version_id] = checklist_of(audit.checklist_version)
    item = checklists[audit.checklist_version_id].items.get(dispute.item_key)
    timezone = audit.dealer.timezone
    return {
        "dispute": dispute, "item_text": item.text.to_dict() if item else {"zh": dispute.item_key,
                                                                           "en": dispute.item_key},
        "visited_on": _local(audit.visit_started_at, timezone),
        "filed_at": _local(dispute.filed_at, timezone),
        "decision_due": last_day(decision_deadline(dispute, policy), timezone) if dispute.is_open else None,
        "overdue": is_overdue(dispute, policy, utcnow()),
        "outcome": dispute.final_outcome or dispute.qa_outcome,
        "reason": dispute.final_reason or dispute.qa_reason,
    }


@bp.get("/disputes")
@nav("nav_disputes", order=25)
@roles("dealer")
def my_disputes():
    policy = _policy()
    checklists: dict[int, Checklist] = {}
    rows = [_dispute_row(d, checklists, policy) for d in reversed(find_disputes(db.session(), current_user()))]
    return render("dealer_disputes.html", rows=rows)


def _dispute_page(dispute_id: int, *, error: DomainError | None = None, note: str = "", status: int = 200):
    user: User = current_user()
    policy = _policy()
    dispute = get_dispute(db.session(), user, dispute_id)
    row = _dispute_row(dispute, {}, policy)
    timezone = dispute.audit.dealer.timezone
    files = attachments.visible_attachments(db.session(), user, dispute.audit)
    may_escalate = (access.may_dispute(user) and dispute.status == "rejected" and dispute.escalated_at is None
                    and utcnow() < escalation_deadline(dispute, policy))
    history: list[tuple[str, datetime | None, str | None, str | None]] = [
        ("ev_filed", dispute.filed_at, None, dispute.claim)]
    if dispute.qa_decided_at:
        history.append(("ev_qa_decided", dispute.qa_decided_at, dispute.qa_outcome, dispute.qa_reason))
    if dispute.escalated_at:
        history.append(("ev_escalated", dispute.escalated_at, None, dispute.escalation_note))
    if dispute.final_decided_at:
        history.append(("ev_final", dispute.final_decided_at, dispute.final_outcome, dispute.final_reason))
    return render("dispute_page.html", status=status, row=row, dispute=dispute,
                  history=[{"label": label, "at": _local(at, timezone), "outcome": outcome, "text": text}
                           for label, at, outcome, text in history],
                  evidence=[files[h] for h in dispute.evidence or [] if h in files],
                  filing_last_day=last_day(filing_deadline(dispute.audit, policy), timezone),
                  may_escalate=may_escalate,
                  escalation_last_day=last_day(escalation_deadline(dispute, policy), timezone)
                  if dispute.qa_decided_at else None,
                  note_length=ESCALATION_NOTE_LENGTH, note=note,
                  error_text=message_text(error.message) if error else None,
                  errors=field_errors(error) if error else {}, active_nav="portal.my_disputes")


@bp.get("/disputes/<int:dispute_id>")
@roles(*RESULT_READERS)
def dispute_page(dispute_id: int):
    return _dispute_page(dispute_id)


@bp.post("/disputes/<int:dispute_id>/escalate")
@roles("dealer")
def escalate_dispute(dispute_id: int):
    note = request.form.get("note", "")
    try:
        checked = form_text("note", length=ESCALATION_NOTE_LENGTH)
        dispute = escalate(db.session(), current_user(), dispute_id, note=checked, policy=_policy())
    except NotFound:
        raise
    except DomainError as refused:
        db.session.rollback()
        return _dispute_page(dispute_id, error=refused, note=note, status=refused.status)
    queue_dispute_mails(db.session(), current_app.config, dispute, "escalated")
    flash("escalated_ok")
    return redirect(url_for("portal.dispute_page", dispute_id=dispute_id), code=303)


def shows_inline(attachment: Attachment) -> bool:
    """Whether a browser can show the file (as served: a photo's copy is JPEG or PNG) in an <img>."""
    return (attachment.stripped_content_type or attachment.content_type) in ("image/jpeg", "image/png")


bp.add_app_template_global(shows_inline, "shows_inline")
