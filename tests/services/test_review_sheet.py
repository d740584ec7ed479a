"""The review sheet QA decides on: answers by section with the hidden items marked, notes at items, and
the visit proof in the dealer's local time with the check-in's distance and the device clock's skew."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from auditapp.errors import Forbidden, NotFound
from auditapp.models import Answer
from auditapp.services.review import review_sheet

UTC = timezone.utc
START = datetime(2026, 8, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def audit(make_audit, make_dealer, db_session):
    dealer = make_dealer(latitude=31.2304, longitude=121.4737, timezone="Asia/Shanghai")
    # One thousandth of a degree of latitude north of the dealer: 111.2 m (R = 6371 km: 6371000·π/180/1000).
    audit = make_audit(dealer=dealer, status="submitted", visit_started_at=START,
                       visit_ended_at=START + timedelta(minutes=25), checkin_latitude=31.2314,
                       checkin_longitude=121.4737, checkin_accuracy_m=12.0, submitted_at=START + timedelta(hours=1),
                       device_time_at_submit=START + timedelta(hours=1, minutes=-14),
                       flags=[{"code": "clock_skew", "messages": {"zh": "时钟", "en": "clock"}, "detail": {}}],
                       review_item_notes={"pressure": "explain"})
    db_session.add_all([Answer(audit_id=audit.id, item_key="greeted", value="no", comment="nobody came"),
                        Answer(audit_id=audit.id, item_key="written_quote", value="yes", attachments=["a" * 64]),
                        Answer(audit_id=audit.id, item_key="pressure", na=True)])
    db_session.commit()
    return audit


def test_answers_come_by_section_with_hidden_items_marked_and_notes_at_their_items(db_session, audit, make_user):
    sheet = review_sheet(db_session, make_user("qa"), audit.id)
    assert [s.section.key for s in sheet.sections] == ["greeting", "negotiation"]
    greeting = {line.item.key: line for line in sheet.sections[0].items}
    assert greeting["greeted"].answer == {"value": "no", "comment": "nobody came"}
    assert greeting["greet_seconds"].shown is False  # shown only when greeted is yes
    assert greeting["card_photo"].shown is True and greeting["card_photo"].answer == {}
    negotiation = {line.item.key: line for line in sheet.sections[1].items}
    assert negotiation["pressure"].answer == {"na": True} and negotiation["pressure"].note == "explain"
    assert greeting["greeted"].note is None
    assert [f["code"] for f in sheet.flags] == ["clock_skew"]


def test_the_visit_proof_is_in_local_time_with_distance_and_skew(db_session, audit, make_user):
    proof = review_sheet(db_session, make_user("admin"), audit.id).proof
    assert proof.started_local.isoformat() == "2026-08-03T10:00:00+08:00"
    assert proof.ended_local.isoformat() == "2026-08-03T10:25:00+08:00"
    assert proof.minutes == 25 and proof.min_minutes == 20
    assert math.isclose(proof.distance_m, 6371000 * math.pi / 180 / 1000, rel_tol=1e-3)
    assert proof.accuracy_m == 12.0
    assert proof.received_local.isoformat() == "2026-08-03T11:00:00+08:00"
    assert proof.clock_skew_seconds == -14 * 60  # the phone was 14 minutes behind


def test_without_a_check_in_there_is_no_distance(db_session, make_audit, make_user):
    audit = make_audit(status="submitted", visit_started_at=START, visit_ended_at=START + timedelta(minutes=5))
    proof = review_sheet(db_session, make_user("qa"), audit.id).proof
    assert proof.distance_m is None and proof.clock_skew_seconds is None and proof.minutes == 5


@pytest.mark.parametrize("role", ["manager", "shopper"])
def test_the_sheet_is_for_the_agency_only(db_session, audit, make_user, role):
    with pytest.raises(Forbidden):
        review_sheet(db_session, make_user(role), audit.id)


def test_an_unknown_audit_is_not_found(db_session, make_user):
    import uuid

    with pytest.raises(NotFound):
        review_sheet(db_session, make_user("qa"), uuid.uuid4())
