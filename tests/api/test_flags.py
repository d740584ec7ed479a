"""Quality flags: each rule at its boundary (pure functions), then each flag raised through a real submit."""
from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from auditapp.models import Answer, Audit, AuditEvent
from auditapp.services import flags
from auditapp.services.flags import FlagLimits, SubmissionFacts, comment_digest
from fixtures.files import jpeg_bytes, pdf_bytes, sha256_of, upload

T0 = datetime(2026, 8, 3, 2, 0, tzinfo=timezone.utc)
SHANGHAI = (31.2304, 121.4737)  # the factory dealer's location
R = 6_371_008.8  # mean Earth radius: along a meridian, d metres is d / R radians of latitude


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + math.degrees(metres / R), point[1]


# --- the rules ----------------------------------------------------------------------------------------

def test_haversine_matches_known_distances():
    # One degree of latitude is 2πR/360 ≈ 111.195 km; one degree of longitude at 60° N is half of that.
    assert flags.haversine_m((0, 0), (1, 0)) == pytest.approx(2 * math.pi * R / 360, rel=1e-9)
    assert flags.haversine_m((60, 10), (60, 11)) == pytest.approx(2 * math.pi * R / 360 / 2, rel=1e-3)
    assert flags.haversine_m(SHANGHAI, SHANGHAI) == 0
    # Shanghai People's Square to Beijing Tiananmen: about 1,067 km.
    assert flags.haversine_m(SHANGHAI, (39.9087, 116.3975)) == pytest.approx(1_067_000, rel=0.01)


def test_short_visit_boundary():
    assert flags.short_visit(T0, T0 + timedelta(minutes=20), 20) is None
    flag = flags.short_visit(T0, T0 + timedelta(minutes=19, seconds=59), 20)
    assert flag is not None and flag["code"] == "short_visit"
    assert "19 min 59 s" in flag["message"] and "20 min" in flag["message"]
    assert flag["detail"] == {"minutes": 19.98, "min_minutes": 20}
    assert flags.short_visit(T0, T0, 0) is None  # phone audits have no minimum


def test_far_checkin_boundary():
    assert flags.far_checkin(north_of(SHANGHAI, 49.9), SHANGHAI, 50) is None
    flag = flags.far_checkin(north_of(SHANGHAI, 50.1), SHANGHAI, 50, accuracy_m=12)
    assert flag is not None and flag["code"] == "far_checkin"
    assert flag["detail"]["distance_m"] == 50.1 and flag["detail"]["radius_m"] == 50
    assert "50.1 m" in flag["message"] and "50 m" in flag["message"] and "±12 m" in flag["message"]
    far = flags.far_checkin(north_of(SHANGHAI, 2500), SHANGHAI, 50)
    assert "2500 m" in far["message"]


def test_far_checkin_needs_both_locations():
    assert flags.far_checkin(north_of(SHANGHAI, 5000), None, 50) is None
    assert flags.far_checkin(None, SHANGHAI, 50) is None


def test_late_submission_boundary():
    assert flags.late_submission(T0, T0 + timedelta(hours=24), 24) is None
    flag = flags.late_submission(T0, T0 + timedelta(hours=24, minutes=1), 24)
    assert flag is not None and flag["code"] == "late_submission"
    assert "24 h 1 min" in flag["message"] and "24 h." in flag["message"]
    assert flag["detail"]["hours"] == pytest.approx(24.02, abs=0.01)


@pytest.mark.parametrize("sign, direction", [(1, "ahead of"), (-1, "behind")])
def test_clock_skew_boundary(sign, direction):
    assert flags.clock_skew(T0 + sign * timedelta(minutes=10), T0, 10) is None
    flag = flags.clock_skew(T0 + sign * timedelta(minutes=10, seconds=1), T0, 10)
    assert flag is not None and flag["code"] == "clock_skew"
    assert f"10 min 1 s {direction}" in flag["message"]
    assert flag["detail"]["skew_minutes"] == pytest.approx(sign * (10 + 1 / 60), abs=0.01)


def test_comments_are_compared_after_normalising_whitespace_and_from_15_characters():
    assert flags.normalise_comment("Nobody   greeted.\n") == "Nobody greeted."
    assert flags.normalise_comment("  Nobody greeted  ") is None  # 14 characters
    assert flags.normalise_comment("销售顾问全程在打电话，\u3000没有理会我们。") == "销售顾问全程在打电话， 没有理会我们。"
    assert flags.normalise_comment(None) is None


def test_duplicate_and_identical_flags_name_the_other_audits():
    photo = flags.duplicate_photos({"ab" * 32: (["card_photo"], ["audit-2", "audit-1"])})
    assert photo["code"] == "duplicate_photo"
    assert photo["detail"] == {"photos": [{"sha256": "ab" * 32, "items": ["card_photo"],
                                           "other_audits": ["audit-1", "audit-2"]}]}
    assert "audit-1" in photo["message"] and "card_photo" in photo["message"]
    comment = flags.identical_comments({"pressure": ["audit-3"]})
    assert comment["code"] == "identical_comment" and comment["detail"]["comments"] == [
        {"item": "pressure", "other_audits": ["audit-3"]}]
    assert flags.duplicate_photos({}) is None and flags.identical_comments({}) is None


def test_a_clean_submission_has_no_flags():
    facts = SubmissionFacts(visit_started_at=T0, visit_ended_at=T0 + timedelta(minutes=35), min_visit_minutes=20,
                            checkin=north_of(SHANGHAI, 10), checkin_accuracy_m=5, dealer_location=SHANGHAI,
                            received_at=T0 + timedelta(hours=2), first_submitted_at=T0 + timedelta(hours=2),
                            device_time=T0 + timedelta(hours=2, minutes=1))
    assert flags.compute_flags(facts, FlagLimits(50, 24, 10)) == []


# --- through a submit ---------------------------------------------------------------------------------

def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
def qa(make_user, auth_for):
    return auth_for(make_user("qa"))


def visit(*, minutes: float = 30, ended_ago: timedelta = timedelta(minutes=5),
          checkin: tuple[float, float] = SHANGHAI, device_offset: timedelta = timedelta()) -> dict[str, Any]:
    ended = now() - ended_ago
    return {"started_at": (ended - timedelta(minutes=minutes)).isoformat(), "ended_at": ended.isoformat(),
            "checkin": {"latitude": checkin[0], "longitude": checkin[1], "accuracy_m": 5},
            "device_time": (now() + device_offset).isoformat()}


def submit(client, headers, audit, *, visit_proof: dict[str, Any] | None = None, photo: bytes | None = None,
           comment: str | None = None) -> list[dict[str, Any]]:
    """Submit a complete audit and return its flags as QA sees them; the shopper never sees them."""
    photo = photo or jpeg_bytes()
    upload(client, headers, audit.id, photo)
    answers = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 20},
               "written_quote": {"value": "yes", "attachments": [sha256_of(photo)]},
               "pressure": {"value": 4, **({"comment": comment} if comment else {})}}
    r = client.post(f"/api/v1/audits/{audit.id}/submit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                    json={"answers": answers, "visit": visit_proof or visit()})
    assert r.status_code == 200, r.json
    assert "flags" not in r.json
    return r.json


def flags_of(client, qa, audit) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/audits/{audit.id}", headers=qa).json["flags"]


def codes(found: list[dict[str, Any]]) -> list[str]:
    return [f["code"] for f in found]


def test_a_plain_submission_is_not_flagged(client, headers, qa, make_audit, shopper):
    audit = make_audit(shopper=shopper)
    submit(client, headers, audit)
    assert flags_of(client, qa, audit) == []


@pytest.mark.parametrize("minutes, flagged", [(20, False), (19.5, True)])
def test_short_visit_against_the_checklist_minimum(client, headers, qa, make_audit, shopper, minutes, flagged):
    audit = make_audit(shopper=shopper)  # the mini checklist asks for at least 20 minutes
    submit(client, headers, audit, visit_proof=visit(minutes=minutes))
    found = flags_of(client, qa, audit)
    assert codes(found) == (["short_visit"] if flagged else [])
    if flagged:
        assert found[0]["detail"] == {"minutes": 19.5, "min_minutes": 20}
        assert "19 min 30 s" in found[0]["message"]


@pytest.mark.parametrize("metres, flagged", [(49.9, False), (50.1, True), (800, True)])
def test_far_checkin_from_the_dealer(client, headers, qa, make_audit, shopper, metres, flagged):
    audit = make_audit(shopper=shopper)
    submit(client, headers, audit, visit_proof=visit(checkin=north_of(SHANGHAI, metres)))
    found = flags_of(client, qa, audit)
    assert codes(found) == (["far_checkin"] if flagged else [])
    if flagged:
        assert found[0]["detail"]["distance_m"] == pytest.approx(metres, abs=0.1)


def test_a_dealer_without_coordinates_is_not_checked(client, headers, qa, make_audit, make_dealer, shopper):
    audit = make_audit(shopper=shopper, dealer=make_dealer(latitude=None, longitude=None))
    submit(client, headers, audit, visit_proof=visit(checkin=north_of(SHANGHAI, 5000)))
    assert flags_of(client, qa, audit) == []


@pytest.mark.parametrize("ended_ago, flagged", [(timedelta(hours=23, minutes=58), False),
                                                (timedelta(hours=24, minutes=2), True)])
def test_late_submission(client, headers, qa, make_audit, shopper, ended_ago, flagged):
    audit = make_audit(shopper=shopper)
    submit(client, headers, audit, visit_proof=visit(ended_ago=ended_ago))
    assert codes(flags_of(client, qa, audit)) == (["late_submission"] if flagged else [])


def test_a_resubmission_after_a_return_is_late_only_if_the_first_submission_was(client, headers, qa, make_audit,
                                                                                shopper, db_session):
    audit = make_audit(shopper=shopper, status="returned")
    # First submitted an hour after a visit three days ago; QA returned it since.
    db_session.add(AuditEvent(audit_id=audit.id, actor_id=shopper.id, kind="submitted", at=now() - timedelta(days=3),
                              before={"status": "in_progress"}, after={"status": "submitted"}))
    db_session.commit()
    submit(client, headers, audit, visit_proof=visit(ended_ago=timedelta(days=3, hours=1)))
    assert flags_of(client, qa, audit) == []
    late = make_audit(shopper=shopper)
    submit(client, headers, late, visit_proof=visit(ended_ago=timedelta(days=3, hours=1)))
    assert codes(flags_of(client, qa, late)) == ["late_submission"]


@pytest.mark.parametrize("offset, flagged", [(timedelta(minutes=9), False), (timedelta(minutes=-9), False),
                                             (timedelta(minutes=11), True), (timedelta(minutes=-11), True)])
def test_clock_skew(client, headers, qa, make_audit, shopper, offset, flagged):
    audit = make_audit(shopper=shopper)
    submit(client, headers, audit, visit_proof=visit(device_offset=offset))
    assert codes(flags_of(client, qa, audit)) == (["clock_skew"] if flagged else [])


def test_a_photo_that_appears_in_another_audit(client, headers, qa, make_audit, make_user, auth_for, shopper):
    photo = jpeg_bytes()
    elsewhere_shopper = make_user("shopper")
    elsewhere = make_audit(shopper=elsewhere_shopper)
    assert upload(client, auth_for(elsewhere_shopper), elsewhere.id, photo).status_code == 201
    audit = make_audit(shopper=shopper)
    submit(client, headers, audit, photo=photo)
    [flag] = flags_of(client, qa, audit)
    assert flag["code"] == "duplicate_photo"
    assert flag["detail"]["photos"] == [{"sha256": sha256_of(photo), "items": ["written_quote"],
                                         "other_audits": [str(elsewhere.id)]}]
    assert str(elsewhere.id) in flag["message"]


def test_a_photo_only_this_audit_has_is_not_flagged_nor_a_dealers_copy(client, headers, qa, make_audit, make_user,
                                                                        auth_for, shopper, db_session):
    photo = pdf_bytes()
    published = make_audit(shopper=make_user("shopper"), status="published")
    dealer_user = make_user("dealer", dealer=db_session.get(Audit, published.id).dealer)
    # The dealer's dispute evidence on another audit may well be a copy of a shopper's file.
    assert upload(client, auth_for(dealer_user), published.id, photo).status_code == 201
    audit = make_audit(shopper=shopper)
    submit(client, headers, audit, photo=photo)
    assert flags_of(client, qa, audit) == []


@pytest.mark.parametrize("other, ours, flagged", [
    ("Nobody   greeted.", "Nobody greeted.", True),                       # 15 characters, spacing differs
    ("Nobody greeted", "Nobody greeted", False),                         # 14: too short to mean anything
    ("The salesman was on the phone\nthe whole time.", "The salesman was on the phone the whole time.", True),
    ("销售顾问全程在打电话，\u3000没有理会我们。", "销售顾问全程在打电话， 没有理会我们。", True),
    ("The salesman was on the phone the whole time.", "The salesman was on the phone the whole time!", False),
    ("Thesalesman was on the phone.", "The salesman was on the phone.", False),  # a word boundary differs
])
def test_identical_comments_across_audits(client, headers, qa, make_audit, make_user, shopper, db_session,
                                          other, ours, flagged):
    elsewhere = make_audit(shopper=make_user("shopper"))
    db_session.add(Answer(audit_id=elsewhere.id, item_key="greeted", value="no", comment=other,
                          comment_digest=comment_digest(other)))  # as a submit stores it
    db_session.commit()
    audit = make_audit(shopper=shopper)
    submit(client, headers, audit, comment=ours)
    found = flags_of(client, qa, audit)
    assert codes(found) == (["identical_comment"] if flagged else [])
    if flagged:
        assert found[0]["detail"]["comments"] == [{"item": "pressure", "other_audits": [str(elsewhere.id)]}]


def test_several_flags_at_once_and_the_event_lists_them(client, headers, qa, make_audit, shopper, db_session):
    audit = make_audit(shopper=shopper)
    submit(client, headers, audit, visit_proof=visit(minutes=5, checkin=north_of(SHANGHAI, 300),
                                                     device_offset=timedelta(hours=1)))
    assert codes(flags_of(client, qa, audit)) == ["short_visit", "far_checkin", "clock_skew"]
    event = db_session.query(AuditEvent).filter_by(audit_id=audit.id, kind="submitted").one()
    assert event.after["flags"] == ["short_visit", "far_checkin", "clock_skew"]


def test_gathering_the_facts_takes_a_fixed_number_of_queries(make_audit, make_user, db_session, count_queries):
    audit = make_audit(shopper=make_user("shopper"))
    audit.dealer, audit.checklist_version  # loaded as a submit has them
    proof = {"started_at": T0, "ended_at": T0 + timedelta(minutes=30), "device_time": T0,
             "checkin": {"latitude": SHANGHAI[0], "longitude": SHANGHAI[1]}}

    def queries(n: int) -> int:
        answers = {f"item{i}": {"value": "yes", "comment": f"A long enough comment number {i}",
                                "attachments": [sha256_of(str(i).encode()), sha256_of(b"x" + str(i).encode())]}
                   for i in range(n)}
        with count_queries() as counter:
            flags.gather_facts(db_session, audit, answers, proof, T0)
        return counter.count

    assert queries(1) == queries(60) <= 3
