"""The OpenAPI document, and every class of bad input: a 4xx in the standard body, nothing written."""
from __future__ import annotations

import uuid

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from auditapp.models import Region

STANDARD_KEYS = {"code", "status", "error", "message", "errors"}


def test_openapi_document_is_valid_and_lists_the_contract(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    spec = r.json
    validate(spec)
    for path in ["/api/v1/auth/token", "/api/v1/me", "/api/v1/checklists", "/api/v1/checklists/{key}/{version}",
                 "/api/v1/regions", "/api/v1/dealers", "/api/v1/users", "/api/v1/waves", "/api/v1/audits",
                 "/api/v1/audits/{audit_id}", "/api/v1/audits/{audit_id}/answers",
                 "/api/v1/audits/{audit_id}/attachments", "/api/v1/audits/{audit_id}/submit", "/api/v1/sync",
                 "/api/v1/audits/{audit_id}/approve", "/api/v1/audits/{audit_id}/return",
                 "/api/v1/audits/{audit_id}/score", "/api/v1/dealers/{dealer_id}/scorecard",
                 "/api/v1/regions/{region_id}/leaderboard"]:
        assert path in spec["paths"], path


def test_swagger_ui_is_served(client):
    r = client.get("/api/docs")
    assert r.status_code == 200 and b"swagger" in r.data.lower()


@pytest.fixture
def admin(make_user, auth_for):
    return auth_for(make_user("admin"))


def _regions(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Region))


@pytest.mark.parametrize("kind,kwargs,status", [
    ("malformed JSON", {"data": "{\"code\": ", "content_type": "application/json"}, 400),
    ("wrong types", {"json": {"code": 5, "name_zh": ["x"], "name_en": None}}, 422),
    ("unknown field", {"json": {"code": "N", "name_zh": "北", "name_en": "North", "manager": "me"}}, 422),
    ("missing fields", {"json": {}}, 422),
    ("not an object", {"json": ["code", "N"]}, 422),
    ("oversized body", {"json": {"code": "N", "name_zh": "北" * (3 * 1024 * 1024), "name_en": "x"}}, 413),
])
def test_bad_bodies(client, admin, db_session, kind, kwargs, status):
    before = _regions(db_session)
    r = client.post("/api/v1/regions", headers=admin, **kwargs)
    assert r.status_code == status, (kind, r.json)
    assert set(r.json) == STANDARD_KEYS and r.json["code"] == status
    assert _regions(db_session) == before


@pytest.mark.parametrize("path", [
    "/api/v1/audits/not-a-uuid", "/api/v1/audits/12345/score", f"/api/v1/audits/{uuid.uuid4()}",
    "/api/v1/regions/999999", "/api/v1/dealers/abc", f"/api/v1/audits/{uuid.uuid4()}/score",
    "/api/v1/checklists/nope/1", "/api/v1/no-such-endpoint",
])
def test_bad_ids_and_unknown_objects_are_404_in_the_standard_body(client, admin, path):
    r = client.get(path, headers=admin)
    assert r.status_code == 404, r.json
    assert set(r.json) == STANDARD_KEYS


def test_wrong_method_is_405_in_the_standard_body(client, admin):
    r = client.delete("/api/v1/regions", headers=admin)
    assert r.status_code == 405 and set(r.json) == STANDARD_KEYS


def test_bad_query_parameters(client, admin):
    r = client.get("/api/v1/audits?status=lost", headers=admin)
    assert r.status_code == 422 and "status" in str(r.json["errors"])
    r = client.get("/api/v1/audits?page=0", headers=admin)
    assert r.status_code == 422
    r = client.get("/api/v1/dealers/1/scorecard", headers=admin)
    assert r.status_code == 422 and "wave" in str(r.json["errors"])


def test_pdf_downloads_refuse_a_bad_language_or_wave(client, admin, make_dealer, make_region):
    dealer = make_dealer()
    r = client.get(f"/api/v1/dealers/{dealer.id}/scorecard.pdf?wave=2026-Q3&lang=fr", headers=admin)
    assert r.status_code == 422 and "lang" in str(r.json["errors"])
    r = client.get(f"/api/v1/dealers/{dealer.id}/scorecard.pdf?wave=nope", headers=admin)
    assert r.status_code == 404 and set(r.json) == STANDARD_KEYS
