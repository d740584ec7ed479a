"""Who and where: regions, dealers, users and their scopes."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    delete,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..constants import ROLES, sql_one_of
from .base import Base, UTCDateTime, utcnow

manager_regions = Table(
    "manager_regions",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dealers: Mapped[list[Dealer]] = relationship(back_populates="region", order_by="Dealer.code")


class Dealer(Base):
    __tablename__ = "dealers"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship(back_populates="dealers")

    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"),
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    # A dealer user belongs to exactly one dealer; other roles to none.
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dealer: Mapped[Dealer | None] = relationship()
    regions: Mapped[list[Region]] = relationship(secondary=manager_regions, order_by="Region.code")

    __table_args__ = (
        CheckConstraint(sql_one_of("role", ROLES), name="role"),
        CheckConstraint("(role = 'dealer') = (dealer_id IS NOT NULL)", name="dealer_scope"),
    )


class ApiToken(Base):
    """Bearer tokens, stored as a hash so a database leak does not leak sessions."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


@event.listens_for(Session, "before_flush")
def _revoke_tokens_of_changed_credentials(session: Session, flush_context: Any, instances: Any) -> None:
    """A new password or a deactivation ends every session the user has.

    Enforced here rather than in each service so that no path (API, CLI, a future service) can change a
    password or deactivate a user and leave tokens alive; the tokens are deleted, not hidden, so a later
    re-activation cannot revive them. Re-hashing the same password on login is written with a bulk
    UPDATE (services.auth) precisely so that it does not pass through here.
    """
    revoked = []
    for obj in session.dirty:
        if not isinstance(obj, User):
            continue
        state = inspect(obj)
        if state.attrs.password_hash.history.has_changes() or (
                state.attrs.active.history.has_changes() and obj.active is False):
            revoked.append(obj.id)
    if revoked:
        session.execute(delete(ApiToken).where(ApiToken.user_id.in_(revoked)))


class LoginThrottle(Base):
    """Failed logins, to slow down password guessing without locking out the honest (services.auth).

    One row per (email, address) pair that failed recently, and one per address (email '') counting
    only its failures against emails that belong to nobody."""

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
