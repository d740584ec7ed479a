"""Logging in: password check, throttling of failed attempts, and bearer tokens."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..errors import TooManyRequests, Unauthorized
from ..models import ApiToken, LoginThrottle, User, utcnow
from .passwords import hash_password, needs_rehash, verify_password
from .users import normalise_email


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lockout_seconds: int
    token_ttl_seconds: int


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_at: datetime
    user: User


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(session: Session, *, email: str, password: str, address: str, policy: LoginPolicy) -> IssuedToken:
    """Check the password and issue a token.

    Failures are counted per account and per address; past the limit both are refused for a while
    with 429 whether or not the email exists, so the answer never tells which emails are registered.
    """
    email = normalise_email(email)
    now = utcnow()
    scopes = [f"email:{email}", f"ip:{address}"]
    throttles = {t.scope: t for t in session.scalars(select(LoginThrottle).where(LoginThrottle.scope.in_(scopes)))}
    locked = [t.locked_until for t in throttles.values() if t.locked_until and t.locked_until > now]
    if locked:
        retry = int((max(locked) - now).total_seconds()) + 1
        raise TooManyRequests("too many failed logins: try again later", retry_after=retry)
    user = session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        _count_failure(session, scopes, throttles, now, policy)
        raise Unauthorized("wrong email or password")
    for throttle in throttles.values():
        if throttle.scope.startswith("email:"):
            session.delete(throttle)
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


def _count_failure(session: Session, scopes: list[str], throttles: dict[str, LoginThrottle], now: datetime,
                   policy: LoginPolicy) -> None:
    window = timedelta(seconds=policy.lockout_seconds)
    for scope in scopes:
        throttle = throttles.get(scope)
        if throttle is None:
            throttle = LoginThrottle(scope=scope, failures=0, first_failure_at=now)
            session.add(throttle)
        elif now - throttle.first_failure_at > window:
            throttle.failures, throttle.first_failure_at, throttle.locked_until = 0, now, None
        throttle.failures += 1
        # An address is shared by many people (an office NAT): it gets a larger allowance.
        limit = policy.max_failures * (4 if scope.startswith("ip:") else 1)
        if throttle.failures >= limit:
            throttle.locked_until = now + window
    session.flush()


def revoke_token(session: Session, token_digest: str) -> None:
    """Log out: the token stops working at once."""
    session.execute(delete(ApiToken).where(ApiToken.token_hash == token_digest))


def revoke_user_tokens(session: Session, user: User) -> int:
    """End every session of a user (a lost phone, a suspected leak); returns how many were ended."""
    result = session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def user_for_token(session: Session, token: str) -> User | None:
    """The active user of an unexpired token: one query on every API request.

    Only a manager's access depends on regions (services.access), so only a manager's are loaded here;
    other roles load them if something asks (GET /me)."""
    row = session.execute(
        select(ApiToken.expires_at, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(token))).first()
    if row is None:
        return None
    expires_at, user = row
    if expires_at <= utcnow() or not user.active:
        return None
    if user.role == "manager":
        user.regions  # noqa: B018 -- loaded now, while the request's first transaction is open
    return user
