"""The portal's machinery: its blueprint, session cookie, CSRF check, login state, language, role
decorator, navigation, page rendering, error pages and security headers. Pages live in the other
modules of this package and use only the names exported here (see the package docstring)."""
from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from ..constants import LANGUAGES, PORTAL_ROLES
from ..database import read_only_transaction
from ..errors import DomainError, Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..limits import MULTIPART_OVERHEAD, text_problem
from ..messages import Message
from ..models import User
from ..reports import charts
from ..services import access
from ..services.auth import user_for_token_digest
from .labels import LABELS, PortalLabeller

URL_PREFIX = "/portal"
COOKIE_NAME = "auditapp_portal"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Endpoints reachable without a portal session (everything else sends the browser to the login page).
PUBLIC_ENDPOINTS = {"portal.login", "portal.language", "portal.static", "portal.not_found"}

# Everything from this server. Charts are inline SVG with presentation attributes (no style=""), so
# style-src needs no 'unsafe-inline'; evidence photos are served by the portal itself.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

bp = Blueprint("portal", __name__, url_prefix=URL_PREFIX, template_folder="templates", static_folder="static",
               static_url_path="/static")

V = TypeVar("V", bound=Callable[..., Any])


# --- the session cookie -----------------------------------------------------------------------------

class PortalSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, sent only to the portal's paths, never readable by script, sent on
    cross-site navigation but not on cross-site posts, and Secure whenever the request came over TLS.

    It holds the hash of the API token issued at login (never the token: the cookie is no bearer
    credential), the CSRF token, the chosen language and flashed messages."""

    def get_cookie_name(self, app: Flask) -> str:
        return COOKIE_NAME

    def get_cookie_path(self, app: Flask) -> str:
        return URL_PREFIX

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True

    def get_cookie_samesite(self, app: Flask) -> str:
        return "Lax"

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure or app.config.get("SESSION_COOKIE_SECURE"))


# --- language -----------------------------------------------------------------------------------------

def language() -> str:
    """The page language: the user's choice in the session, else the browser's, else the default."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    default: str = current_app.config["DEFAULT_LANGUAGE"]
    return request.accept_languages.best_match(LANGUAGES, default=default)


def labeller() -> PortalLabeller:
    return PortalLabeller(language())


# --- CSRF ---------------------------------------------------------------------------------------------

def csrf_token() -> str:
    """This session's CSRF token, made on first use (the login form has one too: no login CSRF)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token())


def _check_csrf() -> None:
    expected = session.get("csrf")
    sent = request.form.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(str(expected).encode(), sent.encode()):
        raise DomainError("page.form_expired")


# --- who is logged in -----------------------------------------------------------------------------------

def current_user() -> User:
    """The logged-in user of this request (every view but the public ones has one)."""
    user: User = g.portal_user
    return user


def log_in(user: User, token_digest: str) -> None:
    """Start a portal session for a token just issued: a fresh session (no fixation), a fresh CSRF token."""
    lang = session.get("lang")
    session.clear()
    session["token"] = token_digest
    if lang in LANGUAGES:
        session["lang"] = lang
    csrf_token()


def log_out() -> str | None:
    """End the session; the token digest it held (for the caller to revoke)."""
    digest = session.get("token")
    lang = session.get("lang")
    session.clear()
    if lang in LANGUAGES:
        session["lang"] = lang
    return str(digest) if digest else None


def _load_user() -> BaseResponse | None:
    digest = session.get("token")
    user = None
    if digest:
        with read_only_transaction(db.session):
            user = user_for_token_digest(db.session(), str(digest))
    if user is not None and user.role in PORTAL_ROLES:
        g.portal_user = user  # on public and refused pages too: the header still shows who is logged in
    if request.method not in SAFE_METHODS:
        if request.mimetype == "multipart/form-data":
            # Evidence uploads may be larger than the small bodies MAX_CONTENT_LENGTH allows elsewhere.
            request.max_content_length = current_app.config["MAX_ATTACHMENT_BYTES"] + MULTIPART_OVERHEAD
        _check_csrf()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if user is None:
        # Never logged in, logged out elsewhere, token expired or revoked (new password, deactivation).
        if digest:
            log_out()
            flash("session_ended")
        target = request.full_path if request.method in SAFE_METHODS else None
        return redirect(url_for("portal.login", next=target) if target else url_for("portal.login"))
    if user.role not in PORTAL_ROLES:
        return redirect("/app/")
    return None


def safe_next(target: str | None) -> str | None:
    """A redirect target after login or a language switch: a path of the portal, nothing else."""
    if not target:
        return None
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not parts.path.startswith(URL_PREFIX + "/") or "\\" in target
            or ".." in parts.path):
        return None
    return target


# --- roles and navigation ---------------------------------------------------------------------------------

def roles(*allowed: str) -> Callable[[V], V]:
    """Declare which roles may open a view (put it right under the route decorator).

    Another role gets the not-found page (dealers, managers) or the forbidden page (the agency), as
    services.access.require_page_role decides; object-level rules stay in the services."""
    def decorate(view: V) -> V:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            access.require_page_role(current_user(), *allowed)
            return view(*args, **kwargs)
        checked.portal_roles = allowed  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]
    return decorate


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: str  # a key of portal/labels.py
    roles: tuple[str, ...]
    order: int


NAV: list[NavEntry] = []


def nav(label: str, order: int) -> Callable[[V], V]:
    """Put a view in the header navigation for the roles of its `@roles` (put it above `@roles`).

    The view must take no URL parameters. `order` sorts the entries (dealer pages 10-29, manager
    30-49, QA 50-69, admin 70-89)."""
    def decorate(view: V) -> V:
        allowed = getattr(view, "portal_roles", None)
        if allowed is None:
            raise TypeError(f"{view.__name__}: @nav needs @roles below it")
        NAV.append(NavEntry(f"{bp.name}.{view.__name__}", label, tuple(allowed), order))
        NAV.sort(key=lambda entry: (entry.order, entry.endpoint))
        return view
    return decorate


def nav_for(user: User) -> list[NavEntry]:
    return [entry for entry in NAV if user.role in entry.roles]


# --- rendering ---------------------------------------------------------------------------------------

def flash(label: str, kind: str = "ok", **values: Any) -> None:
    """A message for the next page, kept as a label key so it shows in that page's language."""
    session.setdefault("flashes", []).append({"label": label, "kind": kind, "values": values})
    session.modified = True


def _take_flashes() -> list[dict[str, Any]]:
    return list(session.pop("flashes", []))


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A portal page: the template with the user, language, labeller and navigation."""
    lab = labeller()
    user = g.get("portal_user")
    # Where the language switch comes back to: this page, unless it is an error page (which must not
    # repeat what was asked for).
    here = request.full_path.rstrip("?") if request.method == "GET" and status < 400 else ""
    page = render_template(template, L=lab, lang=lab.lang, user=user, nav=nav_for(user) if user else [],
                           flashes=_take_flashes(), here=here, **context)
    return page, status


def message_text(message: Message) -> str:
    """A domain message (auditapp/messages.py) in the page language."""
    return message.render(language())


def field_errors(error: DomainError) -> dict[str, list[str]]:
    """A domain error's field messages in the page language, one list per field."""
    out: dict[str, list[str]] = {}
    for field, problems in (error.errors or {}).items():
        values = problems if isinstance(problems, (list, tuple)) else [problems]
        out[str(field)] = [message_text(p) if isinstance(p, Message) else str(p) for p in values]
    return out


# --- form input -----------------------------------------------------------------------------------------

def form_text(name: str, *, length: tuple[int, int], required: bool = True) -> str:
    """A text field of the posted form, held to the API's text rule and length; InvalidInput otherwise."""
    value = request.form.get(name, "")
    problem = text_problem(value)
    if problem is None and (value.strip() or required):
        low, high = length
        if len(value) < low or len(value) > high:
            problem = Message("input.length_between", min=low, max=high)
    if problem is not None:
        raise InvalidInput("page.invalid_form", {name: [problem]})
    return value


def form_choice(name: str, choices: tuple[str, ...]) -> str:
    value = request.form.get(name, "")
    if value not in choices:
        raise InvalidInput("page.invalid_form", {name: [Message("input.one_of", choices=", ".join(choices))]})
    return value


# --- errors and headers ------------------------------------------------------------------------------------

def _error_page(status: int, message: Message | None = None, retry_after: int | None = None) -> Response:
    """The error page: 404 and 403 say nothing of what was asked for; others say what went wrong."""
    lab = labeller()
    text = None if status in (403, 404) or message is None else message_text(message)
    title_key = f"error_{status}" if f"error_{status}" in LABELS else "error_title"
    text_key = f"{title_key}_text" if f"{title_key}_text" in LABELS else None
    page, _ = render("error.html", status=status, code=status, detail=text, title_key=title_key, text_key=text_key)
    response = current_app.make_response((page, status))
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    response.headers["Content-Language"] = lab.lang
    return response


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Response:
    _rollback()
    status = 404 if isinstance(error, NotFound) else 403 if isinstance(error, Forbidden) else error.status
    return _error_page(status, error.message, getattr(error, "retry_after", None))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    _rollback()
    return _error_page(error.code or 500, Message(f"http.{error.code}") if error.code == 413 else None)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    from sqlalchemy.exc import SQLAlchemyError

    from ..errors import from_database_error

    _rollback()
    mapped = from_database_error(error) if isinstance(error, SQLAlchemyError) else None
    if mapped is not None:
        return _error_page(mapped.status, mapped.message, getattr(mapped, "retry_after", None))
    current_app.logger.exception("portal page failed")
    return _error_page(500)


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the database may be gone; the page still has to be answered
        current_app.logger.warning("rollback failed", exc_info=True)


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "portal.static":
        # Pages show one person's data: never kept by a shared cache, nor shown again after logout.
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


bp.before_request(_load_user)
bp.after_request(_secure)
bp.add_app_template_global(csrf_field, "csrf_field")
bp.add_app_template_filter(charts.fmt, "n1")
bp.add_app_template_filter(lambda value: charts.fmt(value, signed=True), "signed")
bp.add_app_template_global(charts.band_of, "band_of")


def init_app(app: Flask) -> None:
    app.session_interface = PortalSessionInterface()
    app.register_blueprint(bp)
