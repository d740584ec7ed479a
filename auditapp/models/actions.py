"""Corrective action plans (DESIGN 11): what a dealer does about a failed knock-out or a top gap, the
manager's review, the next wave's verdict, and their append-only history."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..constants import ACTION_ORIGINS, ACTION_STATUSES, ACTION_VERDICTS, sql_one_of
from .base import Base, JSONDoc, UTCDateTime, utcnow
from .org import Dealer
from .program import Wave


class Action(Base):
    """One corrective action: one per dealer, wave, program and item (a second failed visit of the same
    item adds evidence to it instead of a second action)."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), index=True)
    program: Mapped[str] = mapped_column(String(64))  # the checklist key
    item_key: Mapped[str] = mapped_column(String(64))
    item_text: Mapped[dict[str, Any]] = mapped_column(JSONDoc)  # {zh, en} of the item when raised
    origin: Mapped[str] = mapped_column(String(16))  # knockout | top_gap | manual
    status: Mapped[str] = mapped_column(String(16), default="open")
    # What raised it, refreshed from the dealer's wave figures: the visits (audit ids and local dates,
    # never the shopper) with each one's points lost L and knock-out cost K, and the dealer's means.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    points_lost: Mapped[float] = mapped_column(Float, default=0.0)
    knockout_cost: Mapped[float] = mapped_column(Float, default=0.0)
    # Starting points copied from the checklist item when the action is raised.
    owner: Mapped[str | None] = mapped_column(String(32))
    recommended_action: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: raised by the system
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The dealer's plan.
    root_cause: Mapped[str | None] = mapped_column(Text)
    measures: Mapped[str | None] = mapped_column(Text)
    responsible: Mapped[str | None] = mapped_column(String(200))
    # The latest due date a plan may set (raised date + ACTION_DUE_DAYS, the dealer's local dates), and
    # the one the plan set; overdue is read against the plan's, else the limit.
    due_limit: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    # Evidence of implementation: [{"sha256", "audit_id"}] of files uploaded by the dealer through the
    # attachment service to one of its published audits of the action's program.
    implementation_files: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(Text)  # the note of the last return (or acceptance)
    # The next wave's verdict on an accepted action.
    verification: Mapped[str | None] = mapped_column(String(16))  # effective | not_effective
    verified_wave_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id"))
    verified_visits: Mapped[int | None] = mapped_column(Integer)
    verified_fully_met: Mapped[int | None] = mapped_column(Integer)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic lock: a manager accepting while the dealer edits → one of them gets 409.
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    dealer: Mapped[Dealer] = relationship()
    wave: Mapped[Wave] = relationship(foreign_keys=[wave_id])
    verified_wave: Mapped[Wave | None] = relationship(foreign_keys=[verified_wave_id])

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def due(self) -> date:
        """The date the plan is due: the plan's own, else the latest one allowed."""
        return self.due_on or self.due_limit

    def is_overdue(self, now: datetime) -> bool:
        return is_overdue(self.status, self.due, self.dealer.timezone, now)

    __table_args__ = (
        UniqueConstraint("dealer_id", "wave_id", "program", "item_key"),
        CheckConstraint(sql_one_of("status", ACTION_STATUSES), name="status"),
        CheckConstraint(sql_one_of("origin", ACTION_ORIGINS), name="origin"),
        CheckConstraint(f"verification IS NULL OR {sql_one_of('verification', ACTION_VERDICTS)}",
                        name="verification"),
    )


def due_end(due: date, timezone: str) -> datetime:
    """A due date ends at the dealer's local midnight after it."""
    return datetime.combine(due + timedelta(days=1), time(0), ZoneInfo(timezone))


def is_overdue(status: str, due: date, timezone: str, now: datetime) -> bool:
    """Not accepted and past the end of its due date (an accepted plan is never late)."""
    return status != "accepted" and now >= due_end(due, timezone)


class WaveClosure(Base):
    """QA's statement that a wave's results are final (ACTION_GAPS_AT = "wave_close" raises the top gaps
    then). Closing twice keeps the first closure."""

    __tablename__ = "wave_closures"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), primary_key=True)
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    wave: Mapped[Wave] = relationship()


class ActionEvent(Base):
    """Append-only history of actions (and of wave closures): who, when, before and after."""

    __tablename__ = "action_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"), index=True)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    note: Mapped[str | None] = mapped_column(Text)


@event.listens_for(Session, "before_flush")
def _refuse_action_history_rewrites(session: Session, flush_context: object, instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, ActionEvent) and (obj in session.deleted or session.is_modified(obj)):
            from .audit import AppendOnlyViolation

            raise AppendOnlyViolation("ActionEvent rows are append-only")
