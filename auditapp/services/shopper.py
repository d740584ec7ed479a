"""The shopper's side of the lifecycle (DESIGN 5): draft answers, submit with visit proof, offline sync.

Drafts and submits are implemented once here; the single endpoints and `sync` call the same functions.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, cast

from sqlalchemy import Boolean, Insert, Table, Uuid, bindparam, column, delete, func, insert, select, update
from sqlalchemy import cast as cast_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.http import parse_etags, unquote_etag

from ..checklists.answers import answer_problems
from ..errors import (
    Conflict,
    DomainError,
    InvalidInput,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    from_database_error,
)
from ..messages import Message
from ..models import Answer, Attachment, Audit, IdempotencyRecord, User, answer_json
from . import access
from .audits import get_audit
from .checklists import checklist_of
from .events import record_event, write_event
from .flags import FlagLimits, comment_digest, compute_flags, flag_codes, gather_facts, store_flags

# Statuses in which the shopper may still change answers (and add evidence).
EDITABLE_STATUSES = ("assigned", "in_progress", "returned")
# How a refused edit names the audit's status (message keys).
LOCKED_STATUS_TEXTS = {"submitted": "shopper.status_submitted", "approved": "shopper.status_approved",
                       "published": "shopper.status_published"}

Answers = Mapping[str, Any]


# The submit's statements are built once, with bound parameters: building one costs SQLAlchemy more than
# running it, and a submit runs a dozen.
_IDEMPOTENCY_RECORD = select(IdempotencyRecord).where(
    IdempotencyRecord.user_id == bindparam("user_id"), IdempotencyRecord.key == bindparam("key"))
_ANSWERS = cast(Table, Answer.__table__)  # typed as a FromClause by the declarative base
_DELETE_ANSWERS = delete(_ANSWERS).where(_ANSWERS.c.audit_id == bindparam("audit_id"))
_INSERT_ANSWERS = insert(_ANSWERS)  # a Core insert of the table, not the ORM bulk path


def _insert_answers_from_json() -> Insert:
    """PostgreSQL: INSERT INTO answers ... SELECT from jsonb_array_elements(:rows), for :audit_id; `->`
    keeps a JSON null value as JSON null, `->>` makes a missing or null text SQL NULL."""
    row = func.jsonb_array_elements(bindparam("rows", type_=JSONB)).table_valued(
        column("value", JSONB)).alias("answer_rows").c.value
    return insert(_ANSWERS).from_select(
        ["audit_id", "item_key", "value", "na", "comment", "comment_digest", "attachments"],
        select(cast_(bindparam("audit_id", type_=Uuid), Uuid), row["item_key"].astext, row["value"],
               row["na"].astext.cast(Boolean), row["comment"].astext, row["comment_digest"].astext,
               row["attachments"]))


_INSERT_ANSWERS_FROM_JSON = _insert_answers_from_json()
_INSERT_IDEMPOTENCY_RECORD = insert(cast(Table, IdempotencyRecord.__table__))
_AUDITS = cast(Table, Audit.__table__)
# The SET clause is the columns the parameters name (Audit.updated_at's onupdate included).
_UPDATE_AUDIT = update(_AUDITS).where(_AUDITS.c.id == bindparam("audit_id"))


@dataclass(frozen=True)
class View:
    """How the API shows an audit. Submit responses are stored for retries and sync returns bodies, so
    the service needs them; the format stays with the API layer.

    `body` takes the audit's answers in their stored form when the caller has just written them (the
    submit), so that they are not read back; None reads them."""
    body: Callable[[Audit, Mapping[str, dict[str, Any]] | None], dict[str, Any]]
    etag: Callable[[Audit], str]


@dataclass(frozen=True)
class ShopperRequest:
    """Who is asking and when the server received it (the time stored as submitted_at)."""
    user: User
    received_at: datetime
    limits: FlagLimits
    view: View


@dataclass(frozen=True)
class Outcome:
    """A response as the single endpoint gives it (a replayed submit answers the stored one)."""
    status: int
    body: dict[str, Any]
    replayed: bool = False


def ensure_editable(audit: Audit) -> None:
    if audit.status not in EDITABLE_STATUSES:
        reason = Message(LOCKED_STATUS_TEXTS[audit.status]) if audit.status in LOCKED_STATUS_TEXTS \
            else Message("shopper.status_other", status=audit.status)
        raise Conflict("shopper.audit_locked", {"status": [audit.status]}, status=reason)


def save_draft(session: Session, request: ShopperRequest, audit_id: uuid.UUID, answers: Answers,
               if_match: str | None) -> Audit:
    """Replace the draft answers, provided the caller edited the current revision."""
    user = request.user
    access.require_role(user, "shopper")
    audit = get_audit(session, user, audit_id, for_update=True)
    ensure_editable(audit)
    _check_if_match(if_match, request.view.etag(audit))
    problems = answer_problems(checklist_of(audit.checklist_version), answers, complete=False,
                               known_attachments=_uploaded(session, audit, answers))
    if problems:
        raise InvalidInput("shopper.invalid_answers", {"answers": problems})
    _replace_answers(session, audit, answers)
    audit.revision += 1
    if audit.status == "assigned":
        audit.status = "in_progress"
        record_event(session, audit, user, "started", {"status": "assigned"}, {"status": "in_progress"})
    session.flush()
    return audit


def submit(session: Session, request: ShopperRequest, audit_id: uuid.UUID, answers: Answers,
           visit: Mapping[str, Any], idempotency_key: str | None) -> Outcome:
    """Final answers and visit proof. A retry with the same key and body answers what the first did."""
    user = request.user
    access.require_role(user, "shopper")
    key = parse_idempotency_key(idempotency_key)
    request_hash = _request_hash(audit_id, answers, visit)
    # The lock makes a concurrent retry wait here, then find the record the first one stored.
    audit = get_audit(session, user, audit_id, for_update=True)
    record = session.scalar(_IDEMPOTENCY_RECORD, {"user_id": user.id, "key": key})
    if record is not None:
        if record.request_hash != request_hash:
            raise Conflict("shopper.idempotency_key_reused", {"Idempotency-Key": [key]})
        return Outcome(record.status_code, record.response, replayed=True)
    ensure_editable(audit)
    checklist = checklist_of(audit.checklist_version)
    problems = answer_problems(checklist, answers, complete=True,
                               known_attachments=_uploaded(session, audit, answers))
    if problems:
        raise InvalidInput("shopper.cannot_submit", {"answers": problems})

    checkin = _checkin_for_channel(checklist.channel, visit)
    before = audit.status
    facts = gather_facts(session, audit, answers, visit, request.received_at)
    flags = compute_flags(facts, request.limits)
    stored = _replace_answers(session, audit, answers)
    _write_audit(session, audit, {
        "status": "submitted", "revision": audit.revision + 1,
        "visit_started_at": visit["started_at"], "visit_ended_at": visit["ended_at"],
        "checkin_latitude": checkin["latitude"] if checkin else None,
        "checkin_longitude": checkin["longitude"] if checkin else None,
        "checkin_accuracy_m": checkin.get("accuracy_m") if checkin else None,
        "device_time_at_submit": visit["device_time"], "submitted_at": request.received_at,
        "flags": store_flags(session, audit, flags)})
    write_event(session, audit, user, "submitted", {"status": before},
                {"status": "submitted", "flags": flag_codes(flags)}, note=f"Idempotency-Key {key}")
    # The response is built from what was written, not read back (the same values: answer_json).
    body = request.view.body(audit, stored)
    session.execute(_INSERT_IDEMPOTENCY_RECORD, [
        {"user_id": user.id, "key": key, "audit_id": audit.id, "request_hash": request_hash, "status_code": 200,
         "response": body}])
    return Outcome(200, body)


# --- offline sync -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SyncEntry:
    """One audit of a sync batch; `invalid` is set when the entry failed the request schema."""
    audit_id: uuid.UUID | None
    action: str = "draft"
    answers: Answers | None = None
    visit: Mapping[str, Any] | None = None
    if_match: str | None = None
    idempotency_key: str | None = None
    invalid: DomainError | None = None


@dataclass(frozen=True)
class SyncResult:
    audit_id: str | None
    status: int
    body: dict[str, Any] | None = None
    etag: str | None = None
    error: DomainError | None = None


def sync(session: Session, request: ShopperRequest, entries: Sequence[SyncEntry]) -> list[SyncResult]:
    """Each entry in its own savepoint: a refused entry is rolled back alone and the others are kept."""
    access.require_role(request.user, "shopper")
    return [_sync_one(session, request, entry) for entry in entries]


def _sync_one(session: Session, request: ShopperRequest, entry: SyncEntry) -> SyncResult:
    audit_id = str(entry.audit_id) if entry.audit_id else None
    if entry.invalid is not None:
        return SyncResult(audit_id, entry.invalid.status, error=entry.invalid)
    assert entry.audit_id is not None and entry.answers is not None
    try:
        with session.begin_nested():
            if entry.action == "draft":
                audit = save_draft(session, request, entry.audit_id, entry.answers, entry.if_match)
                return SyncResult(audit_id, 200, request.view.body(audit, None), request.view.etag(audit))
            if entry.visit is None:
                raise InvalidInput("request.invalid_input", {"json": {"visit": [Message("input.required")]}})
            outcome = submit(session, request, entry.audit_id, entry.answers, entry.visit, entry.idempotency_key)
            return SyncResult(audit_id, outcome.status, outcome.body, outcome.body.get("etag"))
    except DomainError as error:
        return SyncResult(audit_id, error.status, error=error)
    except SQLAlchemyError as error:
        # The savepoint is rolled back: the entry is answered as its single request would be (a value the
        # database refuses, a concurrent insert), and the batch goes on. An unavailable database fails
        # every entry alike: that is the whole request's answer (503), not this entry's.
        mapped = from_database_error(error)
        if mapped is None or mapped.status == ServiceUnavailable.status:
            raise
        return SyncResult(audit_id, mapped.status, error=mapped)


# --- helpers ------------------------------------------------------------------------------------------

def parse_idempotency_key(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise PreconditionRequired("shopper.idempotency_key_required")
    try:
        return str(uuid.UUID(raw.strip()))
    except ValueError:
        raise DomainError("shopper.idempotency_key_not_uuid",
                          {"Idempotency-Key": [Message("shopper.not_a_uuid")]}) from None


def _check_if_match(if_match: str | None, current: str) -> None:
    if if_match is None or not if_match.strip():
        raise PreconditionRequired("shopper.if_match_required")
    tags = parse_etags(if_match)
    # "*" would overwrite whatever another device saved: exactly what If-Match is here to prevent.
    if tags.star_tag:
        raise PreconditionRequired("shopper.if_match_star")
    if not tags.contains(unquote_etag(current)[0]):
        raise PreconditionFailed("shopper.stale_etag", {"If-Match": [Message("shopper.current_etag", etag=current)]})


def _checkin_for_channel(channel: str, visit: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Only a visit has a place: it needs its GPS check-in; a phone or online audit has none to store."""
    if channel != "visit":
        return None
    checkin: Mapping[str, Any] | None = visit.get("checkin")
    if checkin is None:
        raise InvalidInput("shopper.checkin_required",
                           {"visit": {"checkin": [Message("shopper.checkin_required_field")]}})
    return checkin


def _uploaded(session: Session, audit: Audit, answers: Any) -> set[str]:
    """The audit's uploaded files, as far as the answers can cite them (no query when none cites one)."""
    cites = isinstance(answers, Mapping) and any(
        isinstance(answer, Mapping) and answer.get("attachments") for answer in answers.values())
    if not cites:
        return set()
    return set(session.scalars(select(Attachment.sha256).where(Attachment.audit_id == audit.id)))


def _write_audit(session: Session, audit: Audit, values: Mapping[str, Any]) -> None:
    """Write these columns of the audit's row with one UPDATE built once, and give the loaded audit the
    same values as its committed state: the ORM's flush of this one object cost more than the
    submission's other writes together."""
    session.execute(_UPDATE_AUDIT, {"audit_id": audit.id, **values})
    for key, value in values.items():
        set_committed_value(audit, key, value)


def _replace_answers(session: Session, audit: Audit, answers: Answers) -> dict[str, dict[str, Any]]:
    """Store the answers in place of the audit's previous ones; returns them as stored, by item key.
    The caller bumps the audit's revision."""
    session.execute(_DELETE_ANSWERS, {"audit_id": audit.id})
    # Every row names every column, so that one statement stores them all: the ORM's bulk insert would
    # leave out None values and split the rows into one INSERT per set of columns. A None value is
    # stored as JSON null, as the ORM stored it (JSONDoc does not turn None into SQL NULL).
    rows = [{"item_key": key, "value": answer.get("value"), "na": answer.get("na") is True,
             "comment": answer.get("comment"), "comment_digest": comment_digest(answer.get("comment")),
             "attachments": list(answer.get("attachments") or [])}
            for key, answer in answers.items()]
    if rows and session.get_bind().dialect.name == "postgresql":
        # psycopg sends an executemany as one statement per row (pipeline mode), some 40 µs of client
        # CPU each; one statement over the rows as a JSON array costs one parameter.
        session.execute(_INSERT_ANSWERS_FROM_JSON, {"audit_id": audit.id, "rows": rows})
    elif rows:
        session.execute(_INSERT_ANSWERS, [{"audit_id": audit.id, **row} for row in rows])
    return {row["item_key"]: answer_json(value=row["value"], na=row["na"], comment=row["comment"],
                                         attachments=row["attachments"]) for row in rows}


def _request_hash(audit_id: uuid.UUID, answers: Answers, visit: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of what was asked (same times in other offsets hash the same)."""
    canonical = json.dumps({"audit_id": str(audit_id), "answers": answers, "visit": visit},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_canonical)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")
