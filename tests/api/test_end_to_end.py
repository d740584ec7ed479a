"""One audit through HTTP as the phone and the portals use it, from login to the dealer reading the score."""
from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta, timezone

from fixtures.files import jpeg_bytes, sha256_of, upload


def login(client, email: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['access_token']}"}


def test_an_audit_from_assignment_to_the_dealer_reading_its_score(client, make_user, make_checklist_version):
    from fixtures.factories import PASSWORD

    admin = login(client, make_user("admin").email, PASSWORD)
    version = make_checklist_version()

    # Administration: region, two dealers, a wave, the people.
    region = client.post("/api/v1/regions", headers=admin,
                         json={"code": "E2E", "name_zh": "华东", "name_en": "East"}).json
    dealers = [client.post("/api/v1/dealers", headers=admin, json={
        "region_id": region["id"], "code": code, "name_zh": f"{code}店", "name_en": f"Dealer {code}",
        "latitude": 31.2304, "longitude": 121.4737}).json for code in ("E2E-1", "E2E-2")]
    wave = client.post("/api/v1/waves", headers=admin, json={
        "code": "2026-E2E", "title_zh": "测试期", "title_en": "Test wave",
        "starts_on": "2026-07-01", "ends_on": "2026-12-31"}).json
    people = {}
    for role, extra in (("qa", {}), ("shopper", {}), ("dealer", {"dealer_id": dealers[0]["id"]}),
                        ("other-dealer", {"dealer_id": dealers[1]["id"]})):
        email = f"{role}@e2e.cn"
        r = client.post("/api/v1/users", headers=admin, json={
            "email": email, "password": "e2e password 1", "role": role.replace("other-", ""), **extra})
        assert r.status_code == 201, r.json
        people[role] = {"id": r.json["id"], "headers": login(client, email, "e2e password 1")}
    qa, shopper = people["qa"]["headers"], people["shopper"]["headers"]

    # QA assigns the visit.
    today = datetime.now(timezone.utc).date()
    r = client.post("/api/v1/audits", headers=qa, json={
        "dealer_id": dealers[0]["id"], "wave_id": wave["id"], "shopper_id": people["shopper"]["id"],
        "checklist": {"key": version.key, "version": version.version},
        "visit_window_start": today.isoformat(), "visit_window_end": (today + timedelta(days=7)).isoformat()})
    assert r.status_code == 201
    audit_id = r.json["id"]

    # The phone: its assignments, the checklist, a draft, then a second device with a stale ETag.
    mine = client.get("/api/v1/audits", headers=shopper).json["items"]
    assert [a["id"] for a in mine] == [audit_id]
    definition = client.get(f"/api/v1/checklists/{version.key}/{version.version}", headers=shopper).json
    assert [s["key"] for s in definition["definition"]["sections"]] == ["greeting", "negotiation"]
    first_etag = mine[0]["etag"]
    r = client.put(f"/api/v1/audits/{audit_id}/answers", headers={**shopper, "If-Match": first_etag},
                   json={"answers": {"greeted": {"value": "yes"}}})
    assert r.status_code == 200 and r.headers["ETag"] != first_etag
    stale = client.put(f"/api/v1/audits/{audit_id}/answers", headers={**shopper, "If-Match": first_etag},
                       json={"answers": {"greeted": {"value": "no"}}})
    assert stale.status_code == 412

    # Evidence: the written quote's photo, uploaded twice (the second is a no-op).
    photo = jpeg_bytes()
    assert upload(client, shopper, audit_id, photo).status_code == 201
    assert upload(client, shopper, audit_id, photo).status_code == 200

    # Submit, and the phone retries because the network dropped: the same answer, stored once.
    ended = datetime.now(timezone.utc) - timedelta(minutes=10)
    body = {"answers": {"greeted": {"value": "yes"}, "greet_seconds": {"value": 45},
                        "written_quote": {"value": "yes", "attachments": [sha256_of(photo)]},
                        "pressure": {"value": 3, "comment": "顾问很耐心"}},
            "visit": {"started_at": (ended - timedelta(minutes=35)).isoformat(), "ended_at": ended.isoformat(),
                      "checkin": {"latitude": 31.2305, "longitude": 121.4736, "accuracy_m": 6},
                      "device_time": datetime.now(timezone.utc).isoformat()}}
    key = str(uuid.uuid4())
    first = client.post(f"/api/v1/audits/{audit_id}/submit", headers={**shopper, "Idempotency-Key": key}, json=body)
    again = client.post(f"/api/v1/audits/{audit_id}/submit", headers={**shopper, "Idempotency-Key": key}, json=body)
    assert first.status_code == again.status_code == 200
    assert first.json == again.json and first.json["status"] == "submitted"

    # QA: the queue shows it with no quality flag; approve.
    queue = client.get("/api/v1/audits?status=submitted", headers=qa).json["items"]
    assert [(a["id"], a["flags"]) for a in queue] == [(audit_id, [])]
    r = client.post(f"/api/v1/audits/{audit_id}/approve", headers=qa, json={})
    assert r.status_code == 200 and r.json["status"] == "published"

    # The dealer reads the score: greeting = 100·(2·1 + 1·0.5)/3, negotiation = 100·(3·1 + 1·0.5)/4,
    # overall = (2·greeting + 1·negotiation)/3.
    dealer = people["dealer"]["headers"]
    score = client.get(f"/api/v1/audits/{audit_id}/score", headers=dealer)
    assert score.status_code == 200
    greeting, negotiation = 100 * 2.5 / 3, 100 * 3.5 / 4
    assert math.isclose(score.json["overall"], (2 * greeting + negotiation) / 3)
    assert math.isclose(score.json["sections"]["greeting"], greeting)
    card = client.get(f"/api/v1/dealers/{dealers[0]['id']}/scorecard?wave=2026-E2E", headers=dealer)
    assert card.status_code == 200 and card.json["score"]["n"] == 1
    assert card.json["score"]["insufficient_sample"] is True and card.json["rank"] is None

    # Another dealer learns nothing about it.
    other = people["other-dealer"]["headers"]
    assert client.get(f"/api/v1/audits/{audit_id}", headers=other).status_code == 404
    assert client.get(f"/api/v1/audits/{audit_id}/score", headers=other).status_code == 404
    assert client.get(f"/api/v1/dealers/{dealers[0]['id']}/scorecard?wave=2026-E2E", headers=other).status_code == 404
