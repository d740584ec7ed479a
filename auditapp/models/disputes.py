"""Dealer disputes of audit items (DESIGN 6)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..constants import DISPUTE_STATUSES, OPEN_DISPUTE_STATUSES, REQUESTED_OUTCOMES, sql_one_of
from .audit import Audit
from .base import Base, JSONDoc, UTCDateTime, utcnow
from .org import User


class Dispute(Base):
    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("audits.id"), index=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open")
    claim: Mapped[str] = mapped_column(Text)
    requested_outcome: Mapped[str] = mapped_column(String(20))  # pass | not_applicable
    evidence: Mapped[list[str]] = mapped_column(JSONDoc, default=list)  # sha256 of uploaded files
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The QA decision, then (after an escalation) the manager's final one.
    qa_outcome: Mapped[str | None] = mapped_column(String(20))
    qa_reason: Mapped[str | None] = mapped_column(Text)
    qa_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    qa_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_note: Mapped[str | None] = mapped_column(Text)
    final_outcome: Mapped[str | None] = mapped_column(String(20))
    final_reason: Mapped[str | None] = mapped_column(Text)
    final_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    final_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The answer that replaces the shopper's for scoring when upheld (the shopper's is never edited).
    override: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    score_version: Mapped[int | None] = mapped_column(Integer)  # the version the decision created
    # Optimistic lock: two reviewers deciding at once → the second gets 409, not a double decision.
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    audit: Mapped[Audit] = relationship()
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        CheckConstraint(sql_one_of("status", DISPUTE_STATUSES), name="status"),
        CheckConstraint(sql_one_of("requested_outcome", REQUESTED_OUTCOMES), name="requested_outcome"),
        # One open dispute per item of an audit.
        Index("uq_disputes_open_item", "audit_id", "item_key", unique=True,
              sqlite_where=text(sql_one_of("status", OPEN_DISPUTE_STATUSES)),
              postgresql_where=text(sql_one_of("status", OPEN_DISPUTE_STATUSES))),
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DISPUTE_STATUSES
