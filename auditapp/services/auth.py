"""Logging in: password check, throttling of failed attempts, and bearer tokens."""
from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..errors import TooManyRequests, Unauthorized
from ..models import ApiToken, LoginThrottle, User, utcnow
from .passwords import hash_password, needs_rehash, verify_password
from .users import normalise_email


@dataclass(frozen=True)
class LoginPolicy:
    """Login throttling (README "Login throttling"): exponential back-off, never a fixed lockout.

    free_failures: failures of one (email, address) pair before it must wait; each further failure
    doubles the wait (2, 4, 8 ... s) up to max_backoff_seconds. address_free_failures: failures from one
    address against emails that belong to nobody before the address waits the same way. A counter is
    forgotten memory_seconds after its last failure; a successful login clears its pair at once.
    """
    free_failures: int
    address_free_failures: int
    max_backoff_seconds: int
    memory_seconds: int
    token_ttl_seconds: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LoginPolicy:
        return cls(config["LOGIN_FREE_FAILURES"], config["LOGIN_ADDRESS_FREE_FAILURES"],
                   config["LOGIN_MAX_BACKOFF_SECONDS"], config["LOGIN_FAILURE_MEMORY_SECONDS"],
                   config["TOKEN_TTL_SECONDS"])

    def backoff_seconds(self, failures: int, free: int) -> int:
        if failures <= free:
            return 0
        doubled: int = 2 ** min(failures - free, 30)
        return min(doubled, self.max_backoff_seconds)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_at: datetime
    user: User


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# The address's own counter: its failures against emails that belong to nobody (no email is empty).
ANY_UNKNOWN_EMAIL = ""


def login(session: Session, *, email: str, password: str, address: str, policy: LoginPolicy) -> IssuedToken:
    """Check the password and issue a token.

    A pair (email, address) or an address that must still wait gets 429 before any check, whether or
    not the email exists; otherwise a wrong password and an unknown email get the same 401 after the same
    password-hashing work, so neither the answer nor its timing tells which emails are registered.
    """
    email = normalise_email(email)
    now = utcnow()
    forgotten = now - timedelta(seconds=policy.memory_seconds)
    keys = [(email, address), (ANY_UNKNOWN_EMAIL, address)]
    waits = [t.locked_until for t in session.scalars(select(LoginThrottle).where(
                 tuple_(LoginThrottle.email, LoginThrottle.address).in_(keys)))
             if t.locked_until and t.locked_until > now and t.last_failure_at > forgotten]
    if waits:
        raise TooManyRequests("auth.too_many_failures",
                              retry_after=math.ceil((max(waits) - now).total_seconds()))
    user = session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        _count_failure(session, email, address, policy.free_failures, now, policy)
        if user is None:
            _count_failure(session, ANY_UNKNOWN_EMAIL, address, policy.address_free_failures, now, policy)
        raise Unauthorized("auth.wrong_credentials")
    session.execute(delete(LoginThrottle).where(
        (LoginThrottle.email == email) & (LoginThrottle.address == address)
        | (LoginThrottle.last_failure_at < forgotten)))
    if needs_rehash(user.password_hash):
        # The same password under new hashing parameters: a bulk UPDATE, because an ORM change of the
        # hash counts as a password change and would log the user out everywhere (models.org).
        session.execute(update(User).where(User.id == user.id).values(password_hash=hash_password(password)))
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=policy.token_ttl_seconds)
    session.add(ApiToken(token_hash=token_hash(token), user_id=user.id, expires_at=expires_at))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at < now))
    session.flush()
    return IssuedToken(access_token=token, expires_at=expires_at, user=user)


def _count_failure(session: Session, email: str, address: str, free: int, now: datetime,
                   policy: LoginPolicy) -> None:
    """Add a failure to a counter in one statement, so that concurrent failures in several workers
    all count (and none fails on the primary key)."""
    forgotten = now - timedelta(seconds=policy.memory_seconds)
    table = LoginThrottle.__table__.c
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    upsert = insert(LoginThrottle).values(email=email, address=address, failures=1, last_failure_at=now,
                                          locked_until=None)
    statement = upsert.on_conflict_do_update(
        index_elements=[table.email, table.address],
        set_={"failures": case((table.last_failure_at < forgotten, 1), else_=table.failures + 1),
              "last_failure_at": now}).returning(table.failures)
    failures = session.execute(statement).scalar_one()
    wait = policy.backoff_seconds(failures, free)
    if wait:
        session.execute(update(LoginThrottle).where(LoginThrottle.email == email, LoginThrottle.address == address)
                        .values(locked_until=now + timedelta(seconds=wait)))


def revoke_token(session: Session, token_digest: str) -> None:
    """Log out: the token stops working at once."""
    session.execute(delete(ApiToken).where(ApiToken.token_hash == token_digest))


def revoke_user_tokens(session: Session, user: User) -> int:
    """End every session of a user (a lost phone, a suspected leak); returns how many were ended."""
    result = session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    # A DELETE's result is a CursorResult, which has rowcount; execute() is typed to return the base Result.
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def user_for_token(session: Session, token: str) -> User | None:
    """The active user of an unexpired token: one query on every API request.

    Only a manager's access depends on regions (services.access), so only a manager's are loaded here;
    other roles load them if something asks (GET /me)."""
    return user_for_token_digest(session, token_hash(token))


# Built once, the hash a bound parameter: this runs on every request, and building a statement costs
# SQLAlchemy more than running it.
_TOKEN_USER = (select(ApiToken.expires_at, User).join(User, User.id == ApiToken.user_id)
               .where(ApiToken.token_hash == bindparam("digest")))


def user_for_token_digest(session: Session, digest: str) -> User | None:
    """`user_for_token` by the token's hash: the web portal keeps only the hash in its session cookie,
    so the cookie itself is no bearer token, while revoking the token still ends the portal session."""
    row = session.execute(_TOKEN_USER, {"digest": digest}).first()
    if row is None:
        return None
    expires_at, user = row
    if expires_at <= utcnow() or not user.active:
        return None
    if user.role == "manager":
        user.regions  # noqa: B018 -- loaded now, while the request's first transaction is open
    return user
