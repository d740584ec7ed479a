"""Dealer, region and nation aggregates, hand-computed."""
from __future__ import annotations

import json
import math
from typing import Any

import pytest

from auditapp.checklists import checklist_from_document
from auditapp.scoring import (
    ItemGap,
    KeyMean,
    PooledSpread,
    WaveScore,
    dealer_wave_score,
    dimension_means,
    drives,
    failed_knockouts,
    item_gaps,
    item_info_from_checklist,
    leaderboard,
    pooled_spread,
    printed,
    printed_difference,
    region_wave_score,
    scope_gaps_from_dealers,
    scope_means_from_dealers,
    score_audit,
    section_means,
    wave_change,
    worst_gaps,
)

T = {"zh": "文", "en": "text"}
# Student t quantiles t(0.95, df) from a printed table (not from the code under test).
T95 = {1: 6.313751514675043, 2: 2.919985580353725, 3: 2.353363434801823, 4: 2.131846786326649}


def approx(value: float) -> Any:
    return pytest.approx(value, abs=1e-9)


def _item(key: str, dimension: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "text": {"zh": f"{key}中", "en": f"{key} en"}, "type": "yes_no", "dimension": dimension,
            **extra}


# greeting (W 1): g1, g2 (w 1 each); negotiation (W 1): q (section knock-out), f (may be N/A)
CHECKLIST = checklist_from_document({"key": "sales", "version": 1, "title": T, "sections": [
    {"key": "greeting", "title": {"zh": "接待", "en": "Greeting"}, "weight": 1,
     "items": [_item("g1", "reliability"), _item("g2", "empathy")]},
    {"key": "negotiation", "title": {"zh": "报价", "en": "Negotiation"}, "weight": 1,
     "items": [_item("q", "reliability", critical="section", na_allowed=True),
               _item("f", "assurance", na_allowed=True)]},
]})


def audit(g1: str, g2: str, q: str, f: str) -> dict[str, Any]:
    answers = {k: ({"na": True} if v == "NA" else {"value": v}) for k, v in
               {"g1": g1, "g2": g2, "q": q, "f": f}.items()}
    return score_audit(CHECKLIST, answers).to_dict()


# a1: greeting 50, negotiation 100, O_raw 75; L_g2 = 100·(1/2)·(1/2) = 25
A1 = audit("yes", "no", "yes", "yes")
# a2: greeting 0, negotiation (q alone, f N/A) 0 and knocked out; O_raw 0; L_g1 = L_g2 = 25, L_q = 100·(1/2)·1 = 50
A2 = audit("no", "no", "no", "NA")
# a3: all pass, O_raw 100
A3 = audit("yes", "yes", "yes", "yes")
# a4 (another dealer): greeting 100, negotiation 50, O_raw 75; L_f = 25
A4 = audit("yes", "yes", "yes", "no")


def test_the_example_audits_are_what_the_comments_say():
    assert [a["overall_raw"] for a in (A1, A2, A3, A4)] == [approx(75), 0.0, approx(100), approx(75)]
    assert A2["points_lost"] == {"g1": approx(25), "g2": approx(25), "q": approx(50), "f": 0.0}


# --- wave scores and leaderboard ----------------------------------------------------------------

def test_pooled_spread_is_the_within_dealer_sd_of_the_wave():
    # dealers: (70, 80, 90) mean 80, SS 200; (60, 64) mean 62, SS 8; (50) alone: not counted; None left out.
    # s_p = √(208 / (N − D)) = √(208 / (5 − 2))
    spread = pooled_spread([[70, 80, None, 90], [60, 64], [50]])
    assert spread.df == 3 and spread.sd == approx(math.sqrt(208 / 3))
    assert pooled_spread([[50], [60, None]]) is None  # no dealer with two scored visits


def test_dealer_wave_score_uses_the_pooled_spread():
    spread = PooledSpread(sd=10.0, df=2)
    # mean (70 + 80 + 90)/3 = 80, n 3: half-width t(0.95, 2)·10/√3, whatever the dealer's own SD
    score = dealer_wave_score([70, None, 80, 90], spread)
    half = T95[2] * 10 / math.sqrt(3)
    assert (score.mean, score.n) == (80, 3)
    assert score.lo == pytest.approx(80 - half, abs=1e-8) and score.hi == pytest.approx(80 + half, abs=1e-8)
    assert WaveScore.from_dict(json.loads(json.dumps(score.to_dict()))) == score
    # n = 1: no interval (and not ranked); no spread: no interval
    assert dealer_wave_score([64.5], spread) == WaveScore(mean=64.5, n=1, lo=None, hi=None)
    assert dealer_wave_score([70, 90]) == WaveScore(mean=80, n=2)
    assert dealer_wave_score([None], spread) == WaveScore(mean=None, n=0)
    # n below MIN_RANKED_AUDITS: no interval either
    assert dealer_wave_score([70, 90], spread, min_ranked=3).lo is None


def test_two_identical_visits_do_not_make_a_dealer_precise():
    # dealer x: 80, 80 (own SD 0); dealer y: 60, 70 (SS 50). s_p = √(50 / (4 − 2)) = 5, df 2
    spread = pooled_spread([[80, 80], [60, 70]])
    assert (spread.sd, spread.df) == (approx(5.0), 2)
    x = dealer_wave_score([80, 80], spread)
    half = T95[2] * 5 / math.sqrt(2)  # 10.32…
    assert (x.lo, x.hi) == (approx(80 - half), approx(80 + half))


def test_intervals_are_clipped_to_the_score_scale():
    score = dealer_wave_score([100, 96], PooledSpread(sd=5.0, df=2))
    half = T95[2] * 5 / math.sqrt(2)
    assert score.hi == 100.0 and score.lo == approx(98 - half)
    low = dealer_wave_score([0, 4], PooledSpread(sd=5.0, df=2))
    assert low.lo == 0.0 and low.hi == approx(2 + half)


def test_printed_values_and_their_differences():
    assert printed(84.64999) == 84.6 and printed(84.65001) == 84.7 and printed(-0.04) == 0.0
    assert str(printed(-0.04)) == "0.0"
    # 89.749 prints 89.7 and 71.551 prints 71.6: the printed difference is 18.1, although 18.198 prints 18.2
    assert printed_difference(89.749, 71.551) == 18.1
    assert printed_difference(None, 71.0) is None


# --- movers ---------------------------------------------------------------------------------------

def test_change_needs_two_visits_in_both_waves():
    spread = PooledSpread(sd=3.0, df=4)
    assert wave_change([70], [80, 82], spread) is None
    assert wave_change([70, 72], [80], spread) is None
    assert wave_change([70, None], [80, 82], spread) is None  # an unscored audit does not count
    assert wave_change([], [80, 82], spread) is None


def test_a_clear_change_with_its_interval():
    # previous 71.551 ×2 (prints 71.6), current 89.749 ×2 (prints 89.7); s_p 2, df 4:
    # half-width t(0.95, 4)·2·√(1/2 + 1/2) = 4.2637; exact change 18.198, interval 13.934 … 22.462
    change = wave_change([71.551, 71.551], [89.749, 89.749], PooledSpread(sd=2.0, df=4))
    half = T95[4] * 2.0
    assert change.exact == approx(18.198)
    assert (change.lo, change.hi) == (approx(18.198 - half), approx(18.198 + half))
    assert change.change == 18.1  # = 89.7 − 71.6, the printed numbers
    data = change.to_dict()
    assert (data["previous_n"], data["current_n"], data["previous_printed"], data["current_printed"]) == (
        2, 2, 71.6, 89.7)
    assert data["verdict"] == "up" and data["clear"] is True
    assert wave_change([89.749, 89.749], [71.551, 71.551], PooledSpread(sd=2.0, df=4)).verdict == "down"


def test_a_change_whose_interval_contains_zero_is_no_clear_change():
    # waves pooled together: (70, 74) SS 8 and (72, 76) SS 8: s_p = √(16 / (4 − 2)) = √8, df 2
    spread = pooled_spread([[70, 74], [72, 76]])
    change = wave_change([70, 74], [72, 76], spread)
    half = T95[2] * math.sqrt(8) * math.sqrt(1 / 2 + 1 / 2)  # 8.26 > 2
    assert (change.lo, change.hi) == (approx(2 - half), approx(2 + half))
    assert change.verdict == "no_clear_change" and change.to_dict()["clear"] is False
    # identical visits on both sides, pooled spread 0: the change is exact and clear
    assert wave_change([70, 70], [72, 72], pooled_spread([[70, 70], [72, 72]])).verdict == "up"


def test_region_wave_score_counts_each_dealer_once():
    # dealers' means 80 (from 10 audits) and 70 (from 2): (80 + 70)/2, a dealer without score left out
    assert region_wave_score([80.0, 70.0, None]) == 75.0
    assert region_wave_score([None]) is None


def test_leaderboard_rank_ranges_overlaps_and_insufficient_sample():
    entries = [
        ("D", WaveScore(72, 3, 60, 86)),
        ("A", WaveScore(90, 4, 86, 94)),
        ("E", WaveScore(99, 1)),            # one audit: insufficient, never ranked
        ("G", WaveScore(50, 2, 45, 55)),
        ("C", WaveScore(75, 3, 70, 80)),
        ("F", WaveScore(None, 0)),          # no scored audit
        ("B", WaveScore(88, 2, 85, 91)),
    ]
    board = leaderboard(entries)
    # N = 5 ranked. best = 1 + #{lo_j > hi_i}, worst = 5 − #{hi_j < lo_i}:
    # A [86,94]: best 1 + 0; worst 5 − |{C 80, G 55}| = 3
    # B [85,91]: best 1 + 0; worst 5 − |{C 80, G 55}| = 3
    # C [70,80]: best 1 + |{A 86, B 85}| = 3; worst 5 − |{G 55}| = 4
    # D [60,86]: best 1 + 0 (A's lo 86 is not > 86); worst 5 − |{G 55}| = 4
    # G [45,55]: best 1 + |{A, B, C, D}| = 5; worst 5 − 0 = 5
    rows = {r.dealer_id: r for r in board.ranked}
    assert [r.dealer_id for r in board.ranked] == ["A", "B", "C", "D", "G"]
    assert [r.rank for r in board.ranked] == [1, 2, 3, 4, 5]
    assert {d: (r.best, r.worst) for d, r in rows.items()} == {
        "A": (1, 3), "B": (1, 3), "C": (3, 4), "D": (1, 4), "G": (5, 5)}
    assert {d: r.range_spans_ranks for d, r in rows.items()} == {
        "A": True, "B": True, "C": True, "D": True, "G": False}
    # intervals overlapping (endpoints included): A–B, A–D (86 = 86), B–D, C–D
    assert {d: r.overlaps for d, r in rows.items()} == {
        "A": ("B", "D"), "B": ("A", "D"), "C": ("D",), "D": ("A", "B", "C"), "G": ()}
    assert [u.dealer_id for u in board.insufficient] == ["E", "F"]
    data = json.loads(json.dumps(board.to_dict()))
    assert data["ranked"][0] == {"dealer_id": "A", "rank": 1, "mean": 90, "printed": 90, "n": 4, "lo": 86,
                                 "hi": 94, "best": 1, "worst": 3, "range_spans_ranks": True, "overlaps": ["B", "D"]}
    assert data["insufficient"][0] == {"dealer_id": "E", "mean": 99, "printed": 99, "n": 1, "lo": None,
                                       "hi": None}
    assert data["min_ranked"] == 2


def test_leaderboard_ties_share_a_rank_and_sort_by_dealer_id():
    board = leaderboard([(3, WaveScore(80, 2, 70, 90)), (1, WaveScore(80, 2, 75, 85)),
                         (2, WaveScore(90, 2, 85, 95)), (4, WaveScore(60, 2, 50, 70))])
    assert [(r.dealer_id, r.rank) for r in board.ranked] == [(2, 1), (1, 2), (3, 2), (4, 4)]


def test_leaderboard_ranks_the_printed_scores():
    # 84.63 and 84.58 both print 84.6: they share rank 2, listed by dealer id; 84.66 prints 84.7: rank 1
    board = leaderboard([("w08", WaveScore(84.63, 2, 80, 89)), ("w07", WaveScore(84.58, 2, 80, 89)),
                         ("w01", WaveScore(84.66, 2, 80, 89)), ("w02", WaveScore(70.0, 2, 69, 71))])
    assert [(r.dealer_id, r.rank) for r in board.ranked] == [("w01", 1), ("w07", 2), ("w08", 2), ("w02", 4)]
    # a shared rank stays inside the plausible range: w07 and w08 plausibly 1–3
    assert [(r.best, r.worst) for r in board.ranked] == [(1, 3), (1, 3), (1, 3), (4, 4)]


def test_leaderboard_min_ranked():
    entries = [("a", WaveScore(80, 3, 70, 90)), ("b", WaveScore(70, 2, 60, 80))]
    board = leaderboard(entries, min_ranked=3)
    assert [r.dealer_id for r in board.ranked] == ["a"]
    assert [u.dealer_id for u in board.insufficient] == ["b"]
    assert (board.ranked[0].best, board.ranked[0].worst) == (1, 1)


# --- gaps ---------------------------------------------------------------------------------------

def test_dealer_gaps_means_and_k_of_n():
    gaps = item_gaps([A1, A2, A3])
    # n = 3 audits. g1: (0 + 25 + 0)/3, failed in a2; g2: (25 + 25 + 0)/3, failed in a1 and a2;
    # q: (0 + 50 + 0)/3, failed in a2; f: excluded in a2 → 0, never failed
    # fully met / partly met / not met over the audits where the item was scored (f excluded in a2)
    assert gaps == {"g1": ItemGap(approx(25 / 3), 1, 3, 0.0, 2, 0, 1),
                    "g2": ItemGap(approx(50 / 3), 2, 3, 0.0, 1, 0, 2),
                    "q": ItemGap(approx(50 / 3), 1, 3, 0.0, 2, 0, 1), "f": ItemGap(0.0, 0, 3, 0.0, 2, 0, 0)}
    assert gaps["g2"].failure_rate == pytest.approx(2 / 3)


def test_dealer_gaps_sum_to_100_minus_mean_raw_score():
    audits = [A1, A2, A3]
    gaps = item_gaps(audits)
    # 25/3 + 50/3 + 50/3 = 125/3 = 100 − (75 + 0 + 100)/3
    mean_raw = math.fsum(a["overall_raw"] for a in audits) / len(audits)
    assert math.fsum(g.mean_points_lost for g in gaps.values()) == approx(100 - mean_raw)
    assert math.fsum(g.mean_points_lost for g in gaps.values()) == approx(125 / 3)


def test_gaps_leave_out_unscored_audits_and_match_items_by_key():
    # hand-made score dicts of two checklist versions: 'old_item' only exists in the first
    v1 = {"overall_raw": 60.0, "points_lost": {"a": 10.0, "old_item": 30.0}, "failed": ["a", "old_item"],
          "knockouts": [], "ratios": {"a": 0.5, "old_item": 0.0}}
    v2 = {"overall_raw": 80.0, "points_lost": {"a": 20.0}, "failed": ["a"], "knockouts": [], "ratios": {"a": 0.0}}
    nothing = {"overall_raw": None, "points_lost": {"a": 0.0}, "failed": [], "knockouts": [], "ratios": {}}
    gaps = item_gaps([v1, nothing, v2])
    # n = 2 scored audits: a (10 + 20)/2 = 15, 2 of 2; old_item (30 + 0)/2 = 15, 1 of 2; Σ = 30 = 100 − 70
    assert gaps == {"a": ItemGap(15.0, 2, 2, partly_met=1, not_met=1), "old_item": ItemGap(15.0, 1, 2, not_met=1)}
    assert item_gaps([nothing]) == {}


def test_region_gaps_are_means_over_dealers():
    dealer_x = item_gaps([A1, A2, A3])   # mean O_raw 175/3
    dealer_y = item_gaps([A4])           # mean O_raw 75
    dealer_z = item_gaps([])             # no audits: left out
    region = scope_gaps_from_dealers([dealer_x, dealer_y, dealer_z])
    # g1: (25/3 + 0)/2 = 25/6; g2: (50/3 + 0)/2 = 25/3; q: (50/3 + 0)/2 = 25/3; f: (0 + 25)/2 = 12.5
    # failures summed, n = 3 + 1 = 4 audits
    # fully/partly/not met summed: a4 meets g1, g2, q and fails f
    assert region == {"g1": ItemGap(approx(25 / 6), 1, 4, 0.0, 3, 0, 1),
                      "g2": ItemGap(approx(25 / 3), 2, 4, 0.0, 2, 0, 2),
                      "q": ItemGap(approx(25 / 3), 1, 4, 0.0, 3, 0, 1),
                      "f": ItemGap(approx(12.5), 1, 4, 0.0, 2, 0, 1)}
    # Σ = 25/6 + 25/3 + 25/3 + 12.5 = 100/3 = 100 − (175/3 + 75)/2, the region's mean raw score
    region_raw = region_wave_score([math.fsum([75, 0, 100]) / 3, 75.0])
    assert math.fsum(g.mean_points_lost for g in region.values()) == approx(100 - region_raw)
    assert math.fsum(g.mean_points_lost for g in region.values()) == approx(100 / 3)


def test_failed_knockouts():
    assert failed_knockouts([A1, A2, A3, A4]) == ["q"]
    assert failed_knockouts([A1, A3]) == []


def test_worst_gaps_rows():
    dealer = item_gaps([A1, A2, A3])
    dealer_y = item_gaps([A4])
    region = scope_gaps_from_dealers([dealer, dealer_y])
    nation = scope_gaps_from_dealers([dealer, dealer_y, item_gaps([A3])])
    info = item_info_from_checklist(CHECKLIST)
    rows = worst_gaps(dealer, region, nation, failed_knockouts([A1, A2, A3]), info)
    # q is a failed knock-out: first; then g2 (50/3) before g1 (25/3); f never failed: not a gap
    assert [r.item for r in rows] == ["q", "g2", "g1"]
    assert [r.knockout for r in rows] == [True, False, False]
    first = json.loads(json.dumps(rows[0].to_dict()))
    assert first == {
        "item": "q",
        "info": {"text": {"zh": "q中", "en": "q en"}, "section": "negotiation",
                 "section_title": {"zh": "报价", "en": "Negotiation"}, "dimension": "reliability",
                 "owner": None, "gap": 3, "action": None},
        "knockout": True, "mean_points_lost": approx(50 / 3), "mean_knockout_cost": 0.0,
        "mean_points_lost_total": approx(50 / 3), "failed": 1, "n": 3, "fully_met": 2, "partly_met": 0, "not_met": 1,
        # region: (50/3 + 0)/2 = 25/3, 1 of 4; nation: (50/3 + 0 + 0)/3 = 50/9, 1 of 5
        "region": {"mean_points_lost": approx(25 / 3), "mean_knockout_cost": 0.0,
                   "mean_points_lost_total": approx(25 / 3), "failed": 1, "n": 4,
                   "fully_met": 3, "partly_met": 0, "not_met": 1},
        "nation": {"mean_points_lost": approx(50 / 9), "mean_knockout_cost": 0.0,
                   "mean_points_lost_total": approx(50 / 9), "failed": 1, "n": 5,
                   "fully_met": 4, "partly_met": 0, "not_met": 1},
    }


# Hand-made scores with knock-out costs: O + Σ L + Σ K = 100 and O_raw + Σ L = 100 on each.
# k1: a partly met (L 10), b a failed knock-out (L 20, K 30): O_raw 70, O 40.
K1 = {"overall": 40.0, "overall_raw": 70.0, "points_lost": {"a": 10.0, "b": 20.0}, "knockout_cost": {"b": 30.0},
      "failed": ["a", "b"], "ratios": {"a": 0.5, "b": 0.0}, "knockouts": [{"item": "b", "scope": "audit"}]}
# k2, stored before knock-out costs existed (no key): a partly met (L 10), b met. O = O_raw = 90.
K2 = {"overall": 90.0, "overall_raw": 90.0, "points_lost": {"a": 10.0, "b": 0.0}, "failed": ["a"],
      "ratios": {"a": 0.5, "b": 1.0}, "knockouts": []}


def test_gaps_carry_the_knockout_cost_and_sum_to_100_minus_the_mean_score():
    gaps = item_gaps([K1, K2])
    # a: L (10 + 10)/2 = 10, K 0; b: L (20 + 0)/2 = 10, K (30 + 0)/2 = 15, total 25
    assert gaps == {"a": ItemGap(10.0, 2, 2, 0.0, 0, 2, 0), "b": ItemGap(10.0, 1, 2, 15.0, 1, 0, 1)}
    assert gaps["b"].total == 25.0 and gaps["b"].to_dict()["mean_points_lost_total"] == 25.0
    # Σ L = 20 = 100 − mean O_raw (80); Σ (L + K) = 35 = 100 − mean O (65)
    assert math.fsum(g.mean_points_lost for g in gaps.values()) == approx(100 - 80)
    assert math.fsum(g.total for g in gaps.values()) == approx(100 - 65)
    # ranked by L + K: b (25, a knock-out anyway) before a (10)
    assert [r.item for r in worst_gaps(gaps, None, None, [], {})] == ["b", "a"]
    # region of this dealer and one without losses: means over dealers, K included
    region = scope_gaps_from_dealers([gaps, item_gaps([{**K2, "points_lost": {"a": 0.0, "b": 0.0}, "failed": [],
                                                         "ratios": {"a": 1.0, "b": 1.0}, "overall_raw": 100.0}])])
    assert region["b"] == ItemGap(5.0, 1, 3, 7.5, 2, 0, 1)


def test_a_dealer_drives_a_region_gap_only_above_the_region_mean():
    region = ItemGap(4.0, 3, 10, 1.0)  # total 5
    assert drives(ItemGap(4.0, 1, 2, 1.5), region)  # 5.5 > 5
    assert not drives(ItemGap(5.0, 2, 2), region)  # 5, not above
    assert not drives(ItemGap(1.0, 2, 2), region)  # failed in every visit, yet loses less than the region
    assert not drives(None, region)


def test_worst_gaps_ordering_and_top():
    gaps = {
        "small_knockout": ItemGap(1.0, 1, 10),
        "rare": ItemGap(6.0, 1, 10),
        "frequent": ItemGap(6.0, 4, 10),     # same points as 'rare', failed more often: before it
        "big": ItemGap(9.0, 3, 10),
        "b_equal": ItemGap(2.0, 2, 10),
        "a_equal": ItemGap(2.0, 2, 10),      # full tie: by item key
        "clean": ItemGap(0.0, 0, 10),
    }
    rows = worst_gaps(gaps, None, None, ["small_knockout"], {}, top=None)
    assert [r.item for r in rows] == ["small_knockout", "big", "frequent", "rare", "a_equal", "b_equal"]
    assert rows[0].region is None and rows[0].info == {}
    assert [r.item for r in worst_gaps(gaps, None, None, [], {}, top=2)] == ["big", "frequent"]


# --- section and dimension means ----------------------------------------------------------------

A5 = audit("yes", "yes", "NA", "NA")          # negotiation not scored; greeting 100
A6 = audit("yes", "yes", "no", "yes")         # negotiation raw 50, knocked out to 0


def test_section_means():
    # greeting: a1 50, a5 100, a6 100 → 250/3, n 3; negotiation: a1 100, a6 0 (a5 not scored) → 50, n 2
    means = section_means([A1, A5, A6])
    assert means == {"greeting": KeyMean(approx(250 / 3), 3), "negotiation": KeyMean(approx(50), 2)}
    # raw: negotiation a1 100, a6 50 → 75
    assert section_means([A1, A5, A6], raw=True)["negotiation"] == KeyMean(approx(75), 2)


def test_dimension_means():
    # a1: reliability (g1 1, q 1) 100, empathy (g2 0) 0, assurance (f 1) 100
    # a5: reliability (g1) 100, empathy (g2) 100, no assurance
    means = dimension_means([A1, A5])
    assert means == {"reliability": KeyMean(100.0, 2), "assurance": KeyMean(100.0, 1), "empathy": KeyMean(50.0, 2)}
    assert list(means) == ["reliability", "assurance", "empathy"]  # DESIGN 2 order


def test_scope_means_from_dealers():
    dealer_x = {"greeting": KeyMean(50.0, 3), "negotiation": KeyMean(50.0, 2)}
    dealer_y = {"greeting": KeyMean(100.0, 1)}
    # greeting (50 + 100)/2 over 4 audits; negotiation only from x
    assert scope_means_from_dealers([dealer_x, dealer_y]) == {
        "greeting": KeyMean(75.0, 4), "negotiation": KeyMean(50.0, 2)}
    assert json.dumps({k: v.to_dict() for k, v in scope_means_from_dealers([dealer_x]).items()})
