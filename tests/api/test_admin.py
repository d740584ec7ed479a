"""Administration endpoints and assignment rules."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from auditapp.models import Audit, Dealer, User


@pytest.fixture
def admin(make_user, auth_for):
    return auth_for(make_user("admin"))


def test_create_and_update_a_region_dealer_and_wave(client, admin):
    r = client.post("/api/v1/regions", headers=admin, json={"code": "EAST", "name_zh": "华东", "name_en": "East"})
    assert r.status_code == 201
    region_id = r.json["id"]
    r = client.post("/api/v1/dealers", headers=admin, json={
        "region_id": region_id, "code": "SH001", "name_zh": "上海一店", "name_en": "Shanghai One",
        "address": "上海市浦东新区", "latitude": 31.2, "longitude": 121.5})
    assert r.status_code == 201 and r.json["timezone"] == "Asia/Shanghai"
    r = client.patch(f"/api/v1/dealers/{r.json['id']}", headers=admin, json={"name_en": "Shanghai No. 1"})
    assert r.status_code == 200 and r.json["name_en"] == "Shanghai No. 1" and r.json["code"] == "SH001"
    r = client.post("/api/v1/waves", headers=admin, json={
        "code": "2026-Q4", "title_zh": "2026年第四季度", "title_en": "2026 Q4",
        "starts_on": "2026-10-01", "ends_on": "2026-12-31"})
    assert r.status_code == 201
    assert [w["code"] for w in client.get("/api/v1/waves", headers=admin).json] == ["2026-Q4"]


@pytest.mark.parametrize("body,field", [
    ({"region_id": 999999}, "region_id"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"latitude": 91}, "latitude"),
    ({"code": ""}, "code"),
    ({"colour": "red"}, "colour"),
])
def test_bad_dealer_input_is_refused_and_nothing_is_written(client, admin, make_region, db_session, body, field):
    region = make_region()
    payload = {"region_id": region.id, "code": "X1", "name_zh": "某店", "name_en": "Some dealer", **body}
    before = db_session.scalar(select(func.count()).select_from(Dealer))
    r = client.post("/api/v1/dealers", headers=admin, json=payload)
    assert r.status_code == 422, r.json
    assert field in str(r.json["errors"])
    assert db_session.scalar(select(func.count()).select_from(Dealer)) == before


def test_duplicate_code_is_a_conflict(client, admin, make_region):
    region = make_region(code="DUP")
    r = client.post("/api/v1/regions", headers=admin, json={"code": "DUP", "name_zh": "重", "name_en": "Dup"})
    assert r.status_code == 409 and r.json["errors"] == {"code": ["'DUP' is taken"]}
    assert region.id


def test_users_with_scopes(client, admin, make_dealer, make_region, db_session):
    dealer, region = make_dealer(), make_region()
    r = client.post("/api/v1/users", headers=admin, json={
        "email": "gm@dealer.cn", "password": "long enough pw", "role": "dealer", "dealer_id": dealer.id})
    assert r.status_code == 201 and r.json["dealer_id"] == dealer.id and "password" not in r.json
    r = client.post("/api/v1/users", headers=admin, json={
        "email": "rm@brand.cn", "password": "long enough pw", "role": "manager", "region_ids": [region.id]})
    assert r.status_code == 201 and r.json["region_ids"] == [region.id]
    r = client.post("/api/v1/users", headers=admin, json={
        "email": "d2@dealer.cn", "password": "long enough pw", "role": "dealer"})
    assert r.status_code == 422 and "dealer_id" in r.json["errors"]
    r = client.post("/api/v1/users", headers=admin, json={
        "email": "GM@dealer.cn", "password": "long enough pw", "role": "qa"})
    assert r.status_code == 409
    r = client.post("/api/v1/users", headers=admin, json={
        "email": "s@x.cn", "password": "short", "role": "shopper"})
    assert r.status_code == 422 and "password" in r.json["errors"]["json"]
    assert db_session.scalar(select(func.count()).select_from(User).where(User.email == "s@x.cn")) == 0


def _assign(client, headers, dealer, wave, shopper, version, start, end):
    return client.post("/api/v1/audits", headers=headers, json={
        "dealer_id": dealer.id, "wave_id": wave.id, "checklist": {"key": version.key, "version": version.version},
        "shopper_id": shopper.id, "visit_window_start": start, "visit_window_end": end})


def test_rotation_rule(client, make_user, auth_for, make_dealer, make_wave, make_checklist_version, db_session):
    qa = auth_for(make_user("qa"))
    dealer, other_dealer, wave = make_dealer(), make_dealer(), make_wave()
    shopper, other_shopper = make_user("shopper"), make_user("shopper")
    version = make_checklist_version()
    assert _assign(client, qa, dealer, wave, shopper, version, "2026-08-01", "2026-08-07").status_code == 201
    # 2026-08-07 + 60 days = 2026-10-06: a window starting before that is too close.
    r = _assign(client, qa, dealer, wave, shopper, version, "2026-10-05", "2026-10-10")
    assert r.status_code == 409
    assert "within 60 days" in r.json["message"] and "shopper_id" in r.json["errors"]
    assert _assign(client, qa, dealer, wave, shopper, version, "2026-10-07", "2026-10-10").status_code == 201
    assert _assign(client, qa, other_dealer, wave, shopper, version, "2026-08-02", "2026-08-03").status_code == 201
    assert _assign(client, qa, dealer, wave, other_shopper, version, "2026-08-02", "2026-08-03").status_code == 201
    assert db_session.scalar(select(func.count()).select_from(Audit)) == 4


@pytest.mark.parametrize("change,field", [
    ({"dealer_id": 999999}, "dealer_id"),
    ({"wave_id": 999999}, "wave_id"),
    ({"checklist": {"key": "nope", "version": 1}}, "checklist"),
    ({"visit_window_end": "2026-07-01"}, "visit_window_end"),
    ({"shopper_id": "1"}, "shopper_id"),
])
def test_assignment_refusals(client, make_user, auth_for, make_dealer, make_wave, make_checklist_version,
                             db_session, change, field):
    qa = auth_for(make_user("qa"))
    version = make_checklist_version()
    body = {"dealer_id": make_dealer().id, "wave_id": make_wave().id,
            "checklist": {"key": version.key, "version": version.version}, "shopper_id": make_user("shopper").id,
            "visit_window_start": "2026-08-01", "visit_window_end": "2026-08-07", **change}
    r = client.post("/api/v1/audits", headers=qa, json=body)
    assert r.status_code == 422, r.json
    assert field in str(r.json["errors"])
    assert db_session.scalar(select(func.count()).select_from(Audit)) == 0


def test_a_non_shopper_cannot_be_assigned(client, make_user, auth_for, make_dealer, make_wave, make_checklist_version):
    qa = auth_for(make_user("qa"))
    version = make_checklist_version()
    r = _assign(client, qa, make_dealer(), make_wave(), make_user("dealer", dealer=make_dealer()), version,
                "2026-08-01", "2026-08-02")
    assert r.status_code == 422 and "not an active shopper" in r.json["errors"]["shopper_id"][0]


# --- the last active admin (issue 8, defect 8) -------------------------------------------------------------

def _active_admins(db_session) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(User).where(User.role == "admin",
                                                                          User.active.is_(True)))


@pytest.mark.parametrize("change", [{"active": False}, {"role": "qa"}, {"role": "qa", "active": False}])
def test_the_last_active_admin_cannot_leave_office(client, make_user, auth_for, db_session, change):
    only = make_user("admin")
    make_user("admin", active=False)  # an inactive admin does not count
    headers = auth_for(only)
    r = client.patch(f"/api/v1/users/{only.id}", headers=headers, json=change)
    assert r.status_code == 409
    assert r.json["code"] == 409 and "last active admin" in r.json["message"]
    assert _active_admins(db_session) == 1
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_with_a_second_admin_one_may_step_down_then_the_other_may_not(client, make_user, auth_for, db_session):
    first, second = make_user("admin"), make_user("admin")
    first_headers, second_headers = auth_for(first), auth_for(second)
    r = client.patch(f"/api/v1/users/{first.id}", headers=first_headers, json={"role": "qa"})
    assert r.status_code == 200 and r.json["role"] == "qa"
    assert client.get("/api/v1/users", headers=first_headers).status_code == 403  # the demotion took effect
    assert client.patch(f"/api/v1/users/{second.id}", headers=second_headers,
                        json={"active": False}).status_code == 409
    assert _active_admins(db_session) == 1


def test_other_changes_to_the_last_admin_are_allowed(client, make_user, auth_for):
    only = make_user("admin")
    headers = auth_for(only)
    r = client.patch(f"/api/v1/users/{only.id}", headers=headers, json={"display_name": "Still in charge",
                                                                         "role": "admin", "active": True})
    assert r.status_code == 200 and r.json["display_name"] == "Still in charge"


def test_a_new_role_takes_its_scope_and_drops_the_old_one(client, admin, make_user, make_dealer, make_region):
    dealer, region = make_dealer(), make_region()
    user = make_user("dealer", dealer=dealer)
    r = client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"role": "manager", "region_ids": [region.id]})
    assert r.status_code == 200 and r.json["dealer_id"] is None and r.json["region_ids"] == [region.id]
    r = client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"role": "dealer"})
    assert r.status_code == 422 and "dealer_id" in r.json["errors"]
    r = client.patch(f"/api/v1/users/{user.id}", headers=admin, json={"role": "boss"})
    assert r.status_code == 422 and "role" in r.json["errors"]["json"]
