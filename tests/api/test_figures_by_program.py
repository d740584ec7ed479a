"""Every figure is per program (checklist key), with hand-computed numbers (DESIGN 2, 4, 8)."""
from __future__ import annotations

import math
from datetime import date, datetime, timezone

import pytest
from fixtures.factories import small_checklist_document
from sqlalchemy import select

from auditapp.models import ReportFile

HASH = "a" * 64
# The mini checklist (see test_scores): PERFECT scores 100; MIXED (2·250/3 + 87.5)/3 = 84.7222…
PERFECT = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 10},
           "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 5}}
MIXED = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 45},
         "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 3}}
# No written quote: negotiation = 100·(0 + 1)/4 = 25, greeting 100: overall (200 + 25)/3 = 75
NO_QUOTE = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 10},
            "written_quote": {"value": "no"}, "pressure": {"value": 5}}
M = (2 * 250 / 3 + 87.5) / 3
T95_3 = 2.353363434801823  # t(0.95, 3) from a printed table


@pytest.fixture
def two_programs(make_region, make_dealer, make_wave, make_checklist_version, make_published_audit, make_user):
    """One dealer with a showroom ("mini") and a phone audit programme in the same wave."""
    region = make_region()
    dealer, other = make_dealer(region=region), make_dealer(region=region)
    wave = make_wave(code="2026-Q3")
    showroom = make_checklist_version()
    phone = make_checklist_version(small_checklist_document(key="phone"))
    for answers in (PERFECT, MIXED):
        make_published_audit(answers, dealer=dealer, wave=wave, checklist_version=showroom)
    for answers in (NO_QUOTE, NO_QUOTE, PERFECT):
        make_published_audit(answers, dealer=dealer, wave=wave, checklist_version=phone)
    make_published_audit(MIXED, dealer=other, wave=wave, checklist_version=showroom)
    make_published_audit(MIXED, dealer=other, wave=wave, checklist_version=showroom)
    return {"region": region, "dealer": dealer, "other": other, "wave": wave}


def test_a_wave_of_two_programs_needs_the_program(client, two_programs, make_user, auth_for):
    qa = auth_for(make_user("qa"))
    dealer, region = two_programs["dealer"], two_programs["region"]
    for path in (f"/api/v1/dealers/{dealer.id}/scorecard?wave=2026-Q3",
                 f"/api/v1/regions/{region.id}/leaderboard?wave=2026-Q3",
                 f"/api/v1/dealers/{dealer.id}/scorecard.pdf?wave=2026-Q3",
                 f"/api/v1/regions/{region.id}/report.pdf?wave=2026-Q3",
                 "/api/v1/disputes/stats?wave=2026-Q3"):
        r = client.get(path, headers=qa)
        assert r.status_code == 422, (path, r.json)
        assert "mini, phone" in r.json["message"] and "program" in r.json["errors"]
    r = client.get(f"/api/v1/dealers/{dealer.id}/scorecard?wave=2026-Q3&program=mystery_call", headers=qa)
    assert r.status_code == 422 and "mystery_call" in r.json["message"] and "mini, phone" in r.json["message"]


def test_each_program_has_its_own_figures(client, two_programs, make_user, auth_for):
    qa = auth_for(make_user("qa"))
    dealer = two_programs["dealer"]
    base = f"/api/v1/dealers/{dealer.id}/scorecard?wave=2026-Q3&program="
    showroom, phone = client.get(base + "mini", headers=qa).json, client.get(base + "phone", headers=qa).json
    assert showroom["program"]["key"] == "mini" and phone["program"]["key"] == "phone"
    assert (showroom["score"]["n"], phone["score"]["n"]) == (2, 3)
    assert math.isclose(showroom["score"]["mean"], (100 + M) / 2)
    assert math.isclose(phone["score"]["mean"], (75 + 75 + 100) / 3)
    # Only the phone visits missed the written quote.
    assert [g["item"] for g in phone["gaps"]] == ["written_quote"]
    assert phone["gaps"][0]["not_met"] == 2 and phone["gaps"][0]["fully_met"] == 1
    assert "written_quote" not in [g["item"] for g in showroom["gaps"]]
    # Pooled spread per program: mini pools this dealer (100, M) with the other (M, M): df = 4 − 2
    assert showroom["score"]["spread"]["df"] == 2
    assert math.isclose(showroom["score"]["spread"]["sd"], math.sqrt((100 - M) ** 2 / 2 / 2))
    # phone: this dealer alone, (75, 75, 100): SS = 2·(25/3)² + (50/3)², df 2
    assert phone["score"]["spread"]["df"] == 2
    assert math.isclose(phone["score"]["spread"]["sd"], math.sqrt((2 * (25 / 3) ** 2 + (50 / 3) ** 2) / 2))
    # On the phone board the other dealer, without a phone audit, is listed apart.
    board = client.get(f"/api/v1/regions/{two_programs['region'].id}/leaderboard?wave=2026-Q3&program=phone",
                       headers=qa).json
    assert [row["dealer"]["code"] for row in board["ranked"]] == [dealer.code]
    assert [row["dealer"]["code"] for row in board["insufficient_sample"]] == [two_programs["other"].code]


def test_reports_are_rendered_and_stored_per_program(client, two_programs, make_user, auth_for, db_session):
    qa = auth_for(make_user("qa"))
    dealer = two_programs["dealer"]
    r = client.get(f"/api/v1/dealers/{dealer.id}/scorecard.pdf?wave=2026-Q3&program=phone&lang=en", headers=qa)
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert "phone" in r.headers["Content-Disposition"]
    stored = db_session.scalars(select(ReportFile)).all()
    assert [(f.kind, f.program, f.dealer_id) for f in stored] == [("dealer_scorecard", "phone", dealer.id)]


@pytest.fixture
def three_waves(make_region, make_dealer, make_wave, make_checklist_version, make_published_audit):
    """Q1 ran only phone; Q2 ran mini (a and c, not b); Q3 runs mini (a, b)."""
    region = make_region()
    a, b, c = make_dealer(region=region), make_dealer(region=region), make_dealer(region=region)
    q1 = make_wave(code="2026-Q1", starts_on=date(2026, 1, 1), ends_on=date(2026, 3, 31))
    q2 = make_wave(code="2026-Q2", starts_on=date(2026, 4, 1), ends_on=date(2026, 6, 30))
    q3 = make_wave(code="2026-Q3")
    mini = make_checklist_version()
    phone = make_checklist_version(small_checklist_document(key="phone"))
    at = {q1: datetime(2026, 2, 3, 2, tzinfo=timezone.utc), q2: datetime(2026, 5, 3, 2, tzinfo=timezone.utc),
          q3: datetime(2026, 8, 3, 2, tzinfo=timezone.utc)}
    for wave, dealer, version, answers in (
            (q1, a, phone, NO_QUOTE), (q1, b, phone, NO_QUOTE),
            (q2, a, mini, PERFECT), (q2, a, mini, MIXED), (q2, c, mini, MIXED),
            (q3, a, mini, MIXED), (q3, a, mini, MIXED), (q3, b, mini, PERFECT), (q3, b, mini, MIXED)):
        make_published_audit(answers, dealer=dealer, wave=wave, checklist_version=version, visited=at[wave])
    return {"region": region, "a": a, "b": b, "c": c}


def test_trends_skip_waves_without_the_program(client, three_waves, make_user, auth_for):
    qa = auth_for(make_user("qa"))
    card_a = client.get(f"/api/v1/dealers/{three_waves['a'].id}/scorecard?wave=2026-Q3", headers=qa).json
    # Q1 ran only the phone program: not in the mini trend
    assert [t["wave"]["code"] for t in card_a["trend"]] == ["2026-Q2", "2026-Q3"]
    assert math.isclose(card_a["trend"][0]["score"], (100 + M) / 2) and card_a["trend"][0]["n"] == 2
    # nation in Q2: dealers a ((100 + M)/2) and c (M), each once
    assert math.isclose(card_a["trend"][0]["nation"], ((100 + M) / 2 + M) / 2)
    # b had no mini audit in Q2: its own trend starts with this wave
    card_b = client.get(f"/api/v1/dealers/{three_waves['b'].id}/scorecard?wave=2026-Q3", headers=qa).json
    assert [t["wave"]["code"] for t in card_b["trend"]] == ["2026-Q3"]
    board = client.get(f"/api/v1/regions/{three_waves['region'].id}/leaderboard?wave=2026-Q3", headers=qa).json
    assert [t["wave"]["code"] for t in board["trend"]] == ["2026-Q2", "2026-Q3"]


def test_movers_need_two_visits_in_both_waves_and_carry_their_interval(client, three_waves, make_user, auth_for):
    qa = auth_for(make_user("qa"))
    board = client.get(f"/api/v1/regions/{three_waves['region'].id}/leaderboard?wave=2026-Q3", headers=qa).json
    a, b = three_waves["a"], three_waves["b"]
    # a: Q2 (100, M) → Q3 (M, M). Pooled over both waves, per dealer and wave with n ≥ 2:
    # a-Q2 SS (100 − M)²/2, a-Q3 0, b-Q3 (100, M) SS (100 − M)²/2; c-Q2 has n = 1. df = 6 − 3 = 3.
    [mover] = board["movers"]
    assert mover["dealer"]["code"] == a.code and mover["previous_wave"] == "2026-Q2"
    s_p = math.sqrt((100 - M) ** 2 / 3)
    exact = M - (100 + M) / 2
    half = T95_3 * s_p * math.sqrt(1 / 2 + 1 / 2)
    assert math.isclose(mover["change_exact"], exact)
    assert math.isclose(mover["change_lo"], exact - half) and math.isclose(mover["change_hi"], exact + half)
    assert (mover["previous_n"], mover["current_n"]) == (2, 2)
    # printed: 92.4 → 84.7, so the change prints −7.7 (the exact −7.639 would print −7.6)
    assert (mover["previous_printed"], mover["current_printed"], mover["change"]) == (92.4, 84.7, -7.7)
    assert mover["verdict"] == "no_clear_change" and mover["clear"] is False
    # b was not visited in Q2: too few visits to compare
    assert board["movers_too_few_visits"] == [
        {"dealer": {"id": b.id, "code": b.code, "name": {"zh": b.name_zh, "en": b.name_en}, "region_id": b.region_id},
         "previous_wave": "2026-Q2", "previous_n": 0, "current_n": 2}]
    card_a = client.get(f"/api/v1/dealers/{a.id}/scorecard?wave=2026-Q3", headers=qa).json
    assert card_a["change"]["change"] == -7.7 and card_a["change_too_few_visits"] is False
    card_b = client.get(f"/api/v1/dealers/{b.id}/scorecard?wave=2026-Q3", headers=qa).json
    assert card_b["change"] is None and card_b["change_too_few_visits"] is True
