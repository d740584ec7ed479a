"""Creating and updating users with their role and scope."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..constants import ROLES
from ..errors import Conflict, InvalidInput
from ..messages import Message
from ..models import Dealer, Region, User
from .passwords import hash_password

MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("user.password_too_short",
                           {"password": [Message("user.password_min_length", min=MIN_PASSWORD_LENGTH)]})


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
        raise InvalidInput("user.unknown_role", {"role": [Message("ref.one_of", choices=", ".join(ROLES))]})
    if "@" not in email:
        raise InvalidInput("user.invalid_email", {"email": [Message("user.not_an_email")]})
    check_password_rules(password)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Conflict("user.email_exists", {"email": [Message("user.email_registered")]})
    user = User(email=email, password_hash=hash_password(password), role=role, display_name=display_name)
    apply_scope(session, user, dealer_id=dealer_id, region_ids=list(region_ids))
    session.add(user)
    session.flush()
    return user


def apply_scope(session: Session, user: User, *, dealer_id: int | None, region_ids: list[int]) -> None:
    """A dealer user has exactly one dealer; a manager one or more regions; other roles neither."""
    if user.role == "dealer":
        if dealer_id is None:
            raise InvalidInput("user.dealer_needs_dealer",
                               {"dealer_id": [Message("user.required_for_role", role="dealer")]})
        if session.get(Dealer, dealer_id) is None:
            raise InvalidInput("user.unknown_dealer", {"dealer_id": [Message("ref.no_dealer", id=dealer_id)]})
    elif dealer_id is not None:
        raise InvalidInput("user.only_dealers_have_dealer",
                           {"dealer_id": [Message("user.not_allowed_for_role", role=user.role)]})
    user.dealer_id = dealer_id
    if user.role == "manager":
        if not region_ids:
            raise InvalidInput("user.manager_needs_region",
                               {"region_ids": [Message("user.required_for_role", role="manager")]})
        regions = list(session.scalars(select(Region).where(Region.id.in_(region_ids))))
        missing = sorted(set(region_ids) - {r.id for r in regions})
        if missing:
            raise InvalidInput("ref.unknown_region", {"region_ids": [Message("ref.no_region", id=m) for m in missing]})
        user.regions = regions
    elif region_ids:
        raise InvalidInput("user.only_managers_have_regions",
                           {"region_ids": [Message("user.not_allowed_for_role", role=user.role)]})
    else:
        user.regions = []
