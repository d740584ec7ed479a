"""Logging in: tokens, generic refusals, throttling."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update

from auditapp.models import ApiToken, User
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


# --- token revocation (issue 8, defect 6) -----------------------------------------------------------------

def _me(client, headers):
    return client.get("/api/v1/me", headers=headers).status_code


def test_a_password_change_by_an_admin_ends_every_session_of_the_user(client, make_user, auth_for):
    admin, user, bystander = make_user("admin"), make_user("qa"), make_user("qa")
    phone, laptop, other = auth_for(user), auth_for(user), auth_for(bystander)
    r = client.patch(f"/api/v1/users/{user.id}", json={"password": "a brand new password"},
                     headers=auth_for(admin))
    assert r.status_code == 200
    assert _me(client, phone) == _me(client, laptop) == 401
    assert _me(client, other) == 200
    assert _login(client, user.email, PASSWORD).status_code == 401
    fresh = _login(client, user.email, "a brand new password")
    assert fresh.status_code == 200
    assert _me(client, {"Authorization": f"Bearer {fresh.json['access_token']}"}) == 200


def test_a_changed_display_name_keeps_the_sessions(client, make_user, auth_for):
    admin, user = make_user("admin"), make_user("qa")
    headers = auth_for(user)
    assert client.patch(f"/api/v1/users/{user.id}", json={"display_name": "Renamed"},
                        headers=auth_for(admin)).status_code == 200
    assert _me(client, headers) == 200


def test_deactivation_revokes_tokens_and_reactivation_does_not_revive_them(client, make_user, auth_for):
    admin_headers, user = auth_for(make_user("admin")), make_user("qa")
    headers = auth_for(user)
    assert client.patch(f"/api/v1/users/{user.id}", json={"active": False}, headers=admin_headers).status_code == 200
    assert _me(client, headers) == 401
    assert client.patch(f"/api/v1/users/{user.id}", json={"active": True}, headers=admin_headers).status_code == 200
    assert _me(client, headers) == 401
    assert _login(client, user.email, PASSWORD).status_code == 200


def test_a_password_change_through_any_service_revokes_tokens(make_user, auth_for, db_session):
    from auditapp.services.users import set_password

    user = make_user("shopper")
    auth_for(user)
    set_password(user, "another long password")
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)) == 0


def test_rehashing_the_same_password_at_login_keeps_other_sessions(client, make_user, auth_for, db_session):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    user = make_user("qa", password_hash=weak)
    headers = auth_for(user)
    assert _login(client, user.email, PASSWORD).status_code == 200
    db_session.expire_all()
    assert db_session.get(User, user.id).password_hash != weak
    assert _me(client, headers) == 200


def test_logout_revokes_only_the_calling_token(client, make_user, auth_for):
    user = make_user("shopper")
    phone, laptop = auth_for(user), auth_for(user)
    r = client.post("/api/v1/auth/logout", headers=phone)
    assert r.status_code == 204 and r.data == b""
    assert _me(client, phone) == 401
    assert _me(client, laptop) == 200
    again = client.post("/api/v1/auth/logout", headers=phone)
    assert again.status_code == 401 and again.json["code"] == 401


def test_an_admin_revokes_all_tokens_of_a_user(client, make_user, auth_for):
    admin, user, bystander = make_user("admin"), make_user("qa"), make_user("qa")
    admin_headers = auth_for(admin)
    phone, laptop, other = auth_for(user), auth_for(user), auth_for(bystander)
    r = client.delete(f"/api/v1/users/{user.id}/tokens", headers=admin_headers)
    assert r.status_code == 200 and r.json == {"revoked": 2}
    assert _me(client, phone) == _me(client, laptop) == 401
    assert _me(client, other) == 200
    assert client.delete(f"/api/v1/users/{user.id}/tokens", headers=admin_headers).json == {"revoked": 0}
    missing = client.delete("/api/v1/users/999999/tokens", headers=admin_headers)
    assert missing.status_code == 404 and missing.json["code"] == 404
    # The user can still log in: revocation ends sessions, it does not lock the account.
    assert _login(client, user.email, PASSWORD).status_code == 200


def test_logout_and_revocation_are_documented(client):
    paths = client.get("/api/openapi.json").json["paths"]
    logout = paths["/api/v1/auth/logout"]["post"]["responses"]
    assert set(logout) >= {"204", "401"} and "content" not in logout["204"]
    assert logout["401"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
    revoke = paths["/api/v1/users/{user_id}/tokens"]["delete"]["responses"]
    assert revoke["200"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/RevokedTokens"
    assert revoke["404"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
