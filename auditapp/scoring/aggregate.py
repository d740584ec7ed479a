"""Dealer, region and nation figures of a wave, over plain score dicts (`AuditScore.to_dict()`).

Region and nation figures are means over their dealers' figures, each dealer counting once
(DESIGN 4), so a scope's gaps sum to 100 − the mean raw score of that scope.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import fsum
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Union

from auditapp.checklists.model import DIMENSIONS, Checklist

from .stats import mean_interval

DealerId = Union[int, str]
ScoreDict = Mapping[str, Any]

MIN_RANKED_AUDITS = 2
CONFIDENCE = 0.90


@dataclass(frozen=True)
class WaveScore:
    """Mean of O over a dealer's scored audits, with the t-interval when n ≥ 2 (not clipped to 0..100)."""

    mean: float | None
    n: int
    lo: float | None = None
    hi: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "n": self.n, "lo": self.lo, "hi": self.hi}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WaveScore:
        return cls(mean=data["mean"], n=data["n"], lo=data["lo"], hi=data["hi"])


def dealer_wave_score(overalls: Iterable[float | None], confidence: float = CONFIDENCE) -> WaveScore:
    """`overalls`: O of each published audit; audits with no scored section (None) are left out."""
    values = [v for v in overalls if v is not None]
    if not values:
        return WaveScore(mean=None, n=0)
    mean, lo, hi = mean_interval(values, confidence)
    return WaveScore(mean=mean, n=len(values), lo=lo, hi=hi)


def region_wave_score(dealer_means: Iterable[float | None]) -> float | None:
    """Mean of the dealers' wave means, each dealer once; dealers without a score are left out."""
    values = [m for m in dealer_means if m is not None]
    return fsum(values) / len(values) if values else None


# --- leaderboard -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RankedDealer:
    dealer_id: DealerId
    rank: int
    score: WaveScore
    best: int
    worst: int
    overlaps: tuple[DealerId, ...]  # dealers whose interval overlaps this one's: not significantly different

    def to_dict(self) -> dict[str, Any]:
        return {"dealer_id": self.dealer_id, "rank": self.rank, **self.score.to_dict(),
                "best": self.best, "worst": self.worst, "overlaps": list(self.overlaps)}


@dataclass(frozen=True)
class UnrankedDealer:
    dealer_id: DealerId
    score: WaveScore

    def to_dict(self) -> dict[str, Any]:
        return {"dealer_id": self.dealer_id, **self.score.to_dict()}


@dataclass(frozen=True)
class Leaderboard:
    ranked: tuple[RankedDealer, ...]
    insufficient: tuple[UnrankedDealer, ...]
    min_ranked: int

    def to_dict(self) -> dict[str, Any]:
        return {"ranked": [r.to_dict() for r in self.ranked],
                "insufficient": [u.to_dict() for u in self.insufficient],
                "min_ranked": self.min_ranked}


def leaderboard(entries: Iterable[tuple[DealerId, WaveScore]], min_ranked: int = MIN_RANKED_AUDITS) -> Leaderboard:
    """Ranked dealers by mean (desc, then dealer id); equal means share a rank ("1, 2, 2, 4").

    Dealers with n < min_ranked (or no score) are listed apart by dealer id, never ranked.
    Rank ranges follow DESIGN 4. `overlaps` lists the dealers whose [lo, hi] intervals overlap
    (endpoints included); their rank ranges then overlap too, while overlapping rank ranges alone
    would also pair dealers whose intervals lie wholly apart. A ranked dealer without an interval
    (only when min_ranked < 2) is treated as (−∞, +∞): it could be anywhere.
    """
    entries = list(entries)
    ranked = sorted(((d, s) for d, s in entries if s.mean is not None and s.n >= max(min_ranked, 1)),
                    key=lambda e: (-e[1].mean, e[0]))  # type: ignore[operator]
    ranked_ids = {d for d, _ in ranked}
    insufficient = sorted((UnrankedDealer(d, s) for d, s in entries if d not in ranked_ids),
                          key=lambda u: u.dealer_id)  # type: ignore[arg-type, return-value]
    count = len(ranked)
    bounds = [(s.lo if s.lo is not None else float("-inf"), s.hi if s.hi is not None else float("inf"))
              for _, s in ranked]
    ranges = [(1 + sum(lo_j > hi_i for lo_j, _ in bounds), count - sum(hi_j < lo_i for _, hi_j in bounds))
              for lo_i, hi_i in bounds]
    rows = tuple(
        RankedDealer(
            dealer_id=dealer_id,
            rank=1 + sum(other.mean > score.mean for _, other in ranked),  # type: ignore[operator]
            score=score,
            best=ranges[i][0],
            worst=ranges[i][1],
            overlaps=tuple(ranked[j][0] for j in range(count)
                           if j != i and bounds[i][0] <= bounds[j][1] and bounds[j][0] <= bounds[i][1]),
        )
        for i, (dealer_id, score) in enumerate(ranked))
    return Leaderboard(ranked=rows, insufficient=tuple(insufficient), min_ranked=min_ranked)


# --- worst service gaps ------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemGap:
    """Mean points lost by an item over a scope's n audits, failed in `failed` of them."""

    mean_points_lost: float
    failed: int
    n: int

    @property
    def failure_rate(self) -> float:
        return self.failed / self.n if self.n else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"mean_points_lost": self.mean_points_lost, "failed": self.failed, "n": self.n}


def _scored(score_dicts: Iterable[ScoreDict]) -> list[ScoreDict]:
    # An audit with nothing scored has no O_raw; counting it would break Σ gaps = 100 − mean O_raw.
    return [s for s in score_dicts if s["overall_raw"] is not None]


def item_gaps(score_dicts: Iterable[ScoreDict]) -> dict[str, ItemGap]:
    """Gaps of one scope (a dealer's audits); n = number of scored audits, items matched by key."""
    audits = _scored(score_dicts)
    keys: dict[str, None] = {}
    for audit in audits:
        keys.update(dict.fromkeys(audit["points_lost"]))
    failed = [set(audit["failed"]) for audit in audits]
    n = len(audits)
    return {key: ItemGap(mean_points_lost=fsum(a["points_lost"].get(key, 0.0) for a in audits) / n,
                         failed=sum(key in f for f in failed), n=n)
            for key in keys}


def scope_gaps_from_dealers(per_dealer_gaps: Iterable[Mapping[str, ItemGap]]) -> dict[str, ItemGap]:
    """Region/nation gaps: mean over dealers of each dealer's mean (a dealer without the item
    counts 0), failures and audits summed. Dealers without a scored audit (no gaps) are left out."""
    dealers = [gaps for gaps in per_dealer_gaps if gaps]
    keys: dict[str, None] = {}
    for gaps in dealers:
        keys.update(dict.fromkeys(gaps))
    n = sum(next(iter(gaps.values())).n for gaps in dealers)
    return {key: ItemGap(
                mean_points_lost=fsum(g[key].mean_points_lost if key in g else 0.0 for g in dealers) / len(dealers),
                failed=sum(g[key].failed for g in dealers if key in g), n=n)
            for key in keys}


def failed_knockouts(score_dicts: Iterable[ScoreDict]) -> list[str]:
    """Items that were a failed knock-out in at least one audit, in order of first appearance."""
    keys: dict[str, None] = {}
    for audit in score_dicts:
        keys.update(dict.fromkeys(k["item"] for k in audit["knockouts"]))
    return list(keys)


@dataclass(frozen=True)
class GapRow:
    item: str
    info: Mapping[str, Any]
    knockout: bool
    gap: ItemGap
    region: ItemGap | None
    nation: ItemGap | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "info", MappingProxyType(dict(self.info)))

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item, "info": dict(self.info), "knockout": self.knockout, **self.gap.to_dict(),
                "region": self.region.to_dict() if self.region else None,
                "nation": self.nation.to_dict() if self.nation else None}


def worst_gaps(dealer_gaps: Mapping[str, ItemGap], region_gaps: Mapping[str, ItemGap] | None,
               nation_gaps: Mapping[str, ItemGap] | None, knockout_items: Iterable[str],
               item_info: Mapping[str, Mapping[str, Any]], top: int | None = 10) -> list[GapRow]:
    """The scope's worst gaps: failed knock-outs first, then mean points lost, failure rate, key.

    Only items failed at least once in the scope are gaps. `dealer_gaps` is the scope's own
    figures (a region's own gaps for the region report, with `region_gaps=None`).
    """
    knockouts = set(knockout_items)
    keys = [key for key, gap in dealer_gaps.items() if gap.failed > 0 or key in knockouts]
    keys.sort(key=lambda k: (k not in knockouts, -dealer_gaps[k].mean_points_lost,
                             -dealer_gaps[k].failure_rate, k))
    return [GapRow(item=key, info=item_info.get(key, {}), knockout=key in knockouts, gap=dealer_gaps[key],
                   region=(region_gaps or {}).get(key), nation=(nation_gaps or {}).get(key))
            for key in keys[:top]]


def item_info_from_checklist(checklist: Checklist) -> dict[str, dict[str, Any]]:
    """The `item_info` of `worst_gaps` from a checklist version (the latest one, by convention)."""
    return {item.key: {"text": item.text.to_dict(), "section": section.key, "section_title": section.title.to_dict(),
                       "dimension": item.dimension}
            for section in checklist.sections for item in section.items}


# --- section (MOT) and dimension (SERVQUAL) means -----------------------------------------------

@dataclass(frozen=True)
class KeyMean:
    """A mean over the n audits in which the section/dimension was scored."""

    mean: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "n": self.n}


def _key_means(mappings: Iterable[Mapping[str, float | None]]) -> dict[str, KeyMean]:
    values: dict[str, list[float]] = {}
    for mapping in mappings:
        for key, value in mapping.items():
            if value is not None:
                values.setdefault(key, []).append(value)
    return {key: KeyMean(mean=fsum(v) / len(v), n=len(v)) for key, v in values.items()}


def section_means(score_dicts: Iterable[ScoreDict], raw: bool = False) -> dict[str, KeyMean]:
    """Per section, over audits where it was scored: reported scores (knock-outs applied) unless raw."""
    return _key_means(s["sections_raw" if raw else "sections"] for s in score_dicts)


def dimension_means(score_dicts: Iterable[ScoreDict]) -> dict[str, KeyMean]:
    means = _key_means(s["dimensions"] for s in score_dicts)
    order = sorted(means, key=lambda d: (DIMENSIONS.index(d) if d in DIMENSIONS else len(DIMENSIONS), d))
    return {d: means[d] for d in order}


def scope_means_from_dealers(per_dealer: Iterable[Mapping[str, KeyMean]]) -> dict[str, KeyMean]:
    """Region/nation section or dimension means: mean over the dealers that have the key
    (each dealer once); n is the number of audits behind it."""
    dealers = list(per_dealer)
    keys: dict[str, None] = {}
    for means in dealers:
        keys.update(dict.fromkeys(means))
    result = {}
    for key in keys:
        having = [m[key] for m in dealers if key in m]
        result[key] = KeyMean(mean=fsum(m.mean for m in having) / len(having), n=sum(m.n for m in having))
    return result
