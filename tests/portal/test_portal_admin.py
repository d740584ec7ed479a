"""The admin pages through the Flask test client: each page renders for its roles, and every change goes
through the services with their rules (last admin, sessions ended, a plan all or nothing)."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from fixtures.portal import csrf_of
from sqlalchemy import func, select

from auditapp.models import ApiToken, Audit, Dealer, Region, User, Wave
from auditapp.portal.admin import AUDIT_PAGE


def post(client, url: str, data: dict, **kwargs):
    token = csrf_of(client.get("/portal/login").data)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def url_for_audit(client, audit) -> str:
    from flask import url_for

    with client.application.test_request_context():
        return url_for(AUDIT_PAGE, audit_id=audit.id)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def admin_client(portal_as, make_user):
    return portal_as(make_user("admin"))


def test_every_admin_page_renders(admin_client, make_dealer, make_wave, make_user, make_checklist_version):
    dealer, wave = make_dealer(), make_wave()
    make_checklist_version()
    make_user("manager", regions=[dealer.region])
    for url in ("/portal/admin/users", "/portal/admin/users?role=manager", "/portal/admin/users/new",
                "/portal/admin/regions", "/portal/admin/regions/new", f"/portal/admin/regions/{dealer.region_id}",
                "/portal/admin/dealers", "/portal/admin/dealers/new", f"/portal/admin/dealers/{dealer.id}",
                "/portal/admin/waves", "/portal/admin/waves/new", f"/portal/admin/waves/{wave.id}",
                "/portal/admin/checklists", "/portal/admin/assignments", f"/portal/admin/assignments?wave={wave.code}"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    checklists = text_of(admin_client.get("/portal/admin/checklists"))
    # the small checklist: sections greeting (3 items) and negotiation (2 items)
    assert "mini v1" in checklists and "2 sections, 5 items" in checklists


def test_the_user_list_filters_by_role(admin_client, make_user, make_region):
    manager = make_user("manager", regions=[make_region()])
    shopper = make_user("shopper")
    page = text_of(admin_client.get("/portal/admin/users?role=manager"))
    assert manager.email in page and shopper.email not in page


def test_creating_users_with_their_scope(admin_client, db_session, make_dealer, make_region):
    dealer, region = make_dealer(), make_region()
    response = post(admin_client, "/portal/admin/users/new", {
        "email": "New.Dealer@Example.com", "display_name": "店长", "role": "dealer", "password": "a long password",
        "dealer_id": str(dealer.id), "region_ids": [str(region.id)]})
    assert response.status_code == 303
    user = db_session.scalar(select(User).where(User.email == "new.dealer@example.com"))
    # the regions ticked belong to no dealer user: only the chosen role's scope is kept
    assert (user.role, user.dealer_id, user.regions) == ("dealer", dealer.id, [])
    response = post(admin_client, "/portal/admin/users/new", {
        "email": "m@example.com", "role": "manager", "password": "a long password", "region_ids": [str(region.id)]})
    assert response.status_code == 303
    assert [r.id for r in db_session.scalar(select(User).where(User.email == "m@example.com")).regions] == [region.id]


def test_a_refused_user_form_shows_the_problems_and_creates_nothing(admin_client, db_session, make_user):
    taken = make_user("qa")
    before = db_session.scalar(select(func.count()).select_from(User))
    response = post(admin_client, "/portal/admin/users/new", {"email": taken.email, "role": "qa",
                                                             "password": "a long password"})
    assert response.status_code == 409
    assert "a user with this email exists" in text_of(response) and "already registered" in text_of(response)
    response = post(admin_client, "/portal/admin/users/new", {"email": "x@example.com", "role": "manager",
                                                             "password": "short"})
    assert response.status_code == 422
    response = post(admin_client, "/portal/admin/users/new", {"email": "y@example.com", "role": "dealer",
                                                             "password": "a long password"})
    assert response.status_code == 422
    assert db_session.scalar(select(func.count()).select_from(User)) == before


def test_deactivating_ends_the_sessions_and_the_last_admin_stays(portal_as, db_session, make_user, auth_for):
    admin = make_user("admin")
    client = portal_as(admin)
    shopper = make_user("shopper")
    auth_for(shopper)
    response = post(client, f"/portal/admin/users/{shopper.id}/active", {"active": "no"})
    assert response.status_code == 303
    db_session.expire_all()
    assert not db_session.get(User, shopper.id).active
    assert db_session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == shopper.id)) == 0
    assert post(client, f"/portal/admin/users/{shopper.id}/active", {"active": "yes"}).status_code == 303
    db_session.expire_all()
    assert db_session.get(User, shopper.id).active
    # the only active admin cannot deactivate themselves
    others = db_session.scalars(select(User).where(User.role == "admin", User.id != admin.id)).all()
    for other in others:
        other.active = False
    db_session.commit()
    response = post(client, f"/portal/admin/users/{admin.id}/active", {"active": "no"})
    assert response.status_code == 409
    assert "the last active admin cannot be deactivated or demoted" in text_of(response)
    db_session.expire_all()
    assert db_session.get(User, admin.id).active


def test_resetting_a_password_ends_the_sessions(admin_client, db_session, make_user, auth_for):
    from auditapp.services.passwords import verify_password

    user = make_user("qa")
    auth_for(user)
    assert post(admin_client, f"/portal/admin/users/{user.id}/password", {"password": "short"}).status_code == 422
    response = post(admin_client, f"/portal/admin/users/{user.id}/password", {"password": "a brand new password"})
    assert response.status_code == 303
    db_session.expire_all()
    assert verify_password(db_session.get(User, user.id).password_hash, "a brand new password")
    assert db_session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)) == 0
    assert admin_client.post(f"/portal/admin/users/{user.id + 10**6}/password",
                             data={"csrf_token": csrf_of(admin_client.get("/portal/login").data),
                                   "password": "a brand new password"}).status_code == 404


def test_regions_dealers_and_waves_are_created_and_edited(admin_client, db_session, make_region):
    region = make_region()
    assert post(admin_client, "/portal/admin/regions/new", {"code": "EAST-9", "name_zh": "华东九区",
                                                            "name_en": "East 9"}).status_code == 303
    assert db_session.scalar(select(Region).where(Region.code == "EAST-9")).name_zh == "华东九区"
    response = post(admin_client, "/portal/admin/dealers/new", {
        "code": "SH-042", "region_id": str(region.id), "name_zh": "上海浦东店", "name_en": "Shanghai Pudong",
        "address": "上海市浦东新区", "latitude": "31.2215", "longitude": "121.5440", "timezone": "Asia/Shanghai"})
    assert response.status_code == 303
    dealer = db_session.scalar(select(Dealer).where(Dealer.code == "SH-042"))
    assert (dealer.latitude, dealer.longitude, dealer.region_id) == (31.2215, 121.544, region.id)
    response = post(admin_client, f"/portal/admin/dealers/{dealer.id}", {
        "code": "SH-042", "region_id": str(region.id), "name_zh": "上海浦东店", "name_en": "Shanghai Pudong East",
        "address": "", "latitude": "", "longitude": "", "timezone": "Asia/Urumqi"})
    assert response.status_code == 303
    db_session.expire_all()
    dealer = db_session.get(Dealer, dealer.id)
    assert (dealer.name_en, dealer.latitude, dealer.address, dealer.timezone) == (
        "Shanghai Pudong East", None, None, "Asia/Urumqi")
    assert post(admin_client, "/portal/admin/waves/new", {"code": "2027-Q1", "title_zh": "2027 第一季度",
                                                          "title_en": "2027 Q1", "starts_on": "2027-01-01",
                                                          "ends_on": "2027-03-31"}).status_code == 303
    wave = db_session.scalar(select(Wave).where(Wave.code == "2027-Q1"))
    assert (wave.starts_on, wave.ends_on) == (date(2027, 1, 1), date(2027, 3, 31))


@pytest.mark.parametrize("url,fields,status,field", [
    ("/portal/admin/regions/new", {"code": "lower case", "name_zh": "区", "name_en": "R"}, 422, "code"),
    ("/portal/admin/dealers/new", {"code": "D-X1", "region_id": "REGION", "name_zh": "店", "name_en": "D",
                                   "latitude": "91", "longitude": "0", "timezone": "Asia/Shanghai"}, 422, "latitude"),
    ("/portal/admin/dealers/new", {"code": "D-X2", "region_id": "REGION", "name_zh": "店", "name_en": "D",
                                   "timezone": "Mars/Olympus"}, 422, "timezone"),
    ("/portal/admin/waves/new", {"code": "W-X", "title_zh": "期", "title_en": "W", "starts_on": "2027-03-01",
                                 "ends_on": "2027-02-01"}, 422, "ends_on"),
    ("/portal/admin/waves/new", {"code": "W-Y", "title_zh": "期", "title_en": "W", "starts_on": "1999-03-01",
                                 "ends_on": "2027-02-01"}, 422, "starts_on"),
    ("/portal/admin/regions/new", {"code": "TAKEN", "name_zh": "区", "name_en": "R"}, 409, "code"),
])
def test_refused_forms_write_nothing(admin_client, db_session, make_region, url, fields, status, field):
    region = make_region(code="TAKEN")
    counts = [db_session.scalar(select(func.count()).select_from(m)) for m in (Region, Dealer, Wave)]
    data = {k: (str(region.id) if v == "REGION" else v) for k, v in fields.items()}
    response = post(admin_client, url, data)
    assert response.status_code == status
    assert f'name="{field}"' in response.get_data(as_text=True) and 'class="field-error"' in response.get_data(
        as_text=True)
    assert [db_session.scalar(select(func.count()).select_from(m)) for m in (Region, Dealer, Wave)] == counts


# --- bulk assignment -------------------------------------------------------------------------------------

@pytest.fixture
def plan_setting(make_dealer, make_user, make_wave, make_checklist_version):
    make_checklist_version()
    return {"d1": make_dealer(), "d2": make_dealer(), "s1": make_user("shopper"), "wave": make_wave()}


def upload(client, wave_code: str, text: str):
    return post(client, "/portal/admin/assignments", {
        "wave": wave_code, "plan": (io.BytesIO(text.encode("utf-8-sig")), "plan.csv", "text/csv")},
        content_type="multipart/form-data")


@pytest.mark.parametrize("role", ["admin", "qa"])
def test_a_good_plan_is_assigned_and_listed(portal_as, make_user, db_session, plan_setting, role):
    client = portal_as(make_user(role))
    p = plan_setting
    text = ("dealer,shopper,window_start,window_end,checklist\r\n"
            f"{p['d1'].code},{p['s1'].email},2026-08-01,2026-08-14,mini\r\n"
            f"{p['d2'].code},{p['s1'].email},2026-08-01,2026-08-14,mini\r\n")
    response = upload(client, p["wave"].code, text)
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/portal/admin/assignments?wave={p['wave'].code}")
    assert db_session.scalar(select(func.count()).select_from(Audit).where(Audit.wave_id == p["wave"].id)) == 2
    page = text_of(client.get(response.headers["Location"]))
    assert f"2 visits assigned in wave {p['wave'].code}." in page
    assert f"Assignments of wave {p['wave'].code}: 2" in page and p["d2"].code in page
    if AUDIT_PAGE in client.application.view_functions:  # the QA pages are part of the portal: link to them
        for audit in db_session.scalars(select(Audit).where(Audit.wave_id == p["wave"].id)):
            assert f'href="{url_for_audit(client, audit)}"' in page


def test_a_refused_plan_shows_each_row_and_writes_nothing(admin_client, db_session, plan_setting):
    p = plan_setting
    text = ("dealer,shopper,window_start,window_end,checklist\n"
            f"{p['d1'].code},{p['s1'].email},2026-08-01,2026-08-14,mini\n"
            f"{p['d2'].code},{p['s1'].email},2026-08-01,2026-08-14,nope\n")
    response = upload(admin_client, p["wave"].code, text)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    rows = re.findall(r"<tr><td class=\"num\">(\d+)</td>\s*<td><code>(\w+)</code></td>\s*<td>([^<]+)</td>", html)
    assert rows == [("3", "checklist", "no version of checklist nope is loaded")]
    assert db_session.scalar(select(func.count()).select_from(Audit).where(Audit.wave_id == p["wave"].id)) == 0


def test_a_plan_needs_a_wave_and_a_file(admin_client, plan_setting):
    response = post(admin_client, "/portal/admin/assignments", {"wave": plan_setting["wave"].code},
                    content_type="multipart/form-data")
    assert response.status_code == 422
    assert re.search(r'name="plan"[^>]*>\s*<p class="field-error"', response.get_data(as_text=True))
    response = upload(admin_client, "NO-SUCH-WAVE", "dealer\n")
    assert response.status_code == 422
    assert re.search(r'</select>\s*<p class="field-error"', response.get_data(as_text=True))


def test_the_plan_template_is_the_header_row_with_a_bom(admin_client):
    response = admin_client.get("/portal/admin/assignments/plan-template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data == "\ufeffdealer,shopper,window_start,window_end,checklist,version\r\n".encode()
