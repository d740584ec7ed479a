"""POST /api/v1/waves/{code}/assignments: a CSV plan uploaded, answered with what was created or every problem."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from auditapp.models import Audit

HEADER = "dealer,shopper,window_start,window_end,checklist,version"


@pytest.fixture
def plan_world(make_dealer, make_user, make_wave, make_checklist_version, auth_for):
    version = make_checklist_version()
    return {"d1": make_dealer(), "d2": make_dealer(), "s1": make_user("shopper"), "wave": make_wave(),
            "version": version, "admin": auth_for(make_user("admin")), "qa": auth_for(make_user("qa"))}


def upload(client, code: str, text: str, headers: dict[str, str], *, encoding: str = "utf-8-sig"):
    return client.post(f"/api/v1/waves/{code}/assignments", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(text.encode(encoding)), "plan.csv", "text/csv")})


def audits_in(db_session, wave) -> int:
    return db_session.scalar(select(func.count()).select_from(Audit).where(Audit.wave_id == wave.id))


@pytest.mark.parametrize("role", ["admin", "qa"])
def test_a_good_plan_is_assigned(client, db_session, plan_world, role):
    w = plan_world
    text = (f"{HEADER}\r\n{w['d1'].code},{w['s1'].email},2026-08-01,2026-08-14,mini,1\r\n"
            f"{w['d2'].code},{w['s1'].email},2026-08-01,2026-08-14,mini,\r\n")
    response = upload(client, w["wave"].code, text, w[role])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["wave"], body["created"], [a["row"] for a in body["audits"]]) == (w["wave"].code, 2, [2, 3])
    stored = db_session.scalars(select(Audit).where(Audit.wave_id == w["wave"].id)).all()
    assert {str(a.id) for a in stored} == {a["audit_id"] for a in body["audits"]}


def test_a_refused_plan_names_each_row_in_the_callers_language_and_writes_nothing(client, db_session, plan_world):
    w = plan_world
    text = (f"{HEADER}\n{w['d1'].code},{w['s1'].email},2026-08-01,2026-08-14,mini,1\n"
            f"X9,{w['s1'].email},2026-08-01,2026-08-14,mini,1\n"
            f"{w['d2'].code},{w['s1'].email},2026-08-14,2026-08-01,mini,1\n")
    response = upload(client, w["wave"].code, text, {**w["admin"], "Accept-Language": "zh-CN"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "plan.refused"
    assert body["message"] == "分派计划未被接受，未创建任何分派；按行和列列出的问题共 2 处"
    assert body["errors"] == {"3": {"dealer": ["没有代码为 X9 的经销商"]},
                              "4": {"window_end": ["到访时段的结束日期早于开始日期（2026-08-14）"]}}
    assert audits_in(db_session, w["wave"]) == 0


def test_a_file_that_is_not_utf8_and_a_missing_file(client, db_session, plan_world):
    w = plan_world
    response = upload(client, w["wave"].code, f"{HEADER}\n深圳店,a@b.cn,2026-08-01,2026-08-14,mini,1\n",
                      w["admin"], encoding="gbk")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["_file"]
    response = client.post(f"/api/v1/waves/{w['wave'].code}/assignments", headers=w["admin"],
                           content_type="multipart/form-data", data={})
    assert response.status_code == 422 and "file" in response.get_json()["errors"]["form_and_files"]


def test_an_unknown_wave_is_404(client, plan_world):
    response = upload(client, "NO-SUCH-WAVE", f"{HEADER}\n", plan_world["admin"])
    assert response.status_code == 404 and response.get_json()["error"] == "admin.no_such_wave"
