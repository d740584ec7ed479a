"""Logging in: tokens, generic refusals, throttling."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fixtures.factories import PASSWORD
from sqlalchemy import func, select, update

from auditapp.models import ApiToken, LoginThrottle, User


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


# --- login throttling (issue 8, defect 10) ----------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch, app):
    """A clock the test moves, and small allowances: every checked login costs a real password hash."""
    clock = Clock()
    monkeypatch.setattr("auditapp.services.auth.utcnow", clock)
    monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES", 2)
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_FREE_FAILURES", 3)
    return clock


def _fail_times(client, email, times, address="10.0.0.1"):
    return [_login(client, email, f"guess {i}", address=address).status_code for i in range(times)]


def test_wrong_passwords_make_the_pair_wait_exponentially_then_the_right_one_clears_it(client, make_user, clock):
    user = make_user("qa")
    # 2 free failures (LOGIN_FREE_FAILURES); the 3rd makes the pair wait 2 s, the 4th 4 s, the 5th 8 s.
    assert _fail_times(client, user.email, 3) == [401] * 3
    refused = _login(client, user.email, PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
    assert refused.json == {"code": 429, "status": "Too Many Requests", "error": "auth.too_many_failures",
                            "message": "too many failed logins: try again later", "errors": {}}
    clock.advance(1.5)
    assert _login(client, user.email, PASSWORD).headers["Retry-After"] == "1"  # refused: nothing counted
    clock.advance(0.5)
    assert _fail_times(client, user.email, 1) == [401]
    assert _login(client, user.email, PASSWORD).headers["Retry-After"] == "4"
    clock.advance(4)
    assert _fail_times(client, user.email, 1) == [401]
    assert _login(client, user.email, PASSWORD).headers["Retry-After"] == "8"
    clock.advance(8)
    assert _login(client, user.email, PASSWORD).status_code == 200
    # The success cleared the pair: the owner has their free failures again.
    assert _fail_times(client, user.email, 2) == [401] * 2
    assert _login(client, user.email, PASSWORD).status_code == 200


def test_the_wait_is_capped(client, make_user, clock, app, monkeypatch):
    user = make_user("qa")
    cap = 100
    monkeypatch.setitem(app.config, "LOGIN_MAX_BACKOFF_SECONDS", cap)
    assert _fail_times(client, user.email, 2) == [401] * 2
    waits = []
    for _ in range(8):
        assert _fail_times(client, user.email, 1) == [401]
        probe = _login(client, user.email, "another guess")  # refused while waiting, so not counted
        assert probe.status_code == 429
        waits.append(int(probe.headers["Retry-After"]))
        clock.advance(waits[-1])
    assert waits == [2, 4, 8, 16, 32, 64, cap, cap]


def test_guessing_from_one_address_does_not_lock_the_owner_out_elsewhere(client, make_user, clock):
    user = make_user("qa")
    assert _fail_times(client, user.email, 5, address="10.6.6.6") == [401] * 3 + [429] * 2
    assert _login(client, user.email, PASSWORD, address="10.6.6.6").status_code == 429
    assert _login(client, user.email, PASSWORD, address="192.168.1.20").status_code == 200


def test_unknown_emails_and_wrong_passwords_are_throttled_alike(client, make_user, clock, monkeypatch):
    import auditapp.services.auth as auth

    checks = []
    real_verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checks.append(h is None) or real_verify(h, p))
    user = make_user("qa")
    answers = {}
    for email in (user.email, "ghost@example.com"):
        seen = []
        for _ in range(5):
            r = _login(client, email, "not the password")
            seen.append((r.status_code, r.headers.get("Retry-After"), r.json))
        answers[email] = seen
    assert answers[user.email] == answers["ghost@example.com"]
    assert [status for status, _, _ in answers[user.email]] == [401] * 3 + [429, 429]
    # Both paths paid for one password hash per checked attempt (an unknown email against a dummy hash).
    assert checks == [False] * 3 + [True] * 3


def test_an_address_guessing_unknown_accounts_waits_but_wrong_passwords_of_real_users_do_not_count(
        client, make_user, clock):
    nat = "10.8.8.8"  # a dealership's staff behind one address
    staff = [make_user("qa") for _ in range(3)]
    for person in staff:  # 6 honest typos of real passwords, twice the address's allowance: nobody waits
        assert _fail_times(client, person.email, 2, address=nat) == [401] * 2
    for person in staff:
        assert _login(client, person.email, PASSWORD, address=nat).status_code == 200
    # 3 failures against emails that belong to nobody (LOGIN_ADDRESS_FREE_FAILURES) are free; the 4th
    # makes the address wait 2 s, whoever logs in from it, then 4 s after the next such failure.
    for i in range(4):
        assert _login(client, f"nobody{i}@example.com", "guess", address=nat).status_code == 401
    r = _login(client, staff[0].email, PASSWORD, address=nat)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    assert _login(client, staff[0].email, PASSWORD, address="10.8.8.9").status_code == 200
    clock.advance(2)
    assert _login(client, staff[0].email, PASSWORD, address=nat).status_code == 200
    assert _login(client, "nobody-else@example.com", "guess", address=nat).status_code == 401
    assert _login(client, staff[1].email, PASSWORD, address=nat).headers["Retry-After"] == "4"


def test_counters_are_forgotten_a_day_after_the_last_failure(client, make_user, clock, app, db_session):
    user = make_user("qa")
    assert _fail_times(client, user.email, 3) == [401] * 3
    clock.advance(app.config["LOGIN_FAILURE_MEMORY_SECONDS"] + 1)
    assert _fail_times(client, user.email, 2) == [401] * 2  # the free failures again
    assert _login(client, "someone-else@example.com", "x", address="10.1.1.1").status_code == 401
    assert _login(client, make_user("qa").email, PASSWORD, address="10.1.1.1").status_code == 200
    # A successful login also sweeps counters nobody has touched for a day.
    clock.advance(app.config["LOGIN_FAILURE_MEMORY_SECONDS"] + 1)
    assert _login(client, user.email, PASSWORD, address="10.2.2.2").status_code == 200
    assert db_session.scalar(select(func.count()).select_from(LoginThrottle)) == 0


def test_the_throttle_is_documented_in_the_openapi_document(client):
    token = client.get("/api/openapi.json").json["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert "Retry-After" in token["429"]["headers"]
    assert token["429"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
    assert token["401"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"


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
    document = client.get("/api/openapi.json").json
    paths = document["paths"]

    def error_schema(response):
        # Statuses shared by many operations are named once, as component responses.
        if "$ref" in response:
            response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        return response["content"]["application/json"]["schema"]["$ref"]

    logout = paths["/api/v1/auth/logout"]["post"]["responses"]
    assert set(logout) >= {"204", "401"} and "content" not in logout["204"]
    assert error_schema(logout["401"]) == "#/components/schemas/Error"
    revoke = paths["/api/v1/users/{user_id}/tokens"]["delete"]["responses"]
    assert revoke["200"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/RevokedTokens"
    assert error_schema(revoke["404"]) == "#/components/schemas/Error"
