"""Scoring (DESIGN 4): pure functions of checklists, answers and stored scores; no Flask, no database."""
from .aggregate import (
    CONFIDENCE,
    MIN_RANKED_AUDITS,
    GapRow,
    ItemGap,
    KeyMean,
    Leaderboard,
    PooledSpread,
    RankedDealer,
    UnrankedDealer,
    WaveChange,
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
    section_means,
    wave_change,
    worst_gaps,
)
from .audit import (AuditScore, InvalidAnswer, Knockout, effective_answers, knockout_costs, score_audit,
                    visible_values, with_knockout_cost)
from .stats import mean_interval, t_quantile

__all__ = [
    "AuditScore", "CONFIDENCE", "GapRow", "InvalidAnswer", "ItemGap", "KeyMean", "Knockout", "Leaderboard",
    "MIN_RANKED_AUDITS", "PooledSpread", "RankedDealer", "UnrankedDealer", "WaveChange", "WaveScore",
    "dealer_wave_score", "dimension_means", "drives", "effective_answers", "failed_knockouts", "item_gaps",
    "item_info_from_checklist", "knockout_costs", "leaderboard", "mean_interval", "pooled_spread", "printed",
    "printed_difference", "region_wave_score", "scope_gaps_from_dealers", "scope_means_from_dealers", "score_audit",
    "section_means", "t_quantile", "visible_values", "wave_change", "with_knockout_cost", "worst_gaps",
]
