"""Limits on whole requests (issue 8, defects 5 and 11): JSON nested too deep, bodies too large (chunked
too), headers too large, and an unavailable database, each answered in the standard body, never a 500."""
from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from auditapp import create_app
from auditapp.limits import JSON_MAX_DEPTH, MAX_HEADER_FIELD_BYTES
from auditapp.models import Region

STANDARD_KEYS = {"code", "status", "error", "message", "errors"}


@pytest.fixture
def admin(make_user, auth_for):
    return auth_for(make_user("admin"))


def _json_operations(spec: dict) -> list[tuple[str, str]]:
    operations = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                # Any id will do: the body is refused before anything is looked up.
                concrete = re.sub(r"\{[^}]*id\}", "00000000-0000-0000-0000-000000000001"
                                  if "audit" in path else "1", path)
                operations.append((method, re.sub(r"\{[^}]*\}", "1", concrete)))
    return operations


def test_json_nested_too_deep_is_400_on_every_json_endpoint(client, admin):
    operations = _json_operations(client.get("/api/openapi.json").json)
    assert ("post", "/api/v1/auth/token") in operations and len(operations) > 15
    deep = "[" * 1000 + "]" * 1000  # a 2 KB body: the parser's recursion, not its size, was the problem
    for method, path in operations:
        r = getattr(client, method)(path, data=deep, content_type="application/json", headers=admin)
        assert r.status_code == 400, (method, path, r.get_data())
        assert set(r.json) == STANDARD_KEYS and "deeper than" in r.json["message"]


def test_json_just_within_the_depth_limit_is_read(client):
    nested: object = "x"
    for _ in range(JSON_MAX_DEPTH - 1):
        nested = [nested]
    r = client.post("/api/v1/auth/token", json={"email": "a@example.com", "password": nested})
    assert r.status_code == 422 and "password" in r.json["errors"]["json"]  # read, then refused as not a string


def test_brackets_inside_strings_do_not_count_as_nesting(client):
    r = client.post("/api/v1/auth/token", json={"email": "a@example.com", "password": "[{" * 200})
    assert r.status_code == 401


def test_a_number_too_long_to_parse_is_400(client):
    r = client.post("/api/v1/auth/token", data='{"email": %s}' % ("1" * 5000), content_type="application/json")
    assert r.status_code == 400 and set(r.json) == STANDARD_KEYS


def _chunked(client, path: str, body: bytes, headers: dict[str, str]):
    # A chunked request has no Content-Length; the WSGI server (gunicorn) marks its input as terminated.
    return client.post(path, input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True},
                       headers={**headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"})


def test_a_chunked_body_over_the_limit_is_413_and_changes_nothing(client, admin, db_session):
    before = db_session.scalar(select(func.count()).select_from(Region))
    body = json.dumps({"code": "BIG", "name_zh": "北", "name_en": "x" * (10 * 1024 * 1024)}).encode()
    r = _chunked(client, "/api/v1/regions", body, admin)
    assert r.status_code == 413 and set(r.json) == STANDARD_KEYS, r.get_data()[:200]
    assert db_session.scalar(select(func.count()).select_from(Region)) == before


def test_a_chunked_body_within_the_limit_is_read(client, admin):
    r = _chunked(client, "/api/v1/regions", json.dumps({"code": "SMALL", "name_zh": "北", "name_en": "N"}).encode(),
                 admin)
    assert r.status_code == 201, r.get_data()


def test_a_header_over_the_limit_is_431_in_the_standard_body(client, admin):
    r = client.get("/api/v1/me", headers={**admin, "X-Padding": "x" * MAX_HEADER_FIELD_BYTES})
    assert r.status_code == 431 and set(r.json) == STANDARD_KEYS
    assert client.get("/api/v1/me", headers={**admin, "X-Padding": "x" * 4000}).status_code == 200


def test_serve_gives_gunicorn_room_above_the_apps_own_limits():
    from auditapp.cli import gunicorn_options
    from auditapp.limits import MAX_HEADER_FIELDS

    options = gunicorn_options("127.0.0.1", 8000, 3)
    value = {name: int(options[i + 1]) for i, name in enumerate(options) if name.startswith("--limit-")}
    assert value["--limit-request-field_size"] > MAX_HEADER_FIELD_BYTES
    assert value["--limit-request-fields"] > MAX_HEADER_FIELDS
    assert value["--limit-request-line"] == 8190  # gunicorn's maximum


# --- the database unavailable ----------------------------------------------------------------------------

def _app(url: str, tmp_path, **engine_options):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                       "SQLALCHEMY_ENGINE_OPTIONS": engine_options, "ATTACHMENT_DIR": str(tmp_path / "att"),
                       "REPORT_DIR": str(tmp_path / "rep")})


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data()
    assert set(response.json) == STANDARD_KEYS and int(response.headers["Retry-After"]) > 0


def test_an_unreachable_database_is_503_with_retry_after(app, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        url = "postgresql+psycopg://postgres@127.0.0.1:1/unreachable"  # nothing listens on port 1
    else:
        url = f"sqlite:///{tmp_path / 'no-such-folder' / 'auditapp.db'}"
    client = _app(url, tmp_path).test_client()
    _assert_unavailable(client.post("/api/v1/auth/token", json={"email": "a@example.com", "password": "secret"}))
    _assert_unavailable(client.get("/api/v1/me", headers={"Authorization": "Bearer some-token"}))
    assert client.get("/health").status_code == 503  # /health checks the database (tests/api/test_operations.py)


def test_an_exhausted_connection_pool_is_503_with_retry_after(app, tmp_path):
    from auditapp.extensions import db

    busy = _app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, pool_size=1, max_overflow=0, pool_timeout=0.2)
    with busy.app_context():
        held = db.engine.connect()  # the pool's only connection, held elsewhere
        try:
            _assert_unavailable(busy.test_client().get("/api/v1/me", headers={"Authorization": "Bearer t"}))
        finally:
            held.close()
            db.engine.dispose()


def _chunked_upload(client, headers, audit, photo: bytes):
    from fixtures.files import sha256_of
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({"sha256": sha256_of(photo), "file": FileStorage(
        io.BytesIO(photo), filename="photo.jpg", content_type="image/jpeg")})
    return client.post(f"/api/v1/audits/{audit.id}/attachments", input_stream=io.BytesIO(body),
                       environ_overrides={"wsgi.input_terminated": True},
                       headers={**headers, "Transfer-Encoding": "chunked",
                                "Content-Type": f"multipart/form-data; boundary={boundary}"})


def test_a_chunked_upload_over_the_limit_is_413_as_well(app, client, headers, audit, monkeypatch):
    from fixtures.files import jpeg_bytes

    from auditapp.api.shopper import MULTIPART_OVERHEAD

    monkeypatch.setitem(app.config, "MAX_ATTACHMENT_BYTES", 10_000)
    r = _chunked_upload(client, headers, audit, jpeg_bytes(size=10_000 + MULTIPART_OVERHEAD))
    assert r.status_code == 413 and set(r.json) == STANDARD_KEYS, r.get_data()[:300]
    assert _chunked_upload(client, headers, audit, jpeg_bytes(size=5_000)).status_code == 201
