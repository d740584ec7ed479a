"""Every portal route × every role × own/other object: the status each gets, decided by
services/access.py (the portal adds no rule of its own). A route added without a row fails
`test_every_portal_route_has_a_row`.

A row's `path(world, side)` builds the URL for the `own` object (of dealer A, in region A, which the
dealer user and the manager in the grid belong to) or the `other` one (dealer B, region B). `expect`
maps each role to the status for (own, other); "anonymous" is a browser without a portal session.
Helpers adding pages: add their rows in one block of their own at the end of GRID."""
from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fixtures.files import png_bytes
from fixtures.portal import csrf_of

ROLES = ("anonymous", "dealer", "manager", "qa", "admin")
LOGIN = 302  # no session: sent to the login page


@dataclass(frozen=True)
class Row:
    method: str
    path: Callable[[Any, str], str]
    expect: dict[str, tuple[int, int]]
    data: Callable[[Any, str], dict[str, Any]] | None = None  # form fields of a POST (the CSRF token is added)


def every(status: int, anonymous: int = LOGIN) -> dict[str, tuple[int, int]]:
    return {"anonymous": (anonymous, anonymous), **dict.fromkeys(ROLES[1:], (status, status))}


def DEALER_ONLY(status: int, other: int | None = None) -> dict[str, tuple[int, int]]:
    """A dealer's own page: hidden from managers (404), not for the agency (403)."""
    return {"anonymous": (LOGIN, LOGIN), "dealer": (status, status if other is None else other),
            "manager": (404, 404), "qa": (403, 403), "admin": (403, 403)}


# Results of a dealer: the dealer itself and its region's manager (another's: 404), the agency (all).
OWN_SCOPE = {"anonymous": (LOGIN, LOGIN), "dealer": (200, 404), "manager": (200, 404), "qa": (200, 200),
             "admin": (200, 200)}


def same(path: str) -> Callable[[Any, str], str]:
    return lambda world, side: path


# Pages of one audience: the dealer network gets the not-found page of any other, the agency a 403.
AGENCY_PAGE = {"anonymous": (LOGIN, LOGIN), "dealer": (404, 404), "manager": (404, 404), "qa": (200, 200),
               "admin": (200, 200)}
MANAGER_PAGE = {"anonymous": (LOGIN, LOGIN), "dealer": (404, 404), "manager": (200, 200), "qa": (403, 403),
                "admin": (403, 403)}


def _admin_rows() -> dict[str, list[Row]]:
    """Admin pages: the admin 200 (303 after a post), QA the forbidden page, the network not-found."""
    admin_only = {"anonymous": (LOGIN, LOGIN), "dealer": (404, 404), "manager": (404, 404), "qa": (403, 403),
                  "admin": (200, 200)}
    admin_posts = {**admin_only, "admin": (303, 303)}
    staff = {**admin_only, "qa": (200, 200)}
    staff_posts = {**staff, "qa": (303, 303), "admin": (303, 303)}

    def region_of(world, side):
        return world.dealers["own"].region_id

    def dealer_form(world, side):
        dealer = world.dealers["own"]
        return {"code": dealer.code, "region_id": str(dealer.region_id), "name_zh": "改名店", "name_en": "Renamed",
                "address": "", "latitude": "31.2", "longitude": "121.4", "timezone": "Asia/Shanghai"}

    def wave_form(world, side):
        wave = world.audits["own"].wave
        return {"code": wave.code, "title_zh": "改名", "title_en": "Renamed", "starts_on": "2026-07-01",
                "ends_on": "2026-09-30"}

    def plan(world, side):
        year = 2027 if side == "own" else 2028  # apart by more than the rotation rule: both sides succeed
        text = (f"dealer,shopper,window_start,window_end,checklist\r\n{world.dealers['own'].code},"
                f"{world.audits['own'].shopper.email},{year}-06-01,{year}-06-07,mini\r\n")
        return {"wave": world.audits["own"].wave.code, "plan": (io.BytesIO(text.encode()), "plan.csv", "text/csv")}

    def user_url(suffix=""):
        return lambda world, side: f"/portal/admin/users/{world.users['qa'].id}{suffix}"

    rows: dict[str, list[Row]] = {
        "portal.admin_users": [Row("GET", same("/portal/admin/users?role=dealer"), admin_only)],
        "portal.admin_user_new": [Row("GET", same("/portal/admin/users/new"), admin_only)],
        "portal.admin_user_create": [Row("POST", same("/portal/admin/users/new"), admin_posts, data=lambda w, side: {
            "email": f"grid-{side}@example.com", "role": "shopper", "password": "a long password"})],
        "portal.admin_user": [Row("GET", user_url(), admin_only)],
        "portal.admin_user_active": [
            Row("POST", user_url("/active"), admin_posts, data=lambda w, side: {"active": "no"}),
            Row("POST", user_url("/active"), admin_posts, data=lambda w, side: {"active": "yes"})],
        "portal.admin_user_password": [Row("POST", user_url("/password"), admin_posts,
                                           data=lambda w, side: {"password": "another long password"})],
        "portal.admin_checklists": [Row("GET", same("/portal/admin/checklists"), admin_only)],
        "portal.admin_assignments": [Row("GET", lambda w, side: f"/portal/admin/assignments?wave="
                                                                f"{w.audits['own'].wave.code}", staff)],
        "portal.admin_assignments_import": [Row("POST", same("/portal/admin/assignments"), staff_posts, data=plan)],
        "portal.admin_plan_template": [Row("GET", same("/portal/admin/assignments/plan-template.csv"), staff)],
    }
    forms = {"regions": (region_of, lambda w, side: {"code": f"GRID-{side.upper()}", "name_zh": "区", "name_en": "R"},
                         lambda w, side: {"code": w.dealers["own"].region.code, "name_zh": "改名区",
                                          "name_en": "Renamed"}),
             "dealers": (lambda w, side: w.dealers["own"].id,
                         lambda w, side: {**dealer_form(w, side), "code": f"GRID-{side.upper()}"}, dealer_form),
             "waves": (lambda w, side: w.audits["own"].wave_id,
                       lambda w, side: {**wave_form(w, side), "code": f"GRID-{side.upper()}"}, wave_form)}
    for kind, (ident, new, edit) in forms.items():
        rows[f"portal.admin_{kind}"] = [Row("GET", same(f"/portal/admin/{kind}"), admin_only)]
        rows[f"portal.admin_{kind}_new"] = [Row("GET", same(f"/portal/admin/{kind}/new"), admin_only)]
        rows[f"portal.admin_{kind}_create"] = [Row("POST", same(f"/portal/admin/{kind}/new"), admin_posts, data=new)]
        rows[f"portal.admin_{kind}_edit"] = [Row("GET", lambda w, side, k=kind, i=ident:
                                                 f"/portal/admin/{k}/{i(w, side)}", admin_only)]
        rows[f"portal.admin_{kind}_update"] = [Row("POST", lambda w, side, k=kind, i=ident:
                                                   f"/portal/admin/{k}/{i(w, side)}", admin_posts, data=edit)]
    return rows


GRID: dict[str, list[Row]] = {
    # --- the foundation: session, language, start page, static files, unknown paths ---------------------
    "portal.login": [Row("GET", same("/portal/login"), every(200, anonymous=200))],
    "portal.logout": [Row("POST", same("/portal/logout"), every(303))],
    "portal.language": [Row("POST", same("/portal/language"), every(303, anonymous=303),
                            data=lambda world, side: {"lang": "zh"})],
    "portal.home": [Row("GET", same("/portal/"), {"anonymous": (LOGIN, LOGIN), "dealer": (303, 303),
                                                  "manager": (303, 303), "qa": (303, 303), "admin": (303, 303)})],
    "portal.static": [Row("GET", same("/portal/static/portal.css"), every(200, anonymous=200))],
    "portal.not_found": [Row("GET", same("/portal/no/such/page"), every(404, anonymous=404))],
    # --- the dealer's pages (portal/dealer.py) -----------------------------------------------------------
    "portal.my_results": [Row("GET", same("/portal/results"), DEALER_ONLY(303))],
    "portal.my_visits": [Row("GET", same("/portal/visits"), DEALER_ONLY(303))],
    "portal.my_disputes": [Row("GET", same("/portal/disputes"), DEALER_ONLY(200))],
    "portal.dealer_results": [Row("GET", lambda w, side: f"/portal/dealers/{w.dealers[side].id}/results", OWN_SCOPE)],
    "portal.dealer_visits": [Row("GET", lambda w, side: f"/portal/dealers/{w.dealers[side].id}/visits", OWN_SCOPE)],
    "portal.scorecard_pdf": [Row("GET", lambda w, side: f"/portal/dealers/{w.dealers[side].id}/scorecard.pdf?lang=en",
                                 OWN_SCOPE)],
    "portal.visit": [Row("GET", lambda w, side: f"/portal/visits/{w.audits[side].id}", OWN_SCOPE)],
    "portal.visit_file": [Row("GET", lambda w, side: f"/portal/visits/{w.audits[side].id}/files/{w.photos[side]}",
                              OWN_SCOPE)],
    # The own item already has an open dispute: the service refuses (409) and the page says why.
    "portal.file_item_dispute": [Row("POST", lambda w, side: f"/portal/visits/{w.audits[side].id}/items/written_quote/"
                                     "dispute", DEALER_ONLY(409, other=404),
                                     data=lambda w, side: {"claim": "The quote was on the desk, in writing.",
                                                           "requested_outcome": "pass"})],
    "portal.dispute_page": [Row("GET", lambda w, side: f"/portal/disputes/{w.disputes[side].id}", OWN_SCOPE)],
    # Only a rejected dispute may be escalated: the open one is refused (409).
    "portal.escalate_dispute": [Row("POST", lambda w, side: f"/portal/disputes/{w.disputes[side].id}/escalate",
                                    DEALER_ONLY(409, other=404), data=lambda w, side: {"note": "Please look again."})],

    # --- QA's and the regional managers' pages (portal-qa) ---------------------------------------------
    # The grid's audits are published: approving or returning one is refused as not submitted (409) to
    # whoever may review at all. The region PDF is asked without a wave: past the access check, 422.
    "portal.review_queue": [Row("GET", same("/portal/qa/audits"), AGENCY_PAGE)],
    "portal.review_audit": [Row("GET", lambda w, side: f"/portal/qa/audits/{w.audits[side].id}", AGENCY_PAGE)],
    "portal.approve_audit": [Row("POST", lambda w, side: f"/portal/qa/audits/{w.audits[side].id}/approve",
                                 {**AGENCY_PAGE, "qa": (409, 409), "admin": (409, 409)})],
    "portal.return_audit": [Row("POST", lambda w, side: f"/portal/qa/audits/{w.audits[side].id}/return",
                                {**AGENCY_PAGE, "qa": (409, 409), "admin": (409, 409)},
                                data=lambda w, side: {"notes": "see the items", "note__greeted": "who?"})],
    "portal.dispute_queue_page": [Row("GET", same("/portal/qa/disputes"), AGENCY_PAGE)],
    "portal.dispute_stats": [Row("GET", same("/portal/qa/dispute-stats"), AGENCY_PAGE)],
    "portal.escalations": [Row("GET", same("/portal/region/escalations"), MANAGER_PAGE)],
    "portal.region_page": [Row("GET", lambda w, side: f"/portal/region?region={w.dealers[side].region_id}",
                               {**MANAGER_PAGE, "manager": (200, 404)})],
    "portal.dispute_decision": [Row("GET", lambda w, side: f"/portal/disputes/{w.disputes[side].id}/decide",
                                    {**AGENCY_PAGE, "manager": (200, 404)})],
    # The disputes are open: QA's to decide; the manager of the region sees them but decides escalations only.
    "portal.decide_dispute": [Row("POST", lambda w, side: f"/portal/disputes/{w.disputes[side].id}/decide",
                                  {**AGENCY_PAGE, "qa": (303, 303), "admin": (303, 303), "manager": (403, 404)},
                                  data=lambda w, side: {"outcome": "rejected", "reason": "No proof of it."})],
    "portal.region_report_pdf": [Row("GET", lambda w, side: f"/portal/region/{w.dealers[side].region_id}/report.pdf",
                                     {**AGENCY_PAGE, "qa": (422, 422), "admin": (422, 422), "manager": (422, 404)})],


    # --- admin pages (portal/admin.py): admin only, bulk assignment admin and QA ---------------------------
    **_admin_rows(),
}


@dataclass
class GridWorld:
    users: dict[str, Any]
    dealers: dict[str, Any]  # "own", "other"
    audits: dict[str, Any]
    photos: dict[str, str]
    disputes: dict[str, Any]


@pytest.fixture
def grid_world(app, db_session, make_region, make_dealer, make_user, make_wave, make_audit,
               make_checklist_version) -> GridWorld:
    """Two regions with a dealer each; the dealer user and the manager of region A; QA and admin; a
    published audit per dealer with a shopper's photo on a failed item, and a dispute on each."""
    from auditapp.models import Answer, utcnow
    from auditapp.services import attachments
    from auditapp.services.disputes import DisputePolicy, file_dispute
    from auditapp.services.score_versions import store_score_version

    regions = {"own": make_region(), "other": make_region()}
    dealers = {side: make_dealer(regions[side]) for side in regions}
    wave = make_wave()
    version = make_checklist_version()
    store = attachments.FileStore(app.config["ATTACHMENT_DIR"])
    users = {"dealer": make_user("dealer", dealer=dealers["own"]), "manager": make_user("manager",
             regions=[regions["own"]]), "qa": make_user("qa"), "admin": make_user("admin")}
    other_dealer_user = make_user("dealer", dealer=dealers["other"])
    audits, photos, disputes = {}, {}, {}
    for side, dealer in dealers.items():
        shopper = make_user("shopper")
        audit = make_audit(dealer=dealer, wave=wave, shopper=shopper, checklist_version=version, status="in_progress")
        photo = png_bytes(tag=f"grid-{side}")
        sha = hashlib.sha256(photo).hexdigest()
        attachments.upload(db_session, shopper, audit.id, stream=io.BytesIO(photo), sha256=sha, filename="p.png",
                           store=store, max_bytes=app.config["MAX_ATTACHMENT_BYTES"])
        for key, value in {"greeted": "yes", "greet_seconds": 20, "written_quote": "no", "pressure": 4}.items():
            db_session.add(Answer(audit_id=audit.id, item_key=key, value=value,
                                  attachments=[sha] if key == "written_quote" else [],
                                  comment="no written quote" if key == "written_quote" else None))
        now = utcnow()
        audit.status, audit.published_at, audit.visit_started_at, audit.visit_ended_at = "published", now, now, now
        db_session.flush()
        store_score_version(db_session, audit, None, "approved")
        filer = users["dealer"] if side == "own" else other_dealer_user
        disputes[side] = file_dispute(db_session, filer, audit.id, item_key="written_quote",
                                      claim="The quote was handed over on paper.", requested_outcome="pass",
                                      evidence=[], policy=DisputePolicy.from_config(app.config))
        db_session.commit()
        audits[side], photos[side] = audit, sha
    return GridWorld(users=users, dealers=dealers, audits=audits, photos=photos, disputes=disputes)


def test_every_portal_route_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("portal.")}
    missing = endpoints - set(GRID)
    assert not missing, f"portal routes without a row in the access grid: {sorted(missing)}"
    assert not set(GRID) - endpoints, "rows for routes that do not exist"


def _client(app, grid_world, role):
    from fixtures.factories import PASSWORD
    from fixtures.portal import client_login

    client = app.test_client()
    if role != "anonymous":
        assert client_login(client, grid_world.users[role].email, PASSWORD).status_code == 303
    return client


@pytest.mark.parametrize("role", ROLES)
def test_access_grid(app, grid_world, role):
    client = _client(app, grid_world, role)
    failures = []
    for endpoint, rows in GRID.items():
        for row in rows:
            for side, expected in zip(("own", "other"), row.expect[role]):
                url = row.path(grid_world, side)
                if row.method == "GET":
                    response = client.get(url)
                else:
                    token = csrf_of(client.get("/portal/login").data)
                    form = {"csrf_token": token, **(row.data(grid_world, side) if row.data else {})}
                    response = client.post(url, data=form)
                if response.status_code != expected:
                    failures.append(f"{endpoint} {row.method} {url} as {role} ({side}): "
                                    f"{response.status_code}, expected {expected}")
                if row.method == "POST" and endpoint == "portal.logout" and role != "anonymous":
                    client = _client(app, grid_world, role)  # logged out by the row: log in again
    assert not failures, "\n".join(failures)
