"""Logging in and out, the language switch, the start page and the not-found page."""
from __future__ import annotations

from flask import current_app, redirect, request, session, url_for
from werkzeug.wrappers import Response

from ..constants import LANGUAGES, PORTAL_ROLES
from ..errors import NotFound, TooManyRequests, Unauthorized
from ..extensions import db
from ..services.auth import LoginPolicy, login, revoke_token, token_hash
from ..services.users import normalise_email
from .core import bp, current_user, flash, log_in, log_out, nav_for, render, safe_next

EMAIL_LENGTH = (3, 254)
PASSWORD_LENGTH = (1, 1024)


@bp.route("/login", methods=["GET", "POST"], endpoint="login")
def login_page():
    if request.method == "GET":
        return render("login.html", next=safe_next(request.args.get("next")), email="")
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"))
    if not (EMAIL_LENGTH[0] <= len(email) <= EMAIL_LENGTH[1]) or not (
            PASSWORD_LENGTH[0] <= len(password) <= PASSWORD_LENGTH[1]) or "\x00" in email + password:
        return render("login.html", status=401, next=target, email=email[:EMAIL_LENGTH[1]], problem="wrong_credentials")
    try:
        # The API's own login: the same throttling, counted per (email, address) in the database.
        issued = login(db.session(), email=normalise_email(email), password=password,
                       address=request.remote_addr or "unknown", policy=LoginPolicy.from_config(current_app.config))
    except TooManyRequests as refused:
        page = render("login.html", status=429, next=target, email=email, problem="too_many_failures",
                      seconds=refused.retry_after)
        return page[0], 429, {"Retry-After": str(refused.retry_after)}
    except Unauthorized:
        # Returned, not raised: the request's transaction commits, and with it the failure count.
        return render("login.html", status=401, next=target, email=email, problem="wrong_credentials")
    digest = token_hash(issued.access_token)
    if issued.user.role not in PORTAL_ROLES:
        revoke_token(db.session(), digest)  # a shopper's session lives in the phone app, not here
        return redirect("/app/", code=303)
    log_in(issued.user, digest)
    return redirect(target or url_for("portal.home"), code=303)


@bp.post("/logout")
def logout():
    digest = log_out()
    if digest:
        revoke_token(db.session(), digest)
    flash("logged_out")
    return redirect(url_for("portal.login"), code=303)


@bp.post("/language")
def language():
    chosen = request.form.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next")) or url_for("portal.home"), code=303)


@bp.get("/")
def home():
    """The first page of the user's navigation; a welcome page for a role that has none yet."""
    entries = nav_for(current_user())
    if entries:
        return redirect(url_for(entries[0].endpoint), code=303)
    return render("home.html")


@bp.route("/<path:anything>", methods=["GET", "POST"])
def not_found(anything: str) -> Response:
    raise NotFound("page.not_found")
