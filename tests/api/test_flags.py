"""Quality flags: each rule at its boundary (pure functions), then each flag raised through a real submit."""
from __future__ import annotations

import math
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from fixtures.files import jpeg_bytes, pdf_bytes, sha256_of, upload

from auditapp.models import Answer, Audit, AuditEvent
from auditapp.services import flags
from auditapp.services.flags import FlagLimits, SubmissionFacts, comment_digest

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


def test_comments_are_compared_on_letters_and_digits_and_from_30_columns():
    # NFKC, case-folded, spacing and punctuation gone: a copy cannot hide behind them.
    assert flags.normalise_comment("The salesman was on the phone,   the WHOLE time!\n") \
        == "thesalesmanwasonthephonethewholetime"
    assert flags.normalise_comment("Consultant was busy with a customer") == "consultantwasbusywithacustomer"  # 30
    assert flags.normalise_comment("Consultant was busy with custmers") is None  # 29 letters
    # A CJK character is two columns: 15 characters are enough, 14 are not.
    assert flags.normalise_comment("销售顾问全程在打电话，\u3000没有理会我们。") == "销售顾问全程在打电话没有理会我们"
    assert flags.normalise_comment("销售顾问全程打电话没理会我们") is None
    assert flags.normalise_comment("ＡＢＣ") is None and flags.normalise_comment(None) is None
    assert flags.text_width("销售ab") == 6


def test_duplicate_and_identical_flags_name_the_other_audits():
    photo = flags.duplicate_photos({"ab" * 32: (["card_photo"], ["audit-2", "audit-1"])})
    assert photo["code"] == "duplicate_photo"
    assert photo["detail"] == {"photos": [{"sha256": "ab" * 32, "items": ["card_photo"],
                                           "other_audits": ["audit-1", "audit-2"]}]}
    assert "audit-1" in photo["message"] and "card_photo" in photo["message"]
    comment = flags.identical_comments({"pressure": (["audit-3"], [])})
    assert comment["code"] == "identical_comment" and comment["detail"]["comments"] == [
        {"item": "pressure", "own_audits": ["audit-3"], "other_shoppers_audits": []}]
    assert flags.duplicate_photos({}) is None and flags.identical_comments({}) is None


def test_every_flag_has_its_message_in_both_languages():
    found = [flags.short_visit(T0, T0, 20), flags.far_checkin(north_of(SHANGHAI, 100), SHANGHAI, 50),
             flags.outside_window(T0, T0, (date(2026, 8, 4), date(2026, 8, 5)), "Asia/Shanghai"),
             flags.late_submission(T0, T0 + timedelta(days=2), 24), flags.clock_skew(T0 + timedelta(hours=1), T0, 10),
             flags.duplicate_photos({"ab" * 32: (["x"], ["a"])}),
             flags.photo_time_mismatch(T0, T0, {"ab" * 32: (["x"], T0 + timedelta(days=1))}),
             flags.identical_comments({"x": ([], ["a"])}),
             flags.impossible_travel(T0, T0, SHANGHAI, [flags.Visit("a", T0, T0, north_of(SHANGHAI, 50_000))])]
    assert [f["code"] for f in found] == list(flags.FLAG_CODES)
    for flag in found:
        assert set(flag["messages"]) == {"zh", "en"} and flag["message"] == flag["messages"]["en"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in flag["messages"]["zh"]), flag["code"]


def test_outside_window_counts_in_the_dealers_local_dates():
    window = (date(2026, 8, 1), date(2026, 8, 14))
    # 2026-07-31 16:30 UTC is already 1 August 00:30 in Shanghai: inside.
    assert flags.outside_window(datetime(2026, 7, 31, 16, 30, tzinfo=timezone.utc),
                                datetime(2026, 7, 31, 17, 10, tzinfo=timezone.utc), window, "Asia/Shanghai") is None
    early = flags.outside_window(datetime(2026, 7, 31, 15, 30, tzinfo=timezone.utc),
                                 datetime(2026, 7, 31, 16, 10, tzinfo=timezone.utc), window, "Asia/Shanghai")
    assert early["code"] == "outside_window" and early["detail"]["visit_date"] == "2026-07-31"
    # 14 August 23:30 in Shanghai is inside; a visit running into 15 August is not.
    assert flags.outside_window(datetime(2026, 8, 14, 15, 0, tzinfo=timezone.utc),
                                datetime(2026, 8, 14, 15, 30, tzinfo=timezone.utc), window, "Asia/Shanghai") is None
    assert flags.outside_window(datetime(2026, 8, 14, 15, 30, tzinfo=timezone.utc),
                                datetime(2026, 8, 14, 16, 5, tzinfo=timezone.utc), window, "Asia/Shanghai")


def test_photo_time_mismatch_boundary():
    start, end = T0, T0 + timedelta(minutes=40)
    inside = {"a" * 64: (["x"], start - timedelta(minutes=30)), "b" * 64: (["y"], end + timedelta(minutes=30))}
    assert flags.photo_time_mismatch(start, end, inside) is None
    flag = flags.photo_time_mismatch(start, end, {"c" * 64: (["x"], start - timedelta(minutes=31)),
                                                  "d" * 64: (["y"], end + timedelta(days=1))})
    assert flag["code"] == "photo_time_mismatch"
    assert [p["minutes_outside"] for p in flag["detail"]["photos"]] == [31, 1440]


def test_impossible_travel_against_the_visits_before_and_after():
    end = T0 + timedelta(minutes=40)
    # 100 km at 200 km/h takes 30 min: a 30-minute gap is possible, 29 minutes is not.
    before_ok = flags.Visit("before", T0 - timedelta(hours=2), T0 - timedelta(minutes=30), north_of(SHANGHAI, 100_000))
    assert flags.impossible_travel(T0, end, SHANGHAI, [before_ok]) is None
    before = flags.Visit("before", T0 - timedelta(hours=2), T0 - timedelta(minutes=29), north_of(SHANGHAI, 100_000))
    flag = flags.impossible_travel(T0, end, SHANGHAI, [before])
    assert flag["code"] == "impossible_travel"
    assert flag["detail"]["legs"] == [{"other_audit": "before", "distance_km": 100.0, "minutes_between": 29.0,
                                       "minutes_needed": 30.0}]
    # Overlapping visits 2 km apart; the next visit is what counts, not one two visits away.
    after = flags.Visit("after", end - timedelta(minutes=5), end + timedelta(minutes=30), north_of(SHANGHAI, 2_000))
    later = flags.Visit("later", end + timedelta(hours=5), end + timedelta(hours=6), north_of(SHANGHAI, 900_000))
    legs = flags.impossible_travel(T0, end, SHANGHAI, [after, later])["detail"]["legs"]
    assert [leg["other_audit"] for leg in legs] == ["after"]
    # Within the same kilometre (the same mall, GPS noise) nothing is compared.
    near = flags.Visit("near", T0 - timedelta(minutes=10), T0 - timedelta(minutes=1), north_of(SHANGHAI, 900))
    assert flags.impossible_travel(T0, end, SHANGHAI, [near]) is None


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


@pytest.fixture
def make_audit(make_audit):
    """Audits assigned for this week: the submits below visit now, inside the window unless a test says not."""
    today = now().date()

    def make(**fields: Any):
        return make_audit(**{"visit_window_start": today - timedelta(days=7),
                             "visit_window_end": today + timedelta(days=7), **fields})
    return make


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


LONG = ("The sales consultant answered two phone calls during the needs analysis and never asked about "
        "my budget or how I would use the car.")  # 97 letters: long enough to compare across shoppers


@pytest.mark.parametrize("other, ours, same_shopper, flagged", [
    # The shopper's own text again, from 30 columns: spacing, case and punctuation do not hide it.
    ("Nobody greeted us for over ten minutes.", "nobody greeted us for over ten minutes", True, True),
    ("销售顾问全程在打电话，\u3000没有理会我们。", "销售顾问全程在打电话 没有理会我们", True, True),
    ("Very clear and friendly", "Very clear and friendly", True, False),  # 20 letters: a stock phrase
    ("Nobody greeted us for over ten minutes.", "Nobody greeted us for over ten minutes.", False, False),  # another's
    (LONG, LONG.upper(), False, True),  # a long passage another shopper wrote too
    ("Nobody greeted us for over ten minutes.", "Nobody greeted us for over nine minutes.", True, False),
])
def test_repeated_comments(client, headers, qa, make_audit, make_user, shopper, db_session, other, ours,
                           same_shopper, flagged):
    elsewhere = make_audit(shopper=shopper if same_shopper else make_user("shopper"))
    db_session.add(Answer(audit_id=elsewhere.id, item_key="greeted", value="no", comment=other,
                          comment_digest=comment_digest(other)))  # as a submit stores it
    db_session.commit()
    audit = make_audit(shopper=shopper)
    submit(client, headers, audit, comment=ours)
    found = flags_of(client, qa, audit)
    assert codes(found) == (["identical_comment"] if flagged else [])
    if flagged:
        own, others = ([str(elsewhere.id)], []) if same_shopper else ([], [str(elsewhere.id)])
        assert found[0]["detail"]["comments"] == [{"item": "pressure", "own_audits": own,
                                                   "other_shoppers_audits": others}]


def test_several_flags_at_once_and_the_event_lists_them(client, headers, qa, make_audit, shopper, db_session):
    audit = make_audit(shopper=shopper)
    submit(client, headers, audit, visit_proof=visit(minutes=5, checkin=north_of(SHANGHAI, 300),
                                                     device_offset=timedelta(hours=1)))
    assert codes(flags_of(client, qa, audit)) == ["short_visit", "far_checkin", "clock_skew"]
    event = db_session.query(AuditEvent).filter_by(audit_id=audit.id, kind="submitted").one()
    assert event.after["flags"] == ["short_visit", "far_checkin", "clock_skew"]


def test_gathering_the_facts_takes_a_fixed_number_of_queries(make_audit, make_user, db_session, count_queries):
    audit = make_audit(shopper=make_user("shopper"))
    audit.dealer, audit.checklist_version  # noqa: B018 -- loaded as a submit has them
    proof = {"started_at": T0, "ended_at": T0 + timedelta(minutes=30), "device_time": T0,
             "checkin": {"latitude": SHANGHAI[0], "longitude": SHANGHAI[1]}}

    def queries(n: int) -> int:
        answers = {f"item{i}": {"value": "yes", "comment": f"A comment long enough to be compared, number {i}",
                                "attachments": [sha256_of(str(i).encode()), sha256_of(b"x" + str(i).encode())]}
                   for i in range(n)}
        with count_queries() as counter:
            flags.gather_facts(db_session, audit, answers, proof, T0)
        return counter.count

    assert queries(1) == queries(60) <= 5


# --- channel, window, photo times, travel, QA's filter ----------------------------------------------------

@pytest.fixture
def phone_checklist(make_checklist_version):
    from fixtures.factories import small_checklist_document

    return make_checklist_version({**small_checklist_document("mini_phone"), "channel": "phone"})


def test_a_phone_audit_needs_no_check_in_and_is_never_far(client, headers, qa, make_audit, shopper, phone_checklist,
                                                         db_session):
    audit = make_audit(shopper=shopper, checklist_version=phone_checklist)
    proof = visit()
    del proof["checkin"]
    submit(client, headers, audit, visit_proof=proof)
    assert flags_of(client, qa, audit) == []
    # A check-in the phone sent anyway is neither checked nor stored: a phone audit has no place.
    other = make_audit(shopper=shopper, checklist_version=phone_checklist)
    submit(client, headers, other, visit_proof=visit(checkin=north_of(SHANGHAI, 5000)))
    assert flags_of(client, qa, other) == []
    assert db_session.get(Audit, other.id).checkin_latitude is None


def test_a_visit_without_its_check_in_is_422_and_stays_unsubmitted(client, headers, make_audit, shopper,
                                                                    db_session):
    audit = make_audit(shopper=shopper)
    upload(client, headers, audit.id, photo := jpeg_bytes())
    proof = visit()
    del proof["checkin"]
    answers = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 20},
               "written_quote": {"value": "yes", "attachments": [sha256_of(photo)]}, "pressure": {"value": 4}}
    r = client.post(f"/api/v1/audits/{audit.id}/submit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                    json={"answers": answers, "visit": proof})
    assert r.status_code == 422 and "checkin" in r.json["errors"]["visit"]
    db_session.expire_all()
    assert db_session.get(Audit, audit.id).status == "assigned"


def test_a_visit_outside_its_window(client, headers, qa, make_audit, shopper):
    today = now().date()
    audit = make_audit(shopper=shopper, visit_window_start=today - timedelta(days=9),
                       visit_window_end=today - timedelta(days=2))
    submit(client, headers, audit)
    [flag] = flags_of(client, qa, audit)
    assert flag["code"] == "outside_window"
    assert flag["detail"]["window_end"] == (today - timedelta(days=2)).isoformat()
    assert "到访" in flag["messages"]["zh"]


def _exif_taken(moment: datetime):
    from PIL import ExifTags, Image

    exif = Image.Exif()
    local = moment.astimezone(timezone(timedelta(hours=8)))
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = local.strftime("%Y:%m:%d %H:%M:%S")
    return exif


@pytest.mark.parametrize("taken_before_start, flagged", [(timedelta(minutes=29), False),
                                                         (timedelta(minutes=31), True), (timedelta(days=3), True)])
def test_a_photo_taken_outside_the_visit(client, headers, qa, make_audit, shopper, taken_before_start, flagged):
    proof = visit(minutes=30, ended_ago=timedelta(minutes=5))
    taken = datetime.fromisoformat(proof["started_at"]) - taken_before_start  # EXIF keeps whole seconds
    audit = make_audit(shopper=shopper)
    submit(client, headers, audit, visit_proof=proof, photo=jpeg_bytes(exif=_exif_taken(taken)))
    found = flags_of(client, qa, audit)
    assert codes(found) == (["photo_time_mismatch"] if flagged else [])
    if flagged:
        assert found[0]["detail"]["photos"][0]["items"] == ["written_quote"]


def test_consecutive_visits_too_far_apart_for_the_time_between(client, headers, qa, make_audit, make_dealer,
                                                               shopper):
    # Beijing, 1,067 km away, visited until 2 hours ago: 1,067 km in under 2 h is over 500 km/h.
    beijing = (39.9087, 116.3975)
    first = make_audit(shopper=shopper, dealer=make_dealer(latitude=beijing[0], longitude=beijing[1]))
    submit(client, headers, first, visit_proof=visit(minutes=40, ended_ago=timedelta(hours=2), checkin=beijing))
    assert flags_of(client, qa, first) == []
    second = make_audit(shopper=shopper)
    submit(client, headers, second, visit_proof=visit(minutes=30, ended_ago=timedelta(minutes=5)))
    [flag] = flags_of(client, qa, second)
    assert flag["code"] == "impossible_travel"
    assert flag["detail"]["legs"][0]["other_audit"] == str(first.id)
    assert flag["detail"]["legs"][0]["distance_km"] == pytest.approx(1067, rel=0.01)


def test_qa_filters_the_list_by_flag_code(client, headers, qa, make_audit, shopper, make_user, auth_for):
    short = make_audit(shopper=shopper)
    submit(client, headers, short, visit_proof=visit(minutes=5))
    clean = make_audit(shopper=shopper)
    submit(client, headers, clean)
    r = client.get("/api/v1/audits?flag=short_visit", headers=qa)
    assert r.status_code == 200 and [a["id"] for a in r.json["items"]] == [str(short.id)] and r.json["total"] == 1
    assert client.get("/api/v1/audits?flag=far_checkin", headers=qa).json["total"] == 0
    bad = client.get("/api/v1/audits?flag=not_a_flag", headers=qa)
    assert bad.status_code == 422 and "flag" in bad.json["errors"]["query"]
    # Flags are the agency's: a shopper (or dealer) may not probe them through the filter.
    assert client.get("/api/v1/audits?flag=short_visit", headers=headers).status_code == 403


def test_a_resubmission_replaces_the_flag_codes(client, headers, qa, make_audit, shopper, db_session):
    from auditapp.models import AuditFlag

    audit = make_audit(shopper=shopper)
    submit(client, headers, audit, visit_proof=visit(minutes=5))
    db_session.get(Audit, audit.id).status = "returned"
    db_session.commit()
    submit(client, headers, audit)
    assert db_session.query(AuditFlag).filter_by(audit_id=audit.id).count() == 0
    assert client.get("/api/v1/audits?flag=short_visit", headers=qa).json["total"] == 0
