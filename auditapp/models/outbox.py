"""The outbox: what must leave the system (webhook deliveries, alert emails), queued in the database in
the same transaction as the change that caused it, and the webhook subscriptions deliveries go to."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..constants import OUTBOX_KINDS, OUTBOX_STATUSES, sql_one_of
from .base import Base, JSONDoc, UTCDateTime, utcnow
from .org import User


class WebhookSubscription(Base):
    """A receiver of the agency's or the OEM's own systems, and the events it wants."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    # Kept in clear: the body is signed with it at every delivery (HMAC needs the secret itself).
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    created_by: Mapped[User | None] = relationship()


class OutboxMessage(Base):
    """One thing to deliver once: a webhook delivery to one subscription, or an alert email to one person.

    `event_id` names the event and is kept across retries (receivers dedupe on it); `id` names this
    delivery. `body` is exactly what is sent (a webhook's JSON text, so every retry sends the same bytes
    under the same signature; an email's {to, subject, text} as JSON). A runner claims a row by setting
    `claimed_until` (a lease) and `claim_token`; only the holder of the token records the outcome."""

    __tablename__ = "outbox_messages"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    recipient: Mapped[str | None] = mapped_column(String(254))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscription: Mapped[WebhookSubscription | None] = relationship()

    __table_args__ = (
        CheckConstraint(sql_one_of("kind", OUTBOX_KINDS), name="kind"),
        CheckConstraint(sql_one_of("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint("(kind = 'webhook') = (subscription_id IS NOT NULL)", name="webhook_subscription"),
        CheckConstraint("(kind = 'alert_email') = (recipient IS NOT NULL)", name="email_recipient"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_subscription", "subscription_id", "created_at"),
    )

    def to_log(self) -> dict[str, Any]:
        return {"id": self.id, "event_id": self.event_id, "event_type": self.event_type, "status": self.status,
                "attempts": self.attempts, "next_attempt_at": self.next_attempt_at if self.status == "pending"
                else None, "last_error": self.last_error, "last_http_status": self.last_http_status,
                "created_at": self.created_at, "updated_at": self.updated_at, "delivered_at": self.delivered_at}
