"""Error messages in the client's language (Accept-Language), with a stable machine code in `error`."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fixtures.factories import PASSWORD
from sqlalchemy import update

from auditapp.models import Audit

# header -> language of the answer; the default (DEFAULT_LANGUAGE) is English.
NEGOTIATED = [({"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}, "zh"), ({"Accept-Language": "en-US"}, "en"),
              ({}, "en"), ({"Accept-Language": "fr"}, "en"), ({"Accept-Language": "fr, zh;q=0.5"}, "zh")]


def _check(response, status, error, language, message):
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"code", "status", "error", "message", "errors"}
    assert (body["code"], body["error"], body["message"]) == (status, error, message[language])
    assert response.headers["Content-Language"] == language
    assert "Accept-Language" in response.headers["Vary"]
    return body


@pytest.mark.parametrize("headers,language", NEGOTIATED)
def test_unauthenticated_401(client, headers, language):
    r = client.get("/api/v1/auth/me", headers=headers)
    _check(r, 401, "request.log_in_first", language, {
        "en": "log in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token",
        "zh": "请先登录：发送由 POST /api/v1/auth/token 获得的 'Authorization: Bearer <token>'"})


@pytest.mark.parametrize("headers,language", NEGOTIATED)
def test_unknown_path_404(client, headers, language):
    # Under /api a caller who has not logged in learns nothing (401); elsewhere the path is unknown.
    _check(client.get("/no-such-thing", headers=headers), 404, "http.404", language,
           {"en": "the requested URL was not found on the server", "zh": "服务器上找不到所请求的地址"})


@pytest.mark.parametrize("headers,language", NEGOTIATED)
def test_unknown_object_404(client, make_user, auth_for, headers, language):
    h = auth_for(make_user("admin"))
    _check(client.get("/api/v1/dealers/999999", headers={**h, **headers}), 404, "access.no_such_dealer",
           language, {"en": "no such dealer", "zh": "没有该经销商"})


@pytest.mark.parametrize("headers,language", NEGOTIATED)
def test_validation_422_translates_marshmallow_and_our_own_field_messages(client, make_user, auth_for,
                                                                          headers, language):
    h = auth_for(make_user("admin"))
    r = client.post("/api/v1/regions", headers={**h, **headers},
                    json={"code": "lower case", "name_en": "x" * 201, "extra": 1})
    body = _check(r, 422, "request.invalid_input", language,
                  {"en": "invalid input: see errors", "zh": "输入无效：详见 errors"})
    fields = body["errors"]["json"]
    expected = {
        "en": {"code": ["must be 1 to 32 of A-Z, 0-9, '_' and '-'"], "name_zh": ["Missing data for required field."],
               "name_en": ["Length must be between 1 and 200."], "extra": ["Unknown field."]},
        "zh": {"code": ["必须由 1 至 32 个 A-Z、0-9、'_' 或 '-' 字符组成"], "name_zh": ["缺少必填字段。"],
               "name_en": ["长度必须在 1 到 200 之间。"], "extra": ["未知字段。"]},
    }
    assert fields == expected[language]


@pytest.mark.parametrize("headers,language", NEGOTIATED)
def test_domain_field_errors_are_translated_too(client, make_user, auth_for, headers, language):
    h = auth_for(make_user("admin"))
    r = client.post("/api/v1/users", headers={**h, **headers},
                    json={"email": "d@example.com", "password": "long enough pass", "role": "dealer"})
    body = _check(r, 422, "user.dealer_needs_dealer", language,
                  {"en": "a dealer user needs a dealer", "zh": "经销商用户必须指定经销商"})
    assert body["errors"] == {"dealer_id": [{"en": "required for role dealer", "zh": "角色 dealer 必填"}[language]]}


@pytest.fixture
def late_audit(make_region, make_dealer, make_user, make_published_audit, auth_for, db_session):
    dealer = make_dealer(region=make_region())
    audit = make_published_audit({"greeted": {"value": "yes"}, "greet_seconds": {"value": 45},
                                  "price_quote": {"value": "yes"}, "attitude": {"value": 4}},
                                 dealer=dealer, visited=datetime(2026, 10, 30, 2, tzinfo=timezone.utc))
    # Published on Monday 2 November 2026 at 10:00 in Shanghai: the window ends with Monday 9 November.
    db_session.execute(update(Audit).where(Audit.id == audit.id)
                       .values(published_at=datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)))
    db_session.commit()
    return audit, auth_for(make_user("dealer", dealer=dealer))


@pytest.mark.parametrize("headers,language", NEGOTIATED)
def test_dispute_window_closed_409(client, late_audit, headers, language):
    audit, h = late_audit
    r = client.post(f"/api/v1/audits/{audit.id}/disputes", headers={**h, **headers},
                    json={"item": "greet_seconds", "claim": "CCTV shows the greeting within 20 seconds.",
                          "requested_outcome": "pass"})
    body = _check(r, 409, "dispute.window_closed", language, {
        "en": "the dispute window closed on 2026-11-10 00:00 CST (5 working days after publication)",
        "zh": "申诉期已于 2026-11-10 00:00 CST 结束（发布后 5 个工作日）"})
    assert body["errors"] == {"audit": [{"en": "dispute window closed", "zh": "申诉期已结束"}[language]]}


@pytest.mark.parametrize("headers,language", NEGOTIATED)
def test_login_throttle_429(client, make_user, app, monkeypatch, headers, language):
    monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES", 1)
    user = make_user("qa")
    env = {"REMOTE_ADDR": "10.9.9.9"}
    wrong = client.post("/api/v1/auth/token", json={"email": user.email, "password": "guess"},
                        headers=headers, environ_base=env)
    _check(wrong, 401, "auth.wrong_credentials", language,
           {"en": "wrong email or password", "zh": "电子邮件或密码错误"})
    client.post("/api/v1/auth/token", json={"email": user.email, "password": "guess 2"}, environ_base=env)
    r = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD},
                    headers=headers, environ_base=env)
    _check(r, 429, "auth.too_many_failures", language,
           {"en": "too many failed logins: try again later", "zh": "登录失败次数过多，请稍后再试"})
    assert int(r.headers["Retry-After"]) > 0


def test_method_not_allowed_and_oversized_body_are_translated(client, make_user, auth_for):
    zh = {"Accept-Language": "zh"}
    r = client.put("/api/v1/auth/token", headers={**zh, **auth_for(make_user("qa"))})
    assert (r.status_code, r.json["error"], r.json["message"]) == (405, "http.405", "所请求的地址不支持该方法")
    r = client.post("/api/v1/auth/token", headers={**zh, "Content-Type": "application/json"},
                    data=b'{"email": "' + b"a" * (3 * 1024 * 1024) + b'"}')
    assert r.status_code == 413 and r.json["error"] in ("http.413", "request.body_too_large")
    assert "请求正文" in r.json["message"]


def test_the_default_language_comes_from_the_configuration(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_LANGUAGE", "zh")
    assert client.get("/api/v1/auth/me").json["message"].startswith("请先登录")
    assert client.get("/api/v1/auth/me", headers={"Accept-Language": "fr"}).json["message"].startswith("请先登录")
    assert client.get("/api/v1/auth/me", headers={"Accept-Language": "en"}).json["message"].startswith("log in")


def test_an_unsupported_default_language_is_refused_at_start_up(tmp_path):
    from auditapp import create_app

    with pytest.raises(ValueError, match="DEFAULT_LANGUAGE"):
        create_app({"DEFAULT_LANGUAGE": "fr", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


def test_flag_messages_follow_the_language(client, make_audit, make_user, auth_for, db_session):
    from auditapp.services.flags import short_visit

    start = datetime(2026, 11, 2, 2, tzinfo=timezone.utc)
    flag = short_visit(start, start + timedelta(minutes=5), 30)
    audit = make_audit()
    audit.flags = [dict(flag)]
    db_session.commit()
    h = auth_for(make_user("qa"))
    texts = {}
    for language in ("zh", "en"):
        r = client.get(f"/api/v1/audits/{audit.id}", headers={**h, "Accept-Language": language})
        (shown,) = r.json["flags"]
        assert shown["code"] == "short_visit" and shown["messages"] == flag["messages"]
        texts[language] = shown["message"]
    assert texts == {"zh": "到店时长5分钟，检查表要求至少30分钟。",
                     "en": "The visit lasted 5 min; the checklist requires at least 30 min."}
