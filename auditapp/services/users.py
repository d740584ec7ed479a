"""Creating and updating users with their role and scope."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..constants import ROLES
from ..errors import Conflict, InvalidInput
from ..models import Dealer, Region, User
from .passwords import hash_password

MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password too short", {"password": [f"at least {MIN_PASSWORD_LENGTH} characters"]})


def set_password(user: User, password: str) -> None:
    """Give a user a new password; this ends all their sessions (the tokens are revoked on flush,
    models.org), so whoever knew the old password is out at once."""
    check_password_rules(password)
    user.password_hash = hash_password(password)


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(session: Session, *, email: str, password: str, role: str, display_name: str = "",
                dealer_id: int | None = None, region_ids: Iterable[int] = ()) -> User:
    email = normalise_email(email)
    if role not in ROLES:
        raise InvalidInput("unknown role", {"role": [f"one of {', '.join(ROLES)}"]})
    if "@" not in email:
        raise InvalidInput("invalid email", {"email": ["not an email address"]})
    check_password_rules(password)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Conflict("a user with this email exists", {"email": ["already registered"]})
    user = User(email=email, password_hash=hash_password(password), role=role, display_name=display_name)
    apply_scope(session, user, dealer_id=dealer_id, region_ids=list(region_ids))
    session.add(user)
    session.flush()
    return user


def apply_scope(session: Session, user: User, *, dealer_id: int | None, region_ids: list[int]) -> None:
    """A dealer user has exactly one dealer; a manager one or more regions; other roles neither."""
    if user.role == "dealer":
        if dealer_id is None:
            raise InvalidInput("a dealer user needs a dealer", {"dealer_id": ["required for role dealer"]})
        if session.get(Dealer, dealer_id) is None:
            raise InvalidInput("unknown dealer", {"dealer_id": [f"no dealer {dealer_id}"]})
    elif dealer_id is not None:
        raise InvalidInput("only dealer users have a dealer", {"dealer_id": [f"not allowed for role {user.role}"]})
    user.dealer_id = dealer_id
    if user.role == "manager":
        if not region_ids:
            raise InvalidInput("a manager needs at least one region", {"region_ids": ["required for role manager"]})
        regions = list(session.scalars(select(Region).where(Region.id.in_(region_ids))))
        missing = sorted(set(region_ids) - {r.id for r in regions})
        if missing:
            raise InvalidInput("unknown region", {"region_ids": [f"no region {m}" for m in missing]})
        user.regions = regions
    elif region_ids:
        raise InvalidInput("only managers have regions", {"region_ids": [f"not allowed for role {user.role}"]})
    else:
        user.regions = []
