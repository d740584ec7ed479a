"""GET /api/v1/audits as QA's review queue: filters by shopper and submitted days, sorting, and who may
filter by shopper."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from auditapp.models import AuditFlag

UTC = timezone.utc


@pytest.fixture
def setting(make_region, make_dealer, make_user, make_audit, auth_for, db_session):
    region = make_region()
    dealer = make_dealer(region=region)
    anna, zoe = make_user("shopper", display_name="Anna"), make_user("shopper", display_name="Zoe")
    early = make_audit(dealer=dealer, shopper=zoe, status="submitted",
                       submitted_at=datetime(2026, 8, 3, 1, tzinfo=UTC))
    late = make_audit(dealer=dealer, shopper=anna, status="submitted",
                      submitted_at=datetime(2026, 8, 6, 1, tzinfo=UTC),
                      flags=[{"code": "short_visit"}, {"code": "late_submission"}])
    db_session.add_all([AuditFlag(audit_id=late.id, code="short_visit"),
                        AuditFlag(audit_id=late.id, code="late_submission")])
    db_session.commit()
    return {"early": str(early.id), "late": str(late.id), "anna": anna, "zoe": zoe, "dealer": dealer,
            "qa": auth_for(make_user("qa")), "manager": auth_for(make_user("manager", regions=[region])),
            "dealer_user": auth_for(make_user("dealer", dealer=dealer)), "shopper": auth_for(anna)}


def ids(r) -> list[str]:
    assert r.status_code == 200, r.json
    return [a["id"] for a in r.json["items"]]


def test_qa_sorts_the_queue_by_submission_and_by_flags(client, setting):
    h = setting["qa"]
    assert ids(client.get("/api/v1/audits?status=submitted&sort=submitted&order=desc", headers=h)) == [
        setting["late"], setting["early"]]
    assert ids(client.get("/api/v1/audits?status=submitted&sort=flags&order=desc", headers=h)) == [
        setting["late"], setting["early"]]
    assert ids(client.get("/api/v1/audits?status=submitted&sort=shopper", headers=h)) == [
        setting["late"], setting["early"]]  # Anna before Zoe


def test_qa_filters_by_shopper_and_submitted_days(client, setting):
    h = setting["qa"]
    assert ids(client.get(f"/api/v1/audits?shopper_id={setting['zoe'].id}", headers=h)) == [setting["early"]]
    assert ids(client.get("/api/v1/audits?submitted_from=2026-08-04&submitted_to=2026-08-06", headers=h)) == [
        setting["late"]]
    r = client.get("/api/v1/audits?submitted_from=2026-08-06&submitted_to=2026-08-04", headers=h)
    assert r.status_code == 422 and "submitted_to" in r.json["errors"]["query"]


@pytest.mark.parametrize("who", ["manager", "dealer_user", "shopper"])
def test_only_qa_and_admin_filter_by_shopper(client, setting, who):
    r = client.get(f"/api/v1/audits?shopper_id={setting['anna'].id}", headers=setting[who])
    assert r.status_code == 403 and r.json["error"] == "access.shopper_filter_for_qa"


@pytest.mark.parametrize("query", ["sort=price", "order=sideways", "submitted_from=1999-01-01"])
def test_bad_sorting_and_dates_are_422(client, setting, query):
    assert client.get(f"/api/v1/audits?{query}", headers=setting["qa"]).status_code == 422


def test_the_shopper_still_sees_only_their_own_audits_however_sorted(client, setting):
    assert ids(client.get("/api/v1/audits?sort=flags&order=desc", headers=setting["shopper"])) == [setting["late"]]
