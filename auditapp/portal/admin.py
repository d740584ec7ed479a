"""The administrator's pages: users, regions, dealers, waves, the checklists loaded, and the bulk
assignment of a wave's visits from a CSV plan (which QA may use too, as it may assign in the API).

Every change goes through the services the API uses (services/admin.py, services/users.py,
services/assignment_plans.py), so their rules hold here too: the last active admin stays, a new
password or a deactivation ends the user's sessions, a plan with one bad row assigns nothing.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Response, current_app, redirect, request, url_for
from werkzeug.wrappers import Response as Redirect

from ..constants import ROLES
from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..limits import DATE_MAX, DATE_MIN, INT_MAX, MAX_PLAN_BYTES, MAX_PLAN_ROWS, is_code
from ..messages import Message
from ..models import Dealer, Region, Wave
from ..services import admin
from ..services.assignment_plans import COLUMNS, REQUIRED_COLUMNS, PlanRefused, import_plan, plan_template
from ..services.audits import find_audits
from ..services.checklists import checklist_of, list_versions
from ..services.users import create_user
from .core import bp, current_user, field_errors, flash, form_choice, form_text, message_text, nav, render, roles

NAME_LENGTH = (1, 200)
EMAIL_LENGTH = (3, 254)
PASSWORD_LENGTH = (1, 1024)
ADDRESS_LENGTH = (0, 500)
TIMEZONE_LENGTH = (1, 64)
# The wave's assignments shown under the upload form: enough to check an import at a glance.
ASSIGNMENTS_SHOWN = 200
# The QA review screen of an audit, when the QA pages are part of this portal.
AUDIT_PAGE = "portal.review_audit"


def _see_other(endpoint: str, **values: Any) -> Redirect:
    return redirect(url_for(endpoint, **values), code=303)


def _refused(error: DomainError) -> tuple[dict[str, list[str]], str]:
    """What a refused form shows: the field messages and the error's own sentence (page language)."""
    db.session.rollback()  # nothing the refused request did may stay
    return field_errors(error), message_text(error.message)


def _form_int(name: str, *, required: bool = True) -> int | None:
    value = request.form.get(name, "").strip()
    if not value and not required:
        return None
    if not value.isascii() or not value.isdigit() or int(value) > INT_MAX:
        raise InvalidInput("page.invalid_form", {name: [Message("input.not_integer")]})
    return int(value)


def _form_code(name: str = "code") -> str:
    value = form_text(name, length=(1, 32)).strip()
    if not is_code(value):
        raise InvalidInput("page.invalid_form", {name: [Message("field.code_rule")]})
    return value


def _form_day(name: str) -> date:
    value = form_text(name, length=(1, 10)).strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("page.invalid_form", {name: [Message("input.not_date")]}) from None
    if not DATE_MIN <= day <= DATE_MAX:
        raise InvalidInput("page.invalid_form", {name: [Message(
            "input.range_between", min=DATE_MIN.isoformat(), max=DATE_MAX.isoformat())]})
    return day


def _form_coordinate(name: str, limit: int) -> float | None:
    value = form_text(name, length=(0, 40), required=False).strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput("page.invalid_form", {name: [Message("input.not_number")]}) from None
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise InvalidInput("page.invalid_form", {name: [Message("input.range_between", min=-limit, max=limit)]})
    return number


def _collect(*readers: tuple[str, Callable[[], Any]]) -> dict[str, Any]:
    """Read every field, and refuse the form with the problems of all of them at once."""
    data: dict[str, Any] = {}
    problems: dict[str, Any] = {}
    for name, read in readers:
        try:
            data[name] = read()
        except InvalidInput as error:
            problems.update(error.errors)
    if problems:
        raise InvalidInput("page.invalid_form", problems)
    return data


# --- users -----------------------------------------------------------------------------------------------

@bp.get("/admin/users")
@nav("nav_admin_users", order=70)
@roles("admin")
def admin_users():
    role = request.args.get("role")
    role = role if role in ROLES else None
    return render("admin_users.html", users=admin.list_users(db.session(), role), role=role, roles=ROLES)


def _user_form(status: int = 200, errors: dict[str, list[str]] | None = None, problem: str | None = None,
               form: dict[str, Any] | None = None) -> tuple[str, int]:
    return render("admin_user_new.html", status=status, errors=errors or {}, problem=problem, form=form or {},
                  roles=ROLES, dealers=admin.list_all(db.session(), Dealer),
                  regions=admin.list_all(db.session(), Region), active_nav="portal.admin_users")


@bp.get("/admin/users/new")
@roles("admin")
def admin_user_new():
    return _user_form(form={"role": request.args.get("role", "")})


@bp.post("/admin/users/new")
@roles("admin")
def admin_user_create():
    form = {"email": request.form.get("email", "")[:EMAIL_LENGTH[1]],
            "display_name": request.form.get("display_name", "")[:NAME_LENGTH[1]],
            "role": request.form.get("role", ""), "dealer_id": request.form.get("dealer_id", ""),
            "region_ids": request.form.getlist("region_ids")}
    try:
        data = _collect(("email", lambda: form_text("email", length=EMAIL_LENGTH).strip()),
                        ("display_name", lambda: form_text("display_name", length=(0, 200), required=False)),
                        ("role", lambda: form_choice("role", ROLES)),
                        ("password", lambda: form_text("password", length=PASSWORD_LENGTH)),
                        ("dealer_id", lambda: _form_int("dealer_id", required=False)),
                        ("region_ids", _form_region_ids))
        # The form offers every scope; only the one of the chosen role is the user's.
        if data["role"] != "dealer":
            data["dealer_id"] = None
        if data["role"] != "manager":
            data["region_ids"] = []
        user = create_user(db.session(), **data)
    except DomainError as error:
        errors, problem = _refused(error)
        return _user_form(error.status, errors, problem, form)
    flash("adm_user_created", email=user.email)
    return _see_other("portal.admin_user", user_id=user.id)


def _form_region_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("region_ids"):
        if not value.isascii() or not value.isdigit() or int(value) > INT_MAX:
            raise InvalidInput("page.invalid_form", {"region_ids": [Message("input.not_integer")]})
        ids.append(int(value))
    return ids


def _user_page(user_id: int, status: int = 200, errors: dict[str, list[str]] | None = None,
               problem: str | None = None) -> tuple[str, int]:
    user = admin.get_user(db.session(), user_id)
    return render("admin_user.html", status=status, subject=user, errors=errors or {}, problem=problem,
                  active_nav="portal.admin_users")


@bp.get("/admin/users/<int:user_id>")
@roles("admin")
def admin_user(user_id: int):
    return _user_page(user_id)


@bp.post("/admin/users/<int:user_id>/active")
@roles("admin")
def admin_user_active(user_id: int):
    active = form_choice("active", ("yes", "no")) == "yes"
    try:
        user = admin.update_user(db.session(), user_id, {"active": active})
    except DomainError as error:
        if error.status == 404:
            raise
        errors, problem = _refused(error)
        return _user_page(user_id, error.status, errors, problem)
    flash("adm_user_activated" if active else "adm_user_deactivated", email=user.email)
    return _see_other("portal.admin_user", user_id=user_id)


@bp.post("/admin/users/<int:user_id>/password")
@roles("admin")
def admin_user_password(user_id: int):
    try:
        password = form_text("password", length=PASSWORD_LENGTH)
        user = admin.update_user(db.session(), user_id, {"password": password})
    except DomainError as error:
        if error.status == 404:
            raise
        errors, problem = _refused(error)
        return _user_page(user_id, error.status, errors, problem)
    flash("adm_password_set", email=user.email)
    return _see_other("portal.admin_user", user_id=user_id)


# --- regions, dealers, waves: list, create, edit -----------------------------------------------------------

def _region_fields() -> dict[str, Any]:
    return _collect(("code", _form_code),
                    ("name_zh", lambda: form_text("name_zh", length=NAME_LENGTH).strip()),
                    ("name_en", lambda: form_text("name_en", length=NAME_LENGTH).strip()))


def _dealer_fields() -> dict[str, Any]:
    return _collect(("code", _form_code), ("region_id", lambda: _form_int("region_id")),
                    ("name_zh", lambda: form_text("name_zh", length=NAME_LENGTH).strip()),
                    ("name_en", lambda: form_text("name_en", length=NAME_LENGTH).strip()),
                    ("address", lambda: form_text("address", length=ADDRESS_LENGTH, required=False).strip() or None),
                    ("latitude", lambda: _form_coordinate("latitude", 90)),
                    ("longitude", lambda: _form_coordinate("longitude", 180)),
                    ("timezone", lambda: form_text("timezone", length=TIMEZONE_LENGTH).strip()))


def _wave_fields() -> dict[str, Any]:
    data = _collect(("code", _form_code),
                    ("title_zh", lambda: form_text("title_zh", length=NAME_LENGTH).strip()),
                    ("title_en", lambda: form_text("title_en", length=NAME_LENGTH).strip()),
                    ("starts_on", lambda: _form_day("starts_on")), ("ends_on", lambda: _form_day("ends_on")))
    if data["ends_on"] < data["starts_on"]:
        raise InvalidInput("admin.invalid_period", {"ends_on": [Message("field.not_before", other="starts_on")]})
    return data


KINDS: dict[str, dict[str, Any]] = {
    "regions": {"model": Region, "fields": _region_fields, "title": "adm_regions", "one": "adm_region"},
    "dealers": {"model": Dealer, "fields": _dealer_fields, "title": "adm_dealers", "one": "adm_dealer"},
    "waves": {"model": Wave, "fields": _wave_fields, "title": "adm_waves", "one": "adm_wave"},
}


def _list_page(kind: str) -> tuple[str, int]:
    spec = KINDS[kind]
    return render(f"admin_{kind}.html", rows=admin.list_all(db.session(), spec["model"]), kind=kind)


def _edit_page(kind: str, obj: Any = None, status: int = 200, errors: dict[str, list[str]] | None = None,
               problem: str | None = None, form: dict[str, Any] | None = None) -> tuple[str, int]:
    spec = KINDS[kind]
    regions = admin.list_all(db.session(), Region) if kind == "dealers" else []
    return render("admin_edit.html", status=status, kind=kind, obj=obj, title=spec["one"], errors=errors or {},
                  problem=problem, form=form if form is not None else _values_of(kind, obj), regions=regions,
                  active_nav=f"portal.admin_{kind}")


def _values_of(kind: str, obj: Any) -> dict[str, Any]:
    """The form's initial values: the object's, or a new one's defaults."""
    if obj is None:
        return {"timezone": "Asia/Shanghai"} if kind == "dealers" else {}
    names = {"regions": ("code", "name_zh", "name_en"),
             "dealers": ("code", "region_id", "name_zh", "name_en", "address", "latitude", "longitude", "timezone"),
             "waves": ("code", "title_zh", "title_en", "starts_on", "ends_on")}[kind]
    return {name: "" if getattr(obj, name) is None else str(getattr(obj, name)) for name in names}


def _posted() -> dict[str, str]:
    return {name: value[:500] for name, value in request.form.items() if name != "csrf_token"}


def _save(kind: str, ident: int | None) -> Redirect | tuple[str, int]:
    spec = KINDS[kind]
    if ident is not None:
        admin.get_or_404(db.session(), spec["model"], ident)  # an unknown one: the not-found page
    try:
        data = spec["fields"]()
        saved = (admin.update(db.session(), spec["model"], ident, data) if ident is not None
                 else admin.create(db.session(), spec["model"], data))
    except DomainError as error:
        errors, problem = _refused(error)
        # The rollback expired the object: read it again for the page's heading.
        again = admin.get_or_404(db.session(), spec["model"], ident) if ident is not None else None
        return _edit_page(kind, again, error.status, errors, problem, _posted())
    flash("adm_saved", code=saved.code)
    return _see_other(f"portal.admin_{kind}")


def _register(kind: str, order: int) -> None:
    """The four views of one kind: list, new (form and post), edit (form and post)."""
    def listing():
        return _list_page(kind)

    def new_form():
        return _edit_page(kind)

    def create():
        return _save(kind, None)

    def edit_form(ident: int):
        return _edit_page(kind, admin.get_or_404(db.session(), KINDS[kind]["model"], ident))

    def update(ident: int):
        return _save(kind, ident)

    for view, suffix in ((listing, ""), (new_form, "_new"), (create, "_create"), (edit_form, "_edit"),
                         (update, "_update")):
        view.__name__ = f"admin_{kind}{suffix}"
    bp.get(f"/admin/{kind}")(nav(f"nav_admin_{kind}", order=order)(roles("admin")(listing)))
    bp.get(f"/admin/{kind}/new")(roles("admin")(new_form))
    bp.post(f"/admin/{kind}/new")(roles("admin")(create))
    bp.get(f"/admin/{kind}/<int:ident>")(roles("admin")(edit_form))
    bp.post(f"/admin/{kind}/<int:ident>")(roles("admin")(update))


_register("regions", 72)
_register("dealers", 74)
_register("waves", 76)


# --- checklists loaded -------------------------------------------------------------------------------------

@bp.get("/admin/checklists")
@nav("nav_admin_checklists", order=78)
@roles("admin")
def admin_checklists():
    versions = [(row, checklist, sum(len(section.items) for section in checklist.sections))
                for row, checklist in ((row, checklist_of(row)) for row in list_versions(db.session()))]
    return render("admin_checklists.html", versions=versions)


# --- bulk assignment ---------------------------------------------------------------------------------------

def _assignments_page(wave: Wave | None, status: int = 200, problems: list[Any] | None = None,
                      problem: str | None = None, errors: dict[str, list[str]] | None = None) -> tuple[str, int]:
    user = current_user()
    waves = admin.list_all(db.session(), Wave)
    audits, total = (find_audits(db.session(), user, wave_id=wave.id, per_page=ASSIGNMENTS_SHOWN)
                     if wave is not None else ([], 0))
    audit_page = AUDIT_PAGE if AUDIT_PAGE in current_app.view_functions else None
    return render("admin_assignments.html", status=status, waves=waves, wave=wave, audits=audits, total=total,
                  shown=ASSIGNMENTS_SHOWN, problems=problems or [], problem=problem, columns=COLUMNS,
                  required=REQUIRED_COLUMNS, max_rows=MAX_PLAN_ROWS, max_bytes=MAX_PLAN_BYTES, errors=errors or {},
                  audit_page=audit_page)


def _wave_named(code: str | None) -> Wave | None:
    if not code:
        return None
    return next((w for w in admin.list_all(db.session(), Wave) if w.code == code), None)


@bp.get("/admin/assignments")
@nav("nav_admin_assignments", order=80)
@roles("admin", "qa")
def admin_assignments():
    return _assignments_page(_wave_named(request.args.get("wave")))


@bp.post("/admin/assignments")
@roles("admin", "qa")
def admin_assignments_import():
    code = request.form.get("wave", "")
    wave = _wave_named(code)
    upload = request.files.get("plan")
    if wave is None or upload is None or not upload.filename:
        missing = {name: [message_text(Message("input.required"))]
                   for name, absent in (("wave", wave is None), ("plan", upload is None or not upload.filename))
                   if absent}
        return _assignments_page(wave, 422, errors=missing)
    try:
        result = import_plan(db.session(), current_user(), wave.code, upload.read(MAX_PLAN_BYTES + 1),
                             rotation_days=current_app.config["ROTATION_DAYS"])
    except PlanRefused as error:
        db.session.rollback()
        rows = [(p.row, p.column, message_text(p.message)) for p in error.problems]
        return _assignments_page(wave, error.status, rows, message_text(error.message))
    flash("adm_plan_assigned", count=len(result.audits), wave=wave.code)
    return _see_other("portal.admin_assignments", wave=wave.code)


@bp.get("/admin/assignments/plan-template.csv")
@roles("admin", "qa")
def admin_plan_template():
    # With a BOM: Excel opens a UTF-8 CSV without one in the system's code page.
    return Response("\ufeff" + plan_template(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=assignment-plan.csv"})
