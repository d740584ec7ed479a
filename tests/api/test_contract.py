"""The API answers what its OpenAPI document says: statuses the contract check (scripts/contract_check.py)
found undocumented, and response shapes it found outside their schema."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from fixtures.contract import assert_conforms
from fixtures.files import png_bytes, upload

ANSWERS = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 45},
           "written_quote": {"value": "yes"}, "pressure": {"value": 3}}


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").get_json()


@pytest.fixture
def admin(make_user, auth_for):
    return auth_for(make_user("admin"))


def test_every_error_status_is_named_with_the_standard_body_and_none_is_left_to_default(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert "default" not in responses, (method, path)
            assert {"503", "431"} <= set(responses), (method, path)
            if path != "/api/v1/auth/token":
                assert "401" in responses, (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    name = response.get("$ref", "").rsplit("/", 1)[-1]
                    content = document["components"]["responses"][name] if name else response
                    assert content["content"]["application/json"]["schema"] == \
                        {"$ref": "#/components/schemas/Error"}, (method, path, status)


@pytest.mark.parametrize("collection, body", [
    ("regions", {"code": "DUP", "name_zh": "区", "name_en": "Region"}),
    ("waves", {"code": "DUP", "title_zh": "期", "title_en": "Wave", "starts_on": "2026-01-01",
               "ends_on": "2026-03-31"}),
])
def test_a_taken_code_is_a_documented_409(client, document, admin, collection, body):
    first = client.post(f"/api/v1/{collection}", headers=admin, json=body)
    assert first.status_code == 201
    again = client.post(f"/api/v1/{collection}", headers=admin, json=body)
    assert again.status_code == 409
    assert_conforms(document, "POST", f"/api/v1/{collection}", again)
    other = client.post(f"/api/v1/{collection}", headers=admin, json={**body, "code": "OTHER"})
    renamed = client.patch(f"/api/v1/{collection}/{other.json['id']}", headers=admin, json={"code": "DUP"})
    assert renamed.status_code == 409
    assert_conforms(document, "PATCH", f"/api/v1/{collection}/{{ident}}", renamed)


def test_a_taken_dealer_code_and_email_are_documented_409s(client, document, admin, make_dealer, make_region):
    region = make_region()
    dealer = make_dealer(region=region)
    taken = client.post("/api/v1/dealers", headers=admin, json={
        "region_id": region.id, "code": dealer.code, "name_zh": "店", "name_en": "Dealer"})
    assert taken.status_code == 409
    assert_conforms(document, "POST", "/api/v1/dealers", taken)
    body = {"email": "twice@example.com", "password": "a long password", "role": "qa"}
    assert client.post("/api/v1/users", headers=admin, json=body).status_code == 201
    again = client.post("/api/v1/users", headers=admin, json=body)
    assert again.status_code == 409
    assert_conforms(document, "POST", "/api/v1/users", again)


def test_the_rotation_rule_is_a_documented_409(client, document, admin, make_dealer, make_wave, make_user,
                                                 make_checklist_version):
    version = make_checklist_version()
    body = {"dealer_id": make_dealer().id, "wave_id": make_wave().id, "shopper_id": make_user("shopper").id,
            "checklist": {"key": version.key, "version": version.version},
            "visit_window_start": "2026-08-01", "visit_window_end": "2026-08-07"}
    first = client.post("/api/v1/audits", headers=admin, json=body)
    assert first.status_code == 201
    assert_conforms(document, "POST", "/api/v1/audits", first)
    again = client.post("/api/v1/audits", headers=admin, json=body)
    assert again.status_code == 409
    assert_conforms(document, "POST", "/api/v1/audits", again)


def test_evidence_for_a_submitted_audit_is_a_documented_409(client, document, make_audit, make_user, auth_for):
    shopper = make_user("shopper")
    audit = make_audit(shopper=shopper, status="submitted")
    refused = upload(client, auth_for(shopper), audit.id, png_bytes("late"))
    assert refused.status_code == 409
    assert_conforms(document, "POST", "/api/v1/audits/{audit_id}/attachments", refused)


def test_dispute_statistics_of_an_unknown_wave_are_a_documented_404(client, document, admin):
    missing = client.get("/api/v1/disputes/stats?wave=NO-SUCH-WAVE", headers=admin)
    assert missing.status_code == 404
    assert_conforms(document, "GET", "/api/v1/disputes/stats", missing)


def test_figures_with_a_decided_dispute_match_their_schemas(client, document, make_region, make_dealer, make_user,
                                                            make_wave, make_published_audit, auth_for):
    """A rejected dispute has no new value (null): the scorecard's dispute rows must allow it."""
    region = make_region()
    dealer = make_dealer(region=region)
    wave = make_wave(code="2026-CON", starts_on=date(2026, 7, 1), ends_on=date(2026, 9, 30))
    recently = datetime.now(timezone.utc) - timedelta(hours=2)
    audit = make_published_audit(ANSWERS, dealer=dealer, wave=wave, visited=recently)
    make_published_audit(ANSWERS, dealer=dealer, wave=wave, visited=recently)
    dealer_h, qa_h = auth_for(make_user("dealer", dealer=dealer)), auth_for(make_user("qa"))
    filed = client.post(f"/api/v1/audits/{audit.id}/disputes", headers=dealer_h, json={
        "item": "greet_seconds", "claim": "CCTV shows the greeting within 20 seconds.", "requested_outcome": "pass"})
    assert filed.status_code == 201
    assert_conforms(document, "POST", "/api/v1/audits/{audit_id}/disputes", filed)
    decided = client.post(f"/api/v1/disputes/{filed.json['id']}/decision", headers=qa_h,
                          json={"outcome": "rejected", "reason": "The shopper's timer shows 45 s."})
    assert_conforms(document, "POST", "/api/v1/disputes/{dispute_id}/decision", decided)

    scorecard = client.get(f"/api/v1/dealers/{dealer.id}/scorecard?wave=2026-CON", headers=dealer_h)
    assert scorecard.status_code == 200
    assert scorecard.json["disputes"][0]["new_value"] is None
    assert_conforms(document, "GET", "/api/v1/dealers/{dealer_id}/scorecard", scorecard)
    board = client.get(f"/api/v1/regions/{region.id}/leaderboard?wave=2026-CON", headers=qa_h)
    assert board.status_code == 200 and board.json["ranked"][0]["dealer"]["id"] == dealer.id
    assert_conforms(document, "GET", "/api/v1/regions/{region_id}/leaderboard", board)
    stats = client.get("/api/v1/disputes/stats?wave=2026-CON", headers=qa_h)
    assert stats.json["overall"]["disputes"] == 1
    assert_conforms(document, "GET", "/api/v1/disputes/stats", stats)
    for path, template in ((f"/api/v1/audits/{audit.id}", "/api/v1/audits/{audit_id}"),
                           (f"/api/v1/audits/{audit.id}/score", "/api/v1/audits/{audit_id}/score"),
                           (f"/api/v1/disputes/{filed.json['id']}", "/api/v1/disputes/{dispute_id}"),
                           (f"/api/v1/disputes/{filed.json['id']}/events", "/api/v1/disputes/{dispute_id}/events"),
                           ("/api/v1/audits", "/api/v1/audits"), ("/api/v1/me", "/api/v1/me")):
        assert_conforms(document, "GET", template, client.get(path, headers=qa_h))
