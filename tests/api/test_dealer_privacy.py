"""A dealer must never learn who the shopper was, see an unpublished audit, or learn a planned visit date."""
from __future__ import annotations

import json
from datetime import date

ANSWERS = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 40, "comment": "等了一会儿"},
           "written_quote": {"value": "yes", "attachments": ["b" * 64]}, "pressure": {"value": 4}}


def test_dealer_responses_carry_no_shopper_identity_no_unpublished_audit_no_plan(
        client, make_user, make_dealer, make_wave, make_audit, make_published_audit, auth_for):
    dealer = make_dealer()
    wave = make_wave(code="2026-PRIV")
    shopper = make_user("shopper", display_name="Zhang Mystery", email="zhang.mystery@agency.cn")
    published = make_published_audit(ANSWERS, dealer=dealer, wave=wave, shopper=shopper)
    planned = make_audit(dealer=dealer, wave=wave, shopper=shopper,
                         visit_window_start=date(2026, 9, 21), visit_window_end=date(2026, 9, 23))
    headers = auth_for(make_user("dealer", dealer=dealer))

    bodies = [client.get(path, headers=headers) for path in (
        "/api/v1/audits", f"/api/v1/audits/{published.id}", f"/api/v1/audits/{published.id}/score",
        f"/api/v1/dealers/{dealer.id}/scorecard?wave={wave.code}", "/api/v1/audits?status=assigned")]
    assert [b.status_code for b in bodies] == [200] * 5
    text = json.dumps([b.get_json() for b in bodies], ensure_ascii=False)
    for secret in ("Zhang Mystery", "zhang.mystery", f'"shopper_id": {shopper.id}', "shopper_name",
                   str(planned.id), "2026-09-21", "2026-09-23", "visit_window", "2026-08-01", "2026-08-14",
                   "checkin", "flags"):
        assert secret not in text, secret
    assert [a["id"] for a in bodies[0].get_json()["items"]] == [str(published.id)]
    assert bodies[4].get_json()["items"] == []
    # What the dealer does get: the answers with their comments and the visit date (not the plan).
    audit = bodies[1].get_json()
    assert audit["answers"]["greet_seconds"] == {"value": 40, "comment": "等了一会儿"}
    assert audit["visit"]["started_at"].startswith("2026-08-03")
    assert client.get(f"/api/v1/audits/{planned.id}", headers=headers).status_code == 404
