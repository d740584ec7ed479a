"""Authentication for every API request: a bearer token resolves to `g.user` before any view runs."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..database import read_only_transaction
from ..errors import Unauthorized
from ..extensions import db
from ..models import User
from ..services.access import require_role
from ..services.auth import LoginPolicy, login, revoke_token, token_hash, user_for_token
from ..services.users import normalise_email
from .error_docs import ErrorSchema
from .schemas import LoginSchema, MeSchema, TokenSchema
from .transactions import commit_despite_error

V = TypeVar("V", bound=Callable[..., Any])


def allow(*roles: str) -> Callable[[V], V]:
    """Declare which roles may call a view (a MethodView class or one of its methods; put it outermost).

    Checked before the body is parsed, so a caller without the role gets 403, never a validation
    error that would tell them about the endpoint. Views without it are open to every logged-in user;
    object-level rules (own dealer, own region, own audit) are decided by services.access.
    """
    def mark(view: V) -> V:
        # The roles ride on the view function itself, where the access check reads them back.
        view.allowed_roles = roles  # type: ignore[attr-defined]
        return view
    return mark


blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Log in and read the current user.")

RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                               "schema": {"type": "integer", "minimum": 1}}}

PUBLIC_ENDPOINTS = {"auth.Token", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "swagger_ui_asset",
                    "health"}


def init_app(app: Flask) -> None:
    @app.before_request
    def authenticate() -> None:
        if not request.path.startswith("/api/") or request.endpoint in PUBLIC_ENDPOINTS:
            return
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = None
        if scheme.lower() == "bearer" and token:
            with read_only_transaction(db.session):
                user = user_for_token(db.session(), token.strip())
        if user is None:
            raise Unauthorized("request.log_in_first")
        g.user = user
        g.token_hash = token_hash(token.strip())
        roles = _allowed_roles()
        if roles is not None:
            require_role(user, *roles)


def _allowed_roles() -> tuple[str, ...] | None:
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return getattr(view, "allowed_roles", None)
    method = getattr(view_class, request.method.lower(), None)
    return getattr(method, "allowed_roles", None) or getattr(view_class, "allowed_roles", None)


def current_user() -> User:
    return g.user


@blp.route("/auth/token")
class Token(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="Wrong email or password (the same answer for both)")
    @blp.alt_response(429, schema=ErrorSchema, headers=RETRY_AFTER,
                      description="Too many failed logins from this address for this account; see Retry-After")
    def post(self, credentials):
        """Exchange email and password for a bearer token."""
        policy = LoginPolicy.from_config(current_app.config)
        try:
            issued = login(db.session(), email=normalise_email(credentials["email"]),
                           password=credentials["password"], address=request.remote_addr or "unknown",
                           policy=policy)
        except Unauthorized:
            commit_despite_error()  # the failure count must outlive the refusal
            raise
        return {"access_token": issued.access_token, "token_type": "Bearer",
                "expires_at": issued.expires_at, "role": issued.user.role}


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
    @blp.alt_response(401, schema=ErrorSchema, description="No valid token was sent")
    def post(self):
        """Revoke the token this request was sent with; the user's other sessions stay."""
        revoke_token(db.session(), g.token_hash)


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """The current user, role and scope."""
        return current_user()
