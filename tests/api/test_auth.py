"""Logging in: tokens, generic refusals, throttling."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from auditapp.models import ApiToken
from fixtures.factories import PASSWORD


def _login(client, email, password, address="10.0.0.1"):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_login_gives_a_token_that_works(client, make_user):
    user = make_user("qa")
    r = _login(client, user.email.upper(), PASSWORD)
    assert r.status_code == 200
    assert r.json["role"] == "qa" and r.json["token_type"] == "Bearer"
    expires = datetime.fromisoformat(r.json["expires_at"])
    assert timedelta(hours=11) < expires - datetime.now(timezone.utc) <= timedelta(hours=12)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json['access_token']}"})
    assert me.status_code == 200 and me.json["email"] == user.email


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_user):
    user = make_user("qa")
    wrong = _login(client, user.email, "not the password")
    unknown = _login(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


def test_repeated_failures_lock_the_account_for_a_while(client, make_user, app):
    user = make_user("qa")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for i in range(limit):
        assert _login(client, user.email, f"guess {i}", address=f"10.0.1.{i}").status_code == 401
    locked = _login(client, user.email, PASSWORD, address="10.0.2.1")
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert locked.json["code"] == 429 and locked.json["status"] == "Too Many Requests"
    # The same answer for an email nobody has, so the lock does not reveal which accounts exist.
    for i in range(limit):
        _login(client, "ghost@example.com", f"guess {i}", address=f"10.0.3.{i}")
    assert _login(client, "ghost@example.com", "x", address="10.0.4.1").status_code == 429


def test_an_address_guessing_many_accounts_is_slowed_down(client, make_user, app):
    limit = app.config["LOGIN_MAX_FAILURES"] * 4
    for i in range(limit):
        _login(client, f"user{i}@example.com", "guess", address="10.9.9.9")
    user = make_user("qa")
    assert _login(client, user.email, PASSWORD, address="10.9.9.9").status_code == 429
    assert _login(client, user.email, PASSWORD, address="10.9.9.10").status_code == 200


def test_expired_or_bad_tokens_are_refused(client, make_user, auth_for, db_session):
    headers = auth_for(make_user("qa"))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db_session.execute(update(ApiToken).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    db_session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_deactivated_user_cannot_log_in_or_use_a_token(client, make_user, auth_for, db_session):
    user = make_user("qa")
    headers = auth_for(user)
    user.active = False
    db_session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert _login(client, user.email, PASSWORD).status_code == 401
