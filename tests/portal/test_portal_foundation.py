"""The portal's foundation: login through the API's own services (throttling included), the session
cookie, logout and the ways a session ends, CSRF, security headers, language, error pages, roles."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fixtures.factories import PASSWORD
from fixtures.portal import client_login, csrf_of
from sqlalchemy import select

from auditapp.models import ApiToken, utcnow


def cookie_header(response) -> str:
    return next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("auditapp_portal="))


def test_login_page_is_served_with_the_security_headers(portal_client):
    response = portal_client.get("/portal/login")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
                      "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "<script" not in html and "style=" not in html


def test_the_stylesheet_is_served_by_the_portal_itself(portal_client):
    page = portal_client.get("/portal/login").get_data(as_text=True)
    assert 'href="/portal/static/portal.css"' in page
    css = portal_client.get("/portal/static/portal.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "@import" not in css.get_data(as_text=True) and "url(http" not in css.get_data(as_text=True)


def test_session_cookie_is_httponly_lax_and_only_for_the_portal(portal_client):
    header = cookie_header(portal_client.get("/portal/login"))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/portal" in header
    assert "Secure" not in header  # plain HTTP: a Secure cookie would never come back


def test_session_cookie_is_secure_over_tls(app, db_session):
    client = app.test_client()
    header = cookie_header(client.get("/portal/login", base_url="https://portal.example.com"))
    assert "Secure" in header


def test_login_keeps_only_the_token_hash_and_logout_revokes_it(portal_client, make_user, make_dealer, db_session):
    user = make_user("dealer", dealer=make_dealer())
    response = client_login(portal_client, user.email, PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/portal/"
    tokens = db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert len(tokens) == 1
    from flask.sessions import SecureCookieSessionInterface

    cookie = portal_client.get_cookie("auditapp_portal", path="/portal")
    serializer = SecureCookieSessionInterface().get_signing_serializer(portal_client.application)
    assert serializer.loads(cookie.value)["token"] == tokens[0].token_hash
    home = portal_client.get("/portal/")
    assert home.status_code in (200, 303)
    token = csrf_of(portal_client.get("/portal/login").data)
    out = portal_client.post("/portal/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["Location"] == "/portal/login"
    assert db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []
    assert portal_client.get("/portal/").headers["Location"].startswith("/portal/login")


def test_wrong_password_is_refused_and_counted(portal_client, make_user, db_session):
    from auditapp.models import LoginThrottle

    user = make_user("qa")
    response = client_login(portal_client, user.email, "not the password")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert db_session.scalar(select(LoginThrottle.failures).where(LoginThrottle.email == user.email)) == 1
    assert portal_client.get("/portal/").status_code == 302  # still logged out


def test_login_is_throttled_like_the_api(app, portal_client, make_user, monkeypatch):
    user = make_user("qa")
    monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES", 2)
    for _ in range(3):
        client_login(portal_client, user.email, "wrong guess")
    refused = client_login(portal_client, user.email, PASSWORD)  # even the right password waits
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert wait >= 1
    assert f"try again in {wait} seconds" in refused.get_data(as_text=True)


def test_a_shopper_is_sent_to_the_phone_app_without_a_portal_session(portal_client, make_user, db_session):
    shopper = make_user("shopper")
    response = client_login(portal_client, shopper.email, PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/app/"
    assert db_session.scalars(select(ApiToken).where(ApiToken.user_id == shopper.id)).all() == []
    assert portal_client.get("/portal/").status_code == 302


def test_next_page_after_login_stays_inside_the_portal(portal_client, make_user):
    user = make_user("qa")
    token = csrf_of(portal_client.get("/portal/login").data)
    for target, expected in (("/portal/somewhere", "/portal/somewhere"), ("https://evil.example/", "/portal/"),
                             ("//evil.example/portal/", "/portal/"), ("/api/v1/me", "/portal/"),
                             ("/portal/../api/v1/me", "/portal/"), ("/portal\\..\\x", "/portal/")):
        response = portal_client.post("/portal/login", data={"csrf_token": token, "email": user.email,
                                                             "password": PASSWORD, "next": target})
        assert response.headers["Location"] == expected
        token = csrf_of(portal_client.get("/portal/login").data)


@pytest.mark.parametrize("end", ["password", "deactivate", "expire", "revoke_all"])
def test_sessions_end_with_the_token(portal_as, make_user, db_session, end):
    from auditapp.services.auth import revoke_user_tokens
    from auditapp.services.passwords import hash_password

    user = make_user("qa")
    client = portal_as(user)
    assert client.get("/portal/").status_code in (200, 303)  # the start page, or the first page of the role
    if end == "password":
        user.password_hash = hash_password("another long password")
    elif end == "deactivate":
        user.active = False
    elif end == "expire":
        for token in db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
            token.expires_at = utcnow() - timedelta(seconds=1)
    else:
        revoke_user_tokens(db_session, user)
    db_session.commit()
    response = client.get("/portal/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/portal/login")
    assert "Your session has ended" in client.get("/portal/login").get_data(as_text=True)


def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(portal_as, make_user, db_session):
    user = make_user("qa")
    client = portal_as(user)
    for data in ({}, {"csrf_token": "forged"}):
        refused = client.post("/portal/logout", data=data)
        assert refused.status_code == 400
        assert "reload the page" in refused.get_data(as_text=True)
        assert refused.headers["Content-Security-Policy"]
        assert user.display_name in refused.get_data(as_text=True)  # the header still says who is logged in
    assert db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() != []
    assert client.get("/portal/").status_code in (200, 303)  # still logged in (not sent to the login page)


def test_login_form_needs_its_csrf_token_too(portal_client, make_user, db_session):
    user = make_user("qa")
    portal_client.get("/portal/login")
    refused = portal_client.post("/portal/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400
    assert db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def test_the_json_api_is_not_touched_by_the_portal(client, make_user, auth_for):
    user = make_user("qa")
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert client.get("/api/v1/me", headers=auth_for(user)).status_code == 200


def test_language_follows_the_browser_then_the_choice(portal_client):
    zh = portal_client.get("/portal/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN">' in zh.get_data(as_text=True) and "登录门户" in zh.get_data(as_text=True)
    en = portal_client.get("/portal/login", headers={"Accept-Language": "en-GB"})
    assert "Log in to the portal" in en.get_data(as_text=True)
    token = csrf_of(en.data)
    switched = portal_client.post("/portal/language", data={"csrf_token": token, "lang": "zh",
                                                            "next": "/portal/login"})
    assert switched.status_code == 303 and switched.headers["Location"] == "/portal/login"
    again = portal_client.get("/portal/login", headers={"Accept-Language": "en-GB"})
    assert "登录门户" in again.get_data(as_text=True)


def test_an_unknown_page_is_the_plain_not_found_page(portal_as, make_user, make_dealer):
    client = portal_as(make_user("dealer", dealer=make_dealer()))
    response = client.get("/portal/dealers/999999/secret-thing")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "999999" not in html and "secret-thing" not in html
    assert response.headers["Content-Security-Policy"]


def test_every_portal_view_runs_in_the_request_transaction(app):
    views = {e: v for e, v in app.view_functions.items() if e.startswith("portal.")}
    assert "portal.login" in views
    assert all(getattr(v, "_auditapp_transactional", False) for v in views.values())


@pytest.mark.parametrize(("role", "status"), [("dealer", 404), ("manager", 404), ("qa", 403), ("admin", None)])
def test_roles_decorator_hides_pages_from_the_network_and_forbids_the_agency(app, make_user, make_dealer, make_region,
                                                                             role, status):
    from flask import g

    from auditapp.errors import Forbidden, NotFound
    from auditapp.portal.core import roles

    @roles("admin")
    def admin_page():
        return "ok"

    assert admin_page.portal_roles == ("admin",)
    with app.test_request_context("/portal/x"):
        scope = {"dealer": {"dealer": make_dealer()}, "manager": {"regions": [make_region()]}}.get(role, {})
        g.portal_user = make_user(role, **scope)
        if status is None:
            assert admin_page() == "ok"
        else:
            with pytest.raises(NotFound if status == 404 else Forbidden):
                admin_page()
