"""The append-only event log of audits and disputes: who changed what, when, before and after."""
from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from ..models import Audit, AuditEvent, Dispute, User


def record_event(session: Session, audit: Audit | None, actor: User | None, kind: str,
                 before: dict[str, Any] | None, after: dict[str, Any] | None, note: str | None = None,
                 dispute: Dispute | None = None) -> None:
    session.add(AuditEvent(**_event_row(audit, actor, kind, before, after, note, dispute)))


_INSERT_EVENT = insert(cast(Table, AuditEvent.__table__))


def write_event(session: Session, audit: Audit, actor: User | None, kind: str, before: dict[str, Any] | None,
                after: dict[str, Any] | None, note: str | None = None) -> None:
    """`record_event` written at once by a Core insert, without the unit of work: for a flushed audit on a
    hot path (the submit), where an ORM object would cost a flush of its own for one row."""
    session.execute(_INSERT_EVENT, [_event_row(audit, actor, kind, before, after, note)])


def _event_row(audit: Audit | None, actor: User | None, kind: str, before: dict[str, Any] | None,
               after: dict[str, Any] | None, note: str | None, dispute: Dispute | None = None) -> dict[str, Any]:
    return {"audit_id": audit.id if audit else None, "dispute_id": dispute.id if dispute else None,
            "actor_id": actor.id if actor else None, "kind": kind, "before": before, "after": after, "note": note}


def record_events(session: Session, audits: list[Audit], actor: User | None, kind: str,
                  before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """The same event for many audits in one statement (a bulk plan's thousands of new audits): an
    executemany without RETURNING, which SQLite cannot batch for ORM objects with generated ids.
    The audits must be flushed first."""
    if audits:
        session.execute(insert(AuditEvent), [
            {"audit_id": audit.id, "actor_id": actor.id if actor else None, "kind": kind, "before": before,
             "after": after} for audit in audits])


def audit_events(session: Session, audit_id: uuid.UUID) -> list[AuditEvent]:
    """An audit's history, oldest first (the caller has checked that the audit may be seen)."""
    return list(session.scalars(select(AuditEvent).where(AuditEvent.audit_id == audit_id)
                                .order_by(AuditEvent.at, AuditEvent.id)))


def dispute_events(session: Session, dispute_id: int) -> list[AuditEvent]:
    """A dispute's history, oldest first (the caller has checked that the dispute may be seen)."""
    return list(session.scalars(select(AuditEvent).where(AuditEvent.dispute_id == dispute_id)
                                .order_by(AuditEvent.at, AuditEvent.id)))
