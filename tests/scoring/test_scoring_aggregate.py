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
    WaveScore,
    dealer_wave_score,
    dimension_means,
    failed_knockouts,
    item_gaps,
    item_info_from_checklist,
    leaderboard,
    region_wave_score,
    scope_gaps_from_dealers,
    scope_means_from_dealers,
    score_audit,
    section_means,
    worst_gaps,
)

T = {"zh": "文", "en": "text"}


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

def test_dealer_wave_score():
    # mean (70 + 80 + 90)/3 = 80 (the None audit scored nothing and is left out), s = 10,
    # half width t(0.95, 2)·10/√3
    score = dealer_wave_score([70, None, 80, 90])
    half = 2.919985580 * 10 / math.sqrt(3)
    assert (score.mean, score.n) == (80, 3)
    assert score.lo == pytest.approx(80 - half, abs=1e-8) and score.hi == pytest.approx(80 + half, abs=1e-8)
    assert dealer_wave_score([64.5]) == WaveScore(mean=64.5, n=1, lo=None, hi=None)
    assert dealer_wave_score([None]) == WaveScore(mean=None, n=0)
    assert WaveScore.from_dict(json.loads(json.dumps(score.to_dict()))) == score


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
    # intervals overlapping (endpoints included): A–B, A–D (86 = 86), B–D, C–D
    assert {d: r.overlaps for d, r in rows.items()} == {
        "A": ("B", "D"), "B": ("A", "D"), "C": ("D",), "D": ("A", "B", "C"), "G": ()}
    assert [u.dealer_id for u in board.insufficient] == ["E", "F"]
    data = json.loads(json.dumps(board.to_dict()))
    assert data["ranked"][0] == {"dealer_id": "A", "rank": 1, "mean": 90, "n": 4, "lo": 86, "hi": 94,
                                 "best": 1, "worst": 3, "overlaps": ["B", "D"]}
    assert data["insufficient"][0] == {"dealer_id": "E", "mean": 99, "n": 1, "lo": None, "hi": None}
    assert data["min_ranked"] == 2


def test_leaderboard_ties_share_a_rank_and_sort_by_dealer_id():
    board = leaderboard([(3, WaveScore(80, 2, 70, 90)), (1, WaveScore(80, 2, 75, 85)),
                         (2, WaveScore(90, 2, 85, 95)), (4, WaveScore(60, 2, 50, 70))])
    assert [(r.dealer_id, r.rank) for r in board.ranked] == [(2, 1), (1, 2), (3, 2), (4, 4)]


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
    assert gaps == {"g1": ItemGap(approx(25 / 3), 1, 3), "g2": ItemGap(approx(50 / 3), 2, 3),
                    "q": ItemGap(approx(50 / 3), 1, 3), "f": ItemGap(0.0, 0, 3)}
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
          "knockouts": []}
    v2 = {"overall_raw": 80.0, "points_lost": {"a": 20.0}, "failed": ["a"], "knockouts": []}
    nothing = {"overall_raw": None, "points_lost": {"a": 0.0}, "failed": [], "knockouts": []}
    gaps = item_gaps([v1, nothing, v2])
    # n = 2 scored audits: a (10 + 20)/2 = 15, 2 of 2; old_item (30 + 0)/2 = 15, 1 of 2; Σ = 30 = 100 − 70
    assert gaps == {"a": ItemGap(15.0, 2, 2), "old_item": ItemGap(15.0, 1, 2)}
    assert item_gaps([nothing]) == {}


def test_region_gaps_are_means_over_dealers():
    dealer_x = item_gaps([A1, A2, A3])   # mean O_raw 175/3
    dealer_y = item_gaps([A4])           # mean O_raw 75
    dealer_z = item_gaps([])             # no audits: left out
    region = scope_gaps_from_dealers([dealer_x, dealer_y, dealer_z])
    # g1: (25/3 + 0)/2 = 25/6; g2: (50/3 + 0)/2 = 25/3; q: (50/3 + 0)/2 = 25/3; f: (0 + 25)/2 = 12.5
    # failures summed, n = 3 + 1 = 4 audits
    assert region == {"g1": ItemGap(approx(25 / 6), 1, 4), "g2": ItemGap(approx(25 / 3), 2, 4),
                      "q": ItemGap(approx(25 / 3), 1, 4), "f": ItemGap(approx(12.5), 1, 4)}
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
                 "section_title": {"zh": "报价", "en": "Negotiation"}, "dimension": "reliability"},
        "knockout": True, "mean_points_lost": approx(50 / 3), "failed": 1, "n": 3,
        # region: (50/3 + 0)/2 = 25/3, 1 of 4; nation: (50/3 + 0 + 0)/3 = 50/9, 1 of 5
        "region": {"mean_points_lost": approx(25 / 3), "failed": 1, "n": 4},
        "nation": {"mean_points_lost": approx(50 / 9), "failed": 1, "n": 5},
    }


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
