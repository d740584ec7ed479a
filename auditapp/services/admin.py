"""Administration: regions, dealers, waves and users (DESIGN 8, admin only)."""
from __future__ import annotations

from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..errors import Conflict, InvalidInput, NotFound
from ..messages import Message
from ..models import Dealer, Region, User, Wave
from .users import apply_scope, set_password

T = TypeVar("T", Region, Dealer, Wave)
# Message keys of the refusals, per kind of object.
NOT_FOUND = {Region: "access.no_such_region", Dealer: "access.no_such_dealer", Wave: "admin.no_such_wave"}
CODE_EXISTS = {Region: "admin.region_code_exists", Dealer: "admin.dealer_code_exists", Wave: "admin.wave_code_exists"}


def get_or_404(session: Session, model: type[T], ident: int) -> T:
    obj = session.get(model, ident)
    if obj is None:
        raise NotFound(NOT_FOUND[model])
    return obj


def _unique_code(session: Session, model: type[T], code: str, own_id: int | None = None) -> None:
    query = select(func.count()).select_from(model).where(model.code == code)
    if own_id is not None:
        query = query.where(model.id != own_id)
    if session.scalar(query):
        raise Conflict(CODE_EXISTS[model], {"code": [Message("admin.code_taken", code=code)]})


def _check_dealer(session: Session, data: dict[str, Any]) -> None:
    if "region_id" in data and session.get(Region, data["region_id"]) is None:
        raise InvalidInput("ref.unknown_region", {"region_id": [Message("ref.no_region", id=data["region_id"])]})
    if data.get("timezone"):
        try:
            ZoneInfo(data["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput("admin.unknown_timezone", {"timezone": [Message("admin.timezone_hint")]}) from None


def create(session: Session, model: type[T], data: dict[str, Any]) -> T:
    _unique_code(session, model, data["code"])
    if model is Dealer:
        _check_dealer(session, data)
    obj = model(**data)
    session.add(obj)
    session.flush()
    return obj


def update(session: Session, model: type[T], ident: int, data: dict[str, Any]) -> T:
    obj = get_or_404(session, model, ident)
    if "code" in data:
        _unique_code(session, model, data["code"], own_id=obj.id)
    if model is Dealer:
        _check_dealer(session, data)
    if isinstance(obj, Wave):
        starts, ends = data.get("starts_on", obj.starts_on), data.get("ends_on", obj.ends_on)
        if ends < starts:
            raise InvalidInput("admin.invalid_period", {"ends_on": [Message("field.not_before", other="starts_on")]})
    for name, value in data.items():
        setattr(obj, name, value)
    session.flush()
    return obj


def list_all(session: Session, model: type[T]) -> list[T]:
    return list(session.scalars(select(model).order_by(model.code)))


def list_users(session: Session, role: str | None = None) -> list[User]:
    query = select(User).options(selectinload(User.regions)).order_by(User.email)
    if role:
        query = query.where(User.role == role)
    return list(session.scalars(query))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user.no_such_user")
    return user


def _keep_an_admin(session: Session, leaving: User) -> None:
    """Refuse to deactivate or demote the last active admin: nobody could administer the system after.

    The active admins are read with a row lock (FOR UPDATE, in id order so two requests lock alike), so
    two admins demoting each other at once cannot both see the other still in office: on PostgreSQL the
    second waits for the first to commit and then no longer counts the demoted admin; on SQLite a writing
    request holds the database's write lock from its first statement, which serialises them the same way.
    """
    admins = session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True))
                             .order_by(User.id).with_for_update()).all()
    if not set(admins) - {leaving.id}:
        raise Conflict("user.last_admin", {"user_id": [Message("user.only_active_admin", user_id=leaving.id)]})


def update_user(session: Session, user_id: int, data: dict[str, Any]) -> User:
    user = get_user(session, user_id)
    role, active = data.get("role", user.role), data.get("active", user.active)
    if user.role == "admin" and user.active and (role != "admin" or not active):
        _keep_an_admin(session, user)
    if "password" in data:
        set_password(user, data["password"])
    if "display_name" in data:
        user.display_name = data["display_name"]
    if "active" in data:
        user.active = data["active"]
    if role != user.role:
        # A new role starts without the old one's scope: a dealer's dealer or a manager's regions.
        user.role = role
        apply_scope(session, user, dealer_id=data.get("dealer_id"), region_ids=data.get("region_ids", []))
    elif "dealer_id" in data or "region_ids" in data:
        apply_scope(session, user, dealer_id=data.get("dealer_id", user.dealer_id),
                    region_ids=data.get("region_ids", [r.id for r in user.regions]))
    session.flush()
    return user
