"""The region leaderboard's first-page figures (DESIGN 4, 9), against hand-computed values.

The mini checklist (tests/fixtures/factories.py): greeting (weight 2) and negotiation (weight 1).
PERFECT scores 100; NO_QUOTE misses the written quote (r = 0): negotiation 100·(0 + 1)/4 = 25, overall
(2·100 + 25)/3 = 75; MIXED (2·250/3 + 87.5)/3 = 84.72… (greeting 250/3: the greeting took 45 s).
"""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from fixtures.factories import small_checklist_document

from auditapp.models import Dispute

HASH = "a" * 64
PERFECT = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 10},
           "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 5}}
NO_QUOTE = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 10},
            "written_quote": {"value": "no"}, "pressure": {"value": 5}}
MIXED = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 45},
         "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 3}}
M = (2 * 250 / 3 + 87.5) / 3


def board(client, headers, region, wave="2026-Q3"):
    r = client.get(f"/api/v1/regions/{region.id}/leaderboard?wave={wave}", headers=headers)
    assert r.status_code == 200, r.json
    return r.json


@pytest.fixture
def qa(make_user, auth_for):
    return auth_for(make_user("qa"))


# --- compliance breaches -------------------------------------------------------------------------------

def test_breaches_list_audit_knockouts_by_dealer_and_local_visit_date(
        client, qa, make_region, make_dealer, make_wave, make_checklist_version, make_published_audit):
    document = small_checklist_document()
    # A missing written quote is a legal matter in this checklist: it zeroes the whole visit.
    document["sections"][1]["items"][0]["critical"] = "audit"
    document["sections"][1]["items"][0]["owner"] = "sales_manager"
    version = make_checklist_version(document)
    region = make_region()
    breaching = make_dealer(region=region, code="BR01", timezone="Asia/Shanghai")
    clean = make_dealer(region=region, code="BR02")
    wave = make_wave(code="2026-Q3")
    # 17:30 UTC on 3 August is already 4 August in Shanghai: the dealer's date is printed.
    make_published_audit(NO_QUOTE, dealer=breaching, wave=wave, checklist_version=version,
                         visited=datetime(2026, 8, 3, 17, 30, tzinfo=timezone.utc))
    make_published_audit(PERFECT, dealer=breaching, wave=wave, checklist_version=version,
                         visited=datetime(2026, 8, 10, 2, 0, tzinfo=timezone.utc))
    make_published_audit(PERFECT, dealer=clean, wave=wave, checklist_version=version)
    data = board(client, qa, region)
    assert len(data["breaches"]) == 1
    breach = data["breaches"][0]
    assert breach["dealer"]["code"] == "BR01" and breach["visited_on"] == "2026-08-04"
    assert breach["item"] == "written_quote" and breach["owner_title"] == {"zh": "销售经理", "en": "Sales manager"}
    # The visit's overall before the knock-out was 75: that is what the knock-out cost.
    assert breach["knockout_cost"] == pytest.approx(75) and breach["knockout_cost_printed"] == 75.0
    # Never the shopper, never an audit id.
    assert not {"audit_id", "id", "shopper", "shopper_id"} & set(breach)
    assert not any(key in str(breach) for key in ("shopper", "audit_id"))
    # The heat map marks the zeroed visit on the breaching dealer's overall.
    rows = {row["dealer"]["code"]: row for row in data["ranked"] + data["insufficient_sample"]}
    assert rows["BR01"]["audit_knockouts"] == 1 and rows["BR02"]["audit_knockouts"] == 0
    # Its gap: the raw part (25 points lost of 100 on one of two visits) and the knock-out part shown apart.
    gap = next(g for g in data["gaps"] if g["item"] == "written_quote")
    assert gap["knockout"] is True
    # The written quote's global weight is 1/3 · 3/4 = 1/4: BR01 loses 25 raw on the first visit, 0 on the
    # second (12.5) and 75/2 = 37.5 to the knock-out; BR02 nothing. The region, a mean over its two dealers:
    # 6.25 raw + 18.75 knock-out = 25. Printed: 6.2 (6.25 rounds to even) and 25.0 − 6.2 = 18.8, so that
    # raw + knock-out adds up on the page.
    assert gap["mean_points_lost"] == pytest.approx(6.25) and gap["mean_knockout_cost"] == pytest.approx(18.75)
    assert (gap["raw_printed"], gap["knockout_printed"], gap["lost_printed"]) == (6.2, 18.8, 25.0)


# --- standard or training issues -------------------------------------------------------------------------

@pytest.mark.parametrize("not_met_at, flagged", [(2, True), (1, False)])
def test_an_item_not_met_at_more_than_half_of_the_dealers_is_a_standard_or_training_issue(
        client, qa, make_region, make_dealer, make_wave, make_checklist_version, make_published_audit,
        not_met_at, flagged):
    version = make_checklist_version()
    region = make_region()
    dealers = [make_dealer(region=region, code=f"ST0{i}") for i in range(1, 4)]
    wave = make_wave(code="2026-Q3")
    for index, dealer in enumerate(dealers):
        if index < not_met_at:
            answers = [NO_QUOTE, NO_QUOTE]  # never met: the mean ratio is 0
        else:
            answers = [NO_QUOTE, PERFECT]  # met once: can do it, so not "not met at the dealer"
        for visit in answers:
            make_published_audit(visit, dealer=dealer, wave=wave, checklist_version=version)
    issues = board(client, qa, region)["standard_issues"]
    if flagged:
        assert [i["item"] for i in issues] == ["written_quote"]
        assert issues[0]["dealers_not_met"] == 2 and issues[0]["dealers"] == 3
        assert issues[0]["dealer_codes"] == ["ST01", "ST02"]
    else:
        assert issues == []


# --- every region compared ---------------------------------------------------------------------------------

def test_every_region_of_the_wave_is_ranked_on_its_printed_score_with_its_change(
        client, qa, make_region, make_dealer, make_wave, make_checklist_version, make_published_audit):
    version = make_checklist_version()
    east, west, north, empty = (make_region(code=c) for c in ("EAST", "WEST", "NORTH", "EMPTY"))
    previous = make_wave(code="2026-Q2", starts_on=date(2026, 4, 1), ends_on=date(2026, 6, 30))
    wave = make_wave(code="2026-Q3")
    e1, e2 = make_dealer(region=east), make_dealer(region=east)
    w1 = make_dealer(region=west)
    n1 = make_dealer(region=north)
    # East: dealer means 100 and 75 → 87.5; West 87.5 exactly as well (shared rank); North: M = 84.72…
    for dealer, visits in ((e1, [PERFECT, PERFECT]), (e2, [NO_QUOTE, NO_QUOTE]), (w1, [PERFECT, NO_QUOTE]),
                           (n1, [MIXED, MIXED])):
        for visit in visits:
            make_published_audit(visit, dealer=dealer, wave=wave, checklist_version=version)
    # The previous wave: East 75 (one dealer), North 100; West had no audit then.
    make_published_audit(NO_QUOTE, dealer=e1, wave=previous, checklist_version=version,
                         visited=datetime(2026, 5, 5, 2, 0, tzinfo=timezone.utc))
    make_published_audit(PERFECT, dealer=n1, wave=previous, checklist_version=version,
                         visited=datetime(2026, 5, 5, 2, 0, tzinfo=timezone.utc))
    data = board(client, qa, east)
    rows = [(r["region"]["code"], r["printed"], r["rank"], r["dealers"], r["change"]) for r in data["regions"]]
    assert rows == [("EAST", 87.5, 1, 2, 12.5), ("WEST", 87.5, 1, 1, None), ("NORTH", round(M, 1), 3, 1,
                                                                               round(round(M, 1) - 100.0, 1))]
    assert "EMPTY" not in [r["region"]["code"] for r in data["regions"]]
    assert data["region_rank"] == {"rank": 1, "of": 3}
    assert data["score"]["vs_nation"] == round(87.5 - round((100 + 75 + 87.5 + M) / 4, 1), 1)
    # The region's trend: the program's earlier wave, then this one, with the printed change.
    assert [(t["wave"]["code"], t["printed"], t["dealers"], t["change"]) for t in data["trend"]] == [
        ("2026-Q2", 75.0, 1, None), ("2026-Q3", 87.5, 2, 12.5)]
    # North sees the same table, with its own rank.
    assert board(client, qa, north)["region_rank"] == {"rank": 3, "of": 3}


# --- movers -------------------------------------------------------------------------------------------------

def test_movers_leave_out_dealers_with_one_visit_in_either_wave(
        client, qa, make_region, make_dealer, make_wave, make_checklist_version, make_published_audit):
    version = make_checklist_version()
    region = make_region()
    previous = make_wave(code="2026-Q2", starts_on=date(2026, 4, 1), ends_on=date(2026, 6, 30))
    wave = make_wave(code="2026-Q3")
    both, one_before, one_now = (make_dealer(region=region, code=c) for c in ("MV01", "MV02", "MV03"))
    before = datetime(2026, 5, 5, 2, 0, tzinfo=timezone.utc)
    plan = {both: ([NO_QUOTE, NO_QUOTE], [PERFECT, MIXED]), one_before: ([NO_QUOTE], [PERFECT, PERFECT]),
            one_now: ([PERFECT, MIXED], [NO_QUOTE])}
    for dealer, (earlier, now) in plan.items():
        for visit in earlier:
            make_published_audit(visit, dealer=dealer, wave=previous, checklist_version=version, visited=before)
        for visit in now:
            make_published_audit(visit, dealer=dealer, wave=wave, checklist_version=version)
    data = board(client, qa, region)
    assert [m["dealer"]["code"] for m in data["movers"]] == ["MV01"]
    mover = data["movers"][0]
    assert (mover["previous_n"], mover["current_n"]) == (2, 2)
    # The printed change is the difference of the printed scores: 92.4 − 75.0
    assert mover["current_printed"] == round((100 + M) / 2, 1) and mover["previous_printed"] == 75.0
    assert mover["change"] == round(round((100 + M) / 2, 1) - 75.0, 1)
    assert mover["change_lo"] < mover["change_exact"] < mover["change_hi"]
    assert [(x["dealer"]["code"], x["previous_n"], x["current_n"]) for x in data["movers_too_few_visits"]] == [
        ("MV02", 1, 2), ("MV03", 2, 1)]


# --- disputes waiting for a decision ----------------------------------------------------------------------

def test_open_disputes_are_counted_and_the_overdue_ones_listed(
        client, qa, make_region, make_dealer, make_wave, make_checklist_version, make_published_audit,
        make_user, db_session):
    version = make_checklist_version()
    region = make_region()
    dealer = make_dealer(region=region, code="DS01", timezone="Asia/Shanghai")
    wave = make_wave(code="2026-Q3")
    late = make_published_audit(NO_QUOTE, dealer=dealer, wave=wave, checklist_version=version)
    recent = make_published_audit(NO_QUOTE, dealer=dealer, wave=wave, checklist_version=version)
    gm = make_user("dealer", dealer=dealer)
    now = datetime.now(timezone.utc)
    # Filed on Monday 3 August 2026 (10:00 in Shanghai): 5 working days later, the deadline is Monday the 10th.
    db_session.add(Dispute(audit_id=late.id, dealer_id=dealer.id, item_key="written_quote", claim="x" * 12,
                           requested_outcome="pass", filed_by_id=gm.id,
                           filed_at=datetime(2026, 8, 3, 2, 0, tzinfo=timezone.utc)))
    db_session.add(Dispute(audit_id=recent.id, dealer_id=dealer.id, item_key="written_quote", claim="x" * 12,
                           requested_outcome="pass", filed_by_id=gm.id, filed_at=now))
    db_session.commit()
    waiting = board(client, qa, region)["open_disputes"]
    if now < datetime(2026, 8, 10, 16, 0, tzinfo=timezone.utc):  # before the deadline (end of the 10th, Shanghai)
        pytest.skip("the first dispute is not overdue yet on this machine's clock")
    assert (waiting["waiting"], waiting["open"], waiting["escalated"], waiting["overdue"]) == (2, 2, 0, 1)
    overdue = waiting["overdue_list"][0]
    assert overdue["dealer"]["code"] == "DS01" and overdue["filed_on"] == "2026-08-03"
    assert overdue["due_on"] == "2026-08-10" and overdue["status"] == "open"
