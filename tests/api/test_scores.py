"""Reading scores: audit score, dealer scorecard and region leaderboard, with hand-computed numbers."""
from __future__ import annotations

import math

import pytest

HASH = "a" * 64

# The mini checklist: greeting (W=2): greeted w2 (section knock-out), greet_seconds w1 bands 30→1, 60→0.5, else 0;
# negotiation (W=1): written_quote w3, pressure (scale 1..5) w1.
PERFECT = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 10},
           "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 5}}
# greet 45 s → 0.5: greeting = 100·(2·1 + 1·0.5)/3 = 83.333…; pressure 3 → 0.5: negotiation = 100·(3 + 0.5)/4 = 87.5
# overall = (2·83.333… + 1·87.5)/3 = 84.7222…
MIXED = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 45},
         "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 3}}
# not greeted: greet_seconds hidden; greeting raw = 100·0/2 = 0 (and knocked out anyway);
# no written quote: negotiation = 100·(0 + 1)/4 = 25; overall = (2·0 + 25)/3 = 8.333…
POOR = {"greeted": {"value": "no"}, "written_quote": {"value": "no"}, "pressure": {"value": 5}}


@pytest.fixture
def program(make_region, make_dealer, make_wave, make_checklist_version, make_published_audit, make_user):
    north, south = make_region(), make_region()
    a, b, c = make_dealer(region=north), make_dealer(region=north), make_dealer(region=south)
    lonely = make_dealer(region=north)
    wave = make_wave(code="2026-Q3")
    version = make_checklist_version()
    for dealer, answers in ((a, PERFECT), (a, MIXED), (b, POOR), (b, MIXED), (c, MIXED), (c, MIXED),
                            (lonely, PERFECT)):
        make_published_audit(answers, dealer=dealer, wave=wave, checklist_version=version)
    return {"north": north, "south": south, "a": a, "b": b, "c": c, "lonely": lonely, "wave": wave}


def test_audit_score_for_qa(client, program, make_user, auth_for, make_published_audit):
    audit = make_published_audit(MIXED, dealer=program["a"], wave=program["wave"])
    r = client.get(f"/api/v1/audits/{audit.id}/score", headers=auth_for(make_user("qa")))
    assert r.status_code == 200
    assert math.isclose(r.json["overall"], (2 * 250 / 3 + 87.5) / 3)
    assert r.json["version"] == 1 and r.json["revised"] is False
    # points lost: greet_seconds g = 2/3·1/3 = 2/9, r = .5 → 100·2/9·.5 = 11.111…; pressure g = 1/3·1/4, r=.5 → 4.1666…
    assert math.isclose(r.json["points_lost"]["greet_seconds"], 100 / 9)
    assert math.isclose(r.json["points_lost"]["pressure"], 100 / 24)


def with_name_given() -> dict:
    """The mini checklist with a second greeting item (name_given, w1), so a greeting knock-out costs something:
    with greeted alone, a failed greeting knock-out leaves a raw greeting of 0 and costs 0."""
    from fixtures.factories import small_checklist_document

    document = small_checklist_document(key="mini_named")
    document["sections"][0]["items"].append({"key": "name_given", "text": {"zh": "自我介绍", "en": "Gave name"},
                                             "type": "yes_no", "dimension": "empathy", "weight": 1})
    return document


# POOR plus name_given yes: greeting raw = 100·(2·0 + 1·1)/3 = 33.333… (greet_seconds hidden), negotiation 25;
# w = 2/3, 1/3: overall_raw = 22.222… + 8.333… = 30.555…; greeting knocked out: overall = 8.333…
# knock-out cost of greeted = w·S_raw = 2/3 · 100/3 = 200/9 = 22.222…
# points lost: greeted g = 2/3·2/3 → 44.444…, written_quote g = 1/3·3/4 → 25 (Σ 69.444…)
# overall + Σ points lost + knock-out cost = 8.333… + 69.444… + 22.222… = 100
NAMED_POOR = {**POOR, "name_given": {"value": "yes"}}


def test_audit_score_carries_the_knockout_cost(client, make_user, auth_for, make_published_audit,
                                               make_checklist_version):
    audit = make_published_audit(NAMED_POOR, checklist_version=make_checklist_version(with_name_given()))
    r = client.get(f"/api/v1/audits/{audit.id}/score", headers=auth_for(make_user("qa")))
    assert r.status_code == 200, r.json
    score = r.json
    assert math.isclose(score["overall"], 25 / 3) and math.isclose(score["overall_raw"], 275 / 9)
    assert score["knockouts"] == [{"item": "greeted", "scope": "section", "section": "greeting"}]
    assert list(score["knockout_cost"]) == ["greeted"]
    assert math.isclose(score["knockout_cost"]["greeted"], 200 / 9)
    assert math.isclose(score["points_lost"]["greeted"], 400 / 9)
    assert math.isclose(score["points_lost"]["written_quote"], 25)
    assert math.isclose(score["overall"] + sum(score["points_lost"].values()) + score["knockout_cost"]["greeted"], 100)
    detail = client.get(f"/api/v1/audits/{audit.id}", headers=auth_for(make_user("qa"))).json
    assert detail["score"]["knockout_cost"] == score["knockout_cost"]


def test_a_score_version_stored_before_knockout_cost_is_served_with_it(client, db_session, make_user, auth_for,
                                                                      make_published_audit, make_checklist_version):
    from auditapp.models import ScoreVersion

    audit = make_published_audit(NAMED_POOR, checklist_version=make_checklist_version(with_name_given()))
    first = db_session.query(ScoreVersion).filter_by(audit_id=audit.id).one()
    # score versions are append-only: an older version is a row whose score lacks the key
    old = {k: v for k, v in first.score.items() if k != "knockout_cost"}
    db_session.add(ScoreVersion(audit_id=audit.id, version=2, overall=first.overall, overall_raw=first.overall_raw,
                                score=old, overrides={}, reason="stored before knockout_cost"))
    db_session.commit()
    r = client.get(f"/api/v1/audits/{audit.id}/score", headers=auth_for(make_user("qa")))
    assert r.status_code == 200, r.json
    assert r.json["version"] == 2
    assert math.isclose(r.json["knockout_cost"]["greeted"], 200 / 9)
    assert r.json["knockout_cost"] == first.score["knockout_cost"]


def test_dealer_scorecard_numbers(client, program, make_user, auth_for):
    dealer_user = make_user("dealer", dealer=program["a"])
    r = client.get(f"/api/v1/dealers/{program['a'].id}/scorecard?wave=2026-Q3", headers=auth_for(dealer_user))
    assert r.status_code == 200, r.json
    card = r.json
    mixed = (2 * 250 / 3 + 87.5) / 3
    assert math.isclose(card["score"]["mean"], (100 + mixed) / 2)
    assert card["score"]["n"] == 2
    # Pooled within-dealer SD of the wave (a: 100, mixed; b: poor, mixed; c: mixed, mixed; lonely has n = 1):
    # s_p² = ((100 − mixed)²/2 + (mixed − poor)²/2 + 0) / (6 − 3), df = 3, t(0.95, 3) = 2.353363434801823;
    # half-width t·s_p/√2 (a's own SD alone would give t(0.95, 1) = 6.31 times its own SD)
    poor = 25 / 3
    s_p = math.sqrt(((100 - mixed) ** 2 / 2 + (mixed - poor) ** 2 / 2) / 3)
    half = 2.353363434801823 * s_p / math.sqrt(2)
    assert math.isclose(card["score"]["lo"], card["score"]["mean"] - half, rel_tol=1e-9)
    assert card["score"]["hi"] == 100.0  # clipped
    assert card["score"]["spread"]["df"] == 3 and math.isclose(card["score"]["spread"]["sd"], s_p, rel_tol=1e-12)
    assert card["score"]["printed"] == round((100 + mixed) / 2, 1)
    # region north: dealers a (ranked), b (ranked), lonely (1 audit → insufficient, but its mean still counts
    # in the region mean: each dealer once)
    b_mean = ((2 * 0 + 25) / 3 + mixed) / 2
    assert math.isclose(card["region"]["mean"], ((100 + mixed) / 2 + b_mean + 100) / 3)
    assert card["rank"]["rank"] == 1 and card["rank"]["of"] == 2
    assert "shopper" not in str(card).lower()
    gaps = card["gaps"]
    assert [g["item"] for g in gaps] == ["greet_seconds", "pressure"]
    assert gaps[0]["failed"] == 1 and gaps[0]["n"] == 2
    assert math.isclose(gaps[0]["mean_points_lost"], (0 + 100 / 9) / 2)


def test_leaderboard_lists_small_samples_apart(client, program, make_user, auth_for):
    manager = make_user("manager", regions=[program["north"]])
    r = client.get(f"/api/v1/regions/{program['north'].id}/leaderboard?wave=2026-Q3", headers=auth_for(manager))
    assert r.status_code == 200, r.json
    assert [row["dealer"]["code"] for row in r.json["ranked"]] == [program["a"].code, program["b"].code]
    assert [row["dealer"]["code"] for row in r.json["insufficient_sample"]] == [program["lonely"].code]
    # b failed the greeting knock-out once: it leads the region's gaps.
    assert r.json["gaps"][0]["item"] == "greeted" and r.json["gaps"][0]["knockout"] is True
    assert r.json["gaps"][0]["drivers"][0]["dealer"]["code"] == program["b"].code


def test_manager_of_another_region_gets_404(client, program, make_user, auth_for):
    manager = make_user("manager", regions=[program["south"]])
    r = client.get(f"/api/v1/regions/{program['north'].id}/leaderboard?wave=2026-Q3", headers=auth_for(manager))
    assert r.status_code == 404
    r = client.get(f"/api/v1/dealers/{program['a'].id}/scorecard?wave=2026-Q3", headers=auth_for(manager))
    assert r.status_code == 404


def test_unknown_wave_is_404(client, program, make_user, auth_for):
    r = client.get(f"/api/v1/dealers/{program['a'].id}/scorecard?wave=1999", headers=auth_for(make_user("qa")))
    assert r.status_code == 404 and r.json["message"] == "no wave '1999'"


def test_scorecard_and_leaderboard_queries_do_not_grow(client, make_region, make_dealer, make_wave,
                                                       make_checklist_version, make_published_audit,
                                                       make_user, auth_for, count_queries):
    region = make_region()
    wave = make_wave(code="2026-QX")
    version = make_checklist_version()
    qa = auth_for(make_user("qa"))

    def measure(dealers: int, audits_each: int) -> tuple[int, int]:
        made = [make_dealer(region=region) for _ in range(dealers)]
        for dealer in made:
            for _ in range(audits_each):
                make_published_audit(MIXED, dealer=dealer, wave=wave, checklist_version=version)
        with count_queries() as card:
            assert client.get(f"/api/v1/dealers/{made[0].id}/scorecard?wave={wave.code}", headers=qa).status_code == 200
        with count_queries() as board:
            board_response = client.get(f"/api/v1/regions/{region.id}/leaderboard?wave={wave.code}", headers=qa)
            assert board_response.status_code == 200
        return card.count, board.count

    small = measure(2, 2)
    large = measure(12, 4)
    assert small == large


def test_visit_dates_are_the_dealers_local_dates(client, make_dealer, make_wave, make_published_audit, make_user,
                                                 auth_for):
    from datetime import datetime, timezone

    dealer = make_dealer()  # Asia/Shanghai, UTC+8
    wave = make_wave(code="2026-TZ")
    # 23:30 UTC on 2 August is 07:30 on 3 August in Shanghai.
    make_published_audit(PERFECT, dealer=dealer, wave=wave, visited=datetime(2026, 8, 2, 23, 30, tzinfo=timezone.utc))
    card = client.get(f"/api/v1/dealers/{dealer.id}/scorecard?wave=2026-TZ", headers=auth_for(make_user("qa"))).json
    assert card["audits"][0]["visited_on"] == "2026-08-03"


def test_scorecard_numbers_visits_by_date_explains_knockouts_and_quotes_shoppers_anonymously(
        client, make_dealer, make_wave, make_checklist_version, make_published_audit, make_user, auth_for):
    from datetime import datetime, timezone

    dealer = make_dealer()  # Asia/Shanghai
    wave = make_wave(code="2026-KO")
    version = make_checklist_version()
    shopper = make_user("shopper")
    # Made in the reverse order of the visits: numbering follows the visit date, not creation or ids.
    poor = {**POOR, "greeted": {"value": "no", "comment": "  Nobody came over;\n I waited at the desk. "}}
    make_published_audit(poor, dealer=dealer, wave=wave, checklist_version=version, shopper=shopper,
                         visited=datetime(2026, 8, 5, 2, 0, tzinfo=timezone.utc))  # Wednesday
    make_published_audit(PERFECT, dealer=dealer, wave=wave, checklist_version=version, shopper=shopper,
                         visited=datetime(2026, 8, 3, 2, 0, tzinfo=timezone.utc))  # Monday
    r = client.get(f"/api/v1/dealers/{dealer.id}/scorecard?wave=2026-KO", headers=auth_for(make_user("qa")))
    assert r.status_code == 200, r.json
    card = r.json
    visits = card["audits"]
    assert [(v["visit_number"], v["visited_on"]) for v in visits] == [(1, "2026-08-03"), (2, "2026-08-05")]
    # POOR: greeting knocked out (its raw score was 0 already, so the knock-out itself cost nothing).
    assert visits[1]["sections"] == {"greeting": 0.0, "negotiation": 25.0}
    assert [(k["item"], k["scope"], k["cost"]) for k in visits[1]["knockouts"]] == [("greeted", "section", 0.0)]
    assert card["knockout_summary"] == [{"item": "greeted", "item_text": {"zh": "有人问候", "en": "Greeted"},
                                         "scope": "section", "points": 0.0, "visit_number": 2}]
    assert {s["key"]: s["knockouts"] for s in card["sections"]} == {"greeting": 1, "negotiation": 0}
    # Filing window: 5 working days after the local publication day (default policy, no holidays).
    assert [v["dispute_deadline"] for v in visits] == ["2026-08-10", "2026-08-12"]
    assert [v["dispute_status"] for v in visits] == ["none", "none"]
    greeted = next(g for g in card["gaps"] if g["item"] == "greeted")
    assert greeted["knockout"] and greeted["observed"] == ["Nobody came over; I waited at the desk."]
    assert (greeted["fully_met"], greeted["partly_met"], greeted["not_met"]) == (1, 0, 1)
    text = str(card)
    assert shopper.email not in text and "shopper" not in text  # neither who visited nor a shopper key
    # n = 2 ≥ MIN_RANKED_AUDITS: ranked in the region and the nation (alone: 1 of 1).
    assert card["rank"]["rank"] == card["nation_rank"]["rank"] == 1


def test_strengths_are_items_fully_met_every_visit_where_the_region_is_weak(
        client, make_region, make_dealer, make_wave, make_checklist_version, make_published_audit, make_user,
        auth_for):
    region = make_region()
    best, poor, mixed, other = (make_dealer(region=region) for _ in range(4))
    wave = make_wave(code="2026-ST")
    version = make_checklist_version()
    for dealer, answers in ((best, PERFECT), (poor, POOR), (mixed, MIXED), (other, MIXED)):
        for _ in range(2):
            make_published_audit(answers, dealer=dealer, wave=wave, checklist_version=version)
    once = make_dealer(region=region)  # one perfect visit: too few to call anything a strength
    make_published_audit(PERFECT, dealer=once, wave=wave, checklist_version=version)
    qa = auth_for(make_user("qa"))
    card = client.get(f"/api/v1/dealers/{best.id}/scorecard?wave=2026-ST", headers=qa).json
    # greet_seconds fully met (10 s) in 3 of the region's 7 scored visits (POOR hides it, MIXED's 45 s is
    # partial): 43% < 50%, so a strength of the dealer that met it every time. written_quote: 7 of 9 met,
    # greeted: 7 of 9, pressure: 5 of 9 (not weak).
    assert [s["item"] for s in card["strengths"]] == ["greet_seconds"]
    strength = card["strengths"][0]
    assert (strength["fully_met"], strength["n"]) == (2, 2)
    assert strength["region"]["fully_met_share"] == pytest.approx(3 / 7)
    for dealer in (mixed, once):
        assert client.get(f"/api/v1/dealers/{dealer.id}/scorecard?wave=2026-ST", headers=qa).json["strengths"] == []
