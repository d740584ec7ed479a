"""Audits, their answers, evidence, score versions and the append-only event history."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..constants import AUDIT_STATUSES, sql_one_of
from .base import Base, JSONDoc, UTCDateTime, utcnow
from .org import Dealer, User
from .program import ChecklistVersion, Wave


class Audit(Base):
    __tablename__ = "audits"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), index=True)
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_versions.id"))
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="assigned", index=True)
    # The planned visit window: never shown to the dealer (DESIGN 7).
    visit_window_start: Mapped[date] = mapped_column(Date)
    visit_window_end: Mapped[date] = mapped_column(Date)
    # Bumped on every answer change; the ETag of the draft.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    visit_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    visit_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_latitude: Mapped[float | None] = mapped_column(Float)
    checkin_longitude: Mapped[float | None] = mapped_column(Float)
    checkin_accuracy_m: Mapped[float | None] = mapped_column(Float)
    device_time_at_submit: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # server receive time
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    review_notes: Mapped[str | None] = mapped_column(Text)
    # QA's notes on single items at the last return, by item key. Kept through the resubmission, so that
    # QA re-reviewing sees what it asked next to each corrected item; the next return replaces them.
    review_item_notes: Mapped[dict[str, str] | None] = mapped_column(JSONDoc)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    dealer: Mapped[Dealer] = relationship()
    wave: Mapped[Wave] = relationship()
    checklist_version: Mapped[ChecklistVersion] = relationship()
    shopper: Mapped[User] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="audit", cascade="all, delete-orphan", order_by="Answer.item_key")

    __table_args__ = (
        CheckConstraint(sql_one_of("status", AUDIT_STATUSES), name="status"),
        CheckConstraint("visit_window_end >= visit_window_start", name="visit_window"),
    )


class Answer(Base):
    """The shopper's answer to one item; never edited after publication (disputes add overrides)."""

    __tablename__ = "answers"

    audit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONDoc, nullable=True)
    na: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the normalised comment (long enough comments only): finds identical comments across
    # audits with an index lookup instead of a scan of every comment.
    comment_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    attachments: Mapped[list[str]] = mapped_column(JSONDoc, default=list)

    audit: Mapped[Audit] = relationship(back_populates="answers")

    def to_json(self) -> dict[str, Any]:
        return answer_json(value=self.value, na=self.na, comment=self.comment, attachments=self.attachments)


def answer_json(*, value: Any, na: bool, comment: str | None, attachments: list[str] | None) -> dict[str, Any]:
    """A stored answer as the API shows it, from its columns: a stored row (Answer.to_json) and a row
    about to be stored (the submit's response, built from what it writes) read the same."""
    out: dict[str, Any] = {"na": True} if na else {}
    if not na and value is not None:
        out["value"] = value
    if comment:
        out["comment"] = comment
    if attachments:
        out["attachments"] = list(attachments)
    return out


class Attachment(Base):
    """Evidence stored by content hash; the same file on the same audit is stored once."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(255))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Photos only: the re-encoded copy without metadata that everyone but the agency receives (DESIGN 7),
    # stored by its own hash like any file.
    stripped_sha256: Mapped[str | None] = mapped_column(String(64))
    stripped_size: Mapped[int | None]
    stripped_content_type: Mapped[str | None] = mapped_column(String(64))
    # Read from the original's EXIF for the quality flags.
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capture_latitude: Mapped[float | None] = mapped_column(Float)
    capture_longitude: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("audit_id", "sha256"),)


class AuditFlag(Base):
    """The codes of an audit's current quality flags (the flags themselves are in `Audit.flags`), so that
    QA's list filters by code with an index instead of searching JSON, the same way on every database."""

    __tablename__ = "audit_flags"

    audit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class ScoreVersion(Base):
    """One computation of an audit's score; every recomputation is a new row, none is changed."""

    __tablename__ = "score_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    overall: Mapped[float | None] = mapped_column(Float)
    overall_raw: Mapped[float | None] = mapped_column(Float)
    score: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("audit_id", "version"),)


class AuditFigures(Base):
    """What wave figures read of an audit's latest score version (DESIGN 4): one row per scored audit,
    replaced by `services.score_versions` in the same transaction as each new version.

    Derived, never edited by hand: `figures` is the engine's stored score (knockout_cost always
    present) without the global weights and the excluded list, which no wave figure reads. A wave's
    scorecards then read one row per audit through the (wave, program) index, however many versions
    and waves the database holds, instead of picking the newest of every audit's versions."""

    __tablename__ = "audit_figures"

    audit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    program: Mapped[str] = mapped_column(String(64))  # the checklist key
    score_version_id: Mapped[int] = mapped_column(ForeignKey("score_versions.id"))
    version: Mapped[int]
    overall: Mapped[float | None] = mapped_column(Float)
    original_overall: Mapped[float | None] = mapped_column(Float)  # version 1's, shown beside a revision
    figures: Mapped[dict[str, Any]] = mapped_column(JSONDoc)

    __table_args__ = (Index("ix_audit_figures_wave_id_program", "wave_id", "program"),)


class IdempotencyRecord(Base):
    """What a submit with a given Idempotency-Key answered, to answer a retry the same way."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    audit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "key"),)


class AuditEvent(Base):
    """Append-only history of state changes (actor, time, before/after)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("audits.id"), index=True)
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("disputes.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    note: Mapped[str | None] = mapped_column(Text)


class AppendOnlyViolation(Exception):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_history_rewrites(session: Session, flush_context: object, instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, (AuditEvent, ScoreVersion)) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation(f"{type(obj).__name__} rows are append-only")
