"""Dealer, region and nation figures of a wave, over plain score dicts (`AuditScore.to_dict()`).

Region and nation figures are means over their dealers' figures, each dealer counting once
(DESIGN 4), so a scope's gaps sum to 100 − the mean raw score of that scope.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from math import fsum, sqrt
from types import MappingProxyType
from typing import Any

from auditapp.checklists.model import DIMENSIONS, Checklist

from .stats import t_quantile

DealerId = int | str
ScoreDict = Mapping[str, Any]

MIN_RANKED_AUDITS = 2
CONFIDENCE = 0.90


def printed(value: float | None) -> float | None:
    """A figure as reports print it (one decimal, DESIGN 4): ranks and differences are taken on this."""
    return None if value is None else round(value, 1) + 0.0  # + 0.0 turns −0.0 into 0.0


def printed_difference(new: float | None, old: float | None) -> float | None:
    """new − old as the difference of the printed numbers (89.7 − 71.6 is 18.1, never 18.2)."""
    if new is None or old is None:
        return None
    # mypy cannot see that printed() of a number is a number (its signature admits None).
    return round(printed(new) - printed(old), 1) + 0.0  # type: ignore[operator]


@dataclass(frozen=True)
class PooledSpread:
    """The pooled within-dealer standard deviation of a wave and program (DESIGN 4).

    s_p² = Σ_d Σ_i (x_di − x̄_d)² / (N − D) over the D dealers with n ≥ 2 (N audits): a dealer's two
    near-identical visits say little about how much its visits vary, the whole wave says more.
    """

    sd: float
    df: int

    def t(self, confidence: float = CONFIDENCE) -> float:
        return t_quantile((1.0 + confidence) / 2.0, self.df)

    def half_width(self, n: int, confidence: float = CONFIDENCE) -> float:
        """Of the interval of a mean of n audits."""
        return self.t(confidence) * self.sd / sqrt(n)

    def change_half_width(self, n_before: int, n_after: int, confidence: float = CONFIDENCE) -> float:
        """Of the interval of the difference of two dealer means (n_before and n_after audits)."""
        return self.t(confidence) * self.sd * sqrt(1.0 / n_before + 1.0 / n_after)

    def to_dict(self) -> dict[str, Any]:
        return {"sd": self.sd, "df": self.df}


def pooled_spread(groups: Iterable[Iterable[float | None]]) -> PooledSpread | None:
    """`groups`: the overalls of each dealer (None, an unscored audit, left out); None when no dealer
    has two scored audits. Movers pass the groups of both waves (one group per dealer and wave)."""
    squares: list[float] = []
    df = 0
    for group in groups:
        values = [v for v in group if v is not None]
        if len(values) < 2:
            continue
        mean = fsum(values) / len(values)
        squares.extend((v - mean) ** 2 for v in values)
        df += len(values) - 1
    if df == 0:
        return None
    return PooledSpread(sd=sqrt(fsum(squares) / df), df=df)


@dataclass(frozen=True)
class WaveScore:
    """Mean of O over a dealer's scored audits; the 90% interval (pooled, clipped to 0..100) when n is
    at least MIN_RANKED_AUDITS (and 2)."""

    mean: float | None
    n: int
    lo: float | None = None
    hi: float | None = None

    @property
    def printed(self) -> float | None:
        return printed(self.mean)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "printed": self.printed, "n": self.n, "lo": self.lo, "hi": self.hi}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WaveScore:
        return cls(mean=data["mean"], n=data["n"], lo=data["lo"], hi=data["hi"])


def dealer_wave_score(overalls: Iterable[float | None], spread: PooledSpread | None = None,
                      min_ranked: int = MIN_RANKED_AUDITS, confidence: float = CONFIDENCE) -> WaveScore:
    """`overalls`: O of each published audit; audits with no scored section (None) are left out.
    `spread`: the wave and program's pooled spread; without it there is no interval."""
    values = [v for v in overalls if v is not None]
    if not values:
        return WaveScore(mean=None, n=0)
    mean = fsum(values) / len(values)
    n = len(values)
    if spread is None or n < max(2, min_ranked):
        return WaveScore(mean=mean, n=n)
    half = spread.half_width(n, confidence)
    return WaveScore(mean=mean, n=n, lo=max(0.0, mean - half), hi=min(100.0, mean + half))


def region_wave_score(dealer_means: Iterable[float | None]) -> float | None:
    """Mean of the dealers' wave means, each dealer once; dealers without a score are left out."""
    values = [m for m in dealer_means if m is not None]
    return fsum(values) / len(values) if values else None


@dataclass(frozen=True)
class WaveChange:
    """A dealer's change between two waves of a program (DESIGN 4, Movers).

    `change` is the difference of the printed means; `lo`..`hi` the 90% interval of the exact
    difference, `± t(df)·s_p·√(1/n₁ + 1/n₂)`. An interval containing 0 is "no clear change".
    """

    previous: WaveScore
    current: WaveScore
    exact: float
    lo: float
    hi: float

    @property
    def change(self) -> float:
        # mypy cannot see that a mover is made only from two waves with a mean each: the difference exists.
        return printed_difference(self.current.mean, self.previous.mean)  # type: ignore[return-value]

    @property
    def verdict(self) -> str:
        return "up" if self.lo > 0 else "down" if self.hi < 0 else "no_clear_change"

    def to_dict(self) -> dict[str, Any]:
        return {"previous": self.previous.mean, "previous_printed": self.previous.printed,
                "previous_n": self.previous.n, "current": self.current.mean,
                "current_printed": self.current.printed, "current_n": self.current.n,
                "change": self.change, "change_exact": self.exact, "change_lo": self.lo, "change_hi": self.hi,
                "change_lo_printed": printed(self.lo), "change_hi_printed": printed(self.hi),
                "verdict": self.verdict, "clear": self.verdict != "no_clear_change"}


def wave_change(previous: Iterable[float | None], current: Iterable[float | None], spread: PooledSpread | None,
                confidence: float = CONFIDENCE) -> WaveChange | None:
    """None ("too few visits to compare") unless the dealer has n ≥ 2 scored audits in both waves.

    `spread` is pooled over both waves (every dealer with n ≥ 2 in either), df = N − D summed over the
    two waves: the change's two means each come from their own wave, so both waves' spread counts.
    """
    before = dealer_wave_score(previous)
    after = dealer_wave_score(current)
    if before.n < 2 or after.n < 2 or spread is None:
        return None
    # mypy cannot see that a wave score of n >= 2 audits has a mean.
    exact = after.mean - before.mean  # type: ignore[operator]
    half = spread.change_half_width(before.n, after.n, confidence)
    return WaveChange(previous=before, current=after, exact=exact, lo=exact - half, hi=exact + half)


# --- leaderboard -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RankedDealer:
    dealer_id: DealerId
    rank: int
    score: WaveScore
    best: int
    worst: int
    overlaps: tuple[DealerId, ...]  # dealers whose interval overlaps this one's: not significantly different

    @property
    def range_spans_ranks(self) -> bool:
        """Whether the plausible rank range is more than the one rank: then it is printed with the rank."""
        return self.best != self.worst

    def to_dict(self) -> dict[str, Any]:
        return {"dealer_id": self.dealer_id, "rank": self.rank, **self.score.to_dict(),
                "best": self.best, "worst": self.worst, "range_spans_ranks": self.range_spans_ranks,
                "overlaps": list(self.overlaps)}


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


def leaderboard(entries: Iterable[tuple[DealerId, WaveScore]], min_ranked: int = MIN_RANKED_AUDITS, *,
                with_overlaps: bool = True) -> Leaderboard:
    """Ranked dealers by printed mean (desc, then dealer id); equal printed means share a rank ("1, 2, 2, 4").

    Dealers with n < min_ranked (or no score) are listed apart by dealer id, never ranked.
    Rank ranges follow DESIGN 4. `overlaps` lists the dealers whose [lo, hi] intervals overlap
    (endpoints included); their rank ranges then overlap too, while overlapping rank ranges alone
    would also pair dealers whose intervals lie wholly apart. A ranked dealer without an interval
    (only when min_ranked < 2) is treated as (−∞, +∞): it could be anywhere. Without `with_overlaps`
    each `overlaps` is empty (a nation of 1,500 dealers would list about a million pairs): `overlapping`
    gives one dealer's.

    Ranks and ranges are counts of the others' printed means and bounds on either side, read off sorted
    lists (a national board ranks every dealer of the wave).
    """
    entries = list(entries)
    # mypy cannot see that only scores with a mean are ranked, so their printed values (compared here and in
    # the ranks below) are numbers.
    ranked = sorted(((d, s) for d, s in entries if s.mean is not None and s.n >= max(min_ranked, 1)),
                    key=lambda e: (-e[1].printed, e[0]))  # type: ignore[operator]
    ranked_ids = {d for d, _ in ranked}
    insufficient = sorted((UnrankedDealer(d, s) for d, s in entries if d not in ranked_ids),
                          key=lambda u: u.dealer_id)
    count = len(ranked)
    bounds = [_bounds(s) for _, s in ranked]
    printed_means: list[float] = sorted(s.printed for _, s in ranked)  # type: ignore[misc]
    lows, highs = sorted(lo for lo, _ in bounds), sorted(hi for _, hi in bounds)
    rows = []
    for i, (dealer_id, score) in enumerate(ranked):
        lo, hi = bounds[i]
        rank = 1 + count - bisect_right(printed_means, score.printed)  # type: ignore[type-var]
        rows.append(RankedDealer(
            dealer_id=dealer_id, rank=rank, score=score,
            # The shared rank of printed-equal means stays inside the range even where their
            # (very narrow) intervals do not overlap; `worst` is never below the rank.
            best=min(1 + count - bisect_right(lows, hi), rank),
            worst=count - bisect_left(highs, lo),
            overlaps=tuple(ranked[j][0] for j in range(count)
                           if j != i and lo <= bounds[j][1] and bounds[j][0] <= hi) if with_overlaps else ()))
    return Leaderboard(ranked=tuple(rows), insufficient=tuple(insufficient), min_ranked=min_ranked)


def _bounds(score: WaveScore) -> tuple[float, float]:
    return (score.lo if score.lo is not None else float("-inf"), score.hi if score.hi is not None else float("inf"))


def overlapping(board: Leaderboard, dealer: RankedDealer) -> tuple[DealerId, ...]:
    """The ranked dealers of the board whose intervals overlap the dealer's (its `overlaps`)."""
    lo, hi = _bounds(dealer.score)
    return tuple(other.dealer_id for other in board.ranked
                 if other.dealer_id != dealer.dealer_id and lo <= _bounds(other.score)[1]
                 and _bounds(other.score)[0] <= hi)


# --- worst service gaps ------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemGap:
    """An item over a scope's n audits: mean points lost raw (L) and to knock-outs (K), failed
    (r < 1) in `failed` of them; fully met (r = 1), partly met (0 < r < 1) and not met (r = 0)
    counted over the audits where the item was scored (not excluded)."""

    mean_points_lost: float
    failed: int
    n: int
    mean_knockout_cost: float = 0.0
    fully_met: int = 0
    partly_met: int = 0
    not_met: int = 0

    @property
    def total(self) -> float:
        """L + K: what the item cost the scope's mean score."""
        return self.mean_points_lost + self.mean_knockout_cost

    @property
    def failure_rate(self) -> float:
        return self.failed / self.n if self.n else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"mean_points_lost": self.mean_points_lost, "mean_knockout_cost": self.mean_knockout_cost,
                "mean_points_lost_total": self.total, "failed": self.failed, "n": self.n,
                "fully_met": self.fully_met, "partly_met": self.partly_met, "not_met": self.not_met}


def _scored(score_dicts: Iterable[ScoreDict]) -> list[ScoreDict]:
    # An audit with nothing scored has no O_raw; counting it would break Σ gaps = 100 − mean O_raw.
    return [s for s in score_dicts if s["overall_raw"] is not None]


def _knockout_cost(score: ScoreDict) -> Mapping[str, float]:
    # Scores stored before knock-out costs existed carry none.
    cost: Mapping[str, float] = score.get("knockout_cost", {})
    return cost


def item_gaps(score_dicts: Iterable[ScoreDict]) -> dict[str, ItemGap]:
    """Gaps of one scope (a dealer's audits); n = number of scored audits, items matched by key.

    Σ L = 100 − mean O_raw and Σ (L + K) = 100 − mean O over the scope."""
    audits = _scored(score_dicts)
    n = len(audits)
    # One pass over the audits (a wave's figures run this for every dealer); an item an audit has no
    # entry for adds 0 to its sums, which fsum (exact) makes the same as adding the 0 explicitly.
    keys: dict[str, None] = {}
    lost: dict[str, list[float]] = {}
    cost: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    met: dict[str, list[int]] = {}  # fully, partly, not met
    for audit in audits:
        knockout_cost = _knockout_cost(audit)
        keys.update(dict.fromkeys(audit["points_lost"]))
        keys.update(dict.fromkeys(knockout_cost))
        for key, value in audit["points_lost"].items():
            lost.setdefault(key, []).append(value)
        for key, value in knockout_cost.items():
            cost.setdefault(key, []).append(value)
        for key in set(audit["failed"]):
            failed[key] = failed.get(key, 0) + 1
        for key, ratio in audit["ratios"].items():
            counts = met.setdefault(key, [0, 0, 0])
            counts[0 if ratio >= 1 else 1 if ratio > 0 else 2] += 1
    none = (0, 0, 0)
    gaps = {}
    for key in keys:
        fully, partly, not_met = met.get(key, none)
        gaps[key] = ItemGap(mean_points_lost=fsum(lost.get(key, ())) / n, failed=failed.get(key, 0), n=n,
                            mean_knockout_cost=fsum(cost.get(key, ())) / n,
                            fully_met=fully, partly_met=partly, not_met=not_met)
    return gaps


def scope_gaps_from_dealers(per_dealer_gaps: Iterable[Mapping[str, ItemGap]]) -> dict[str, ItemGap]:
    """Region/nation gaps: mean over dealers of each dealer's means (a dealer without the item
    counts 0), counts and audits summed. Dealers without a scored audit (no gaps) are left out."""
    dealers = [gaps for gaps in per_dealer_gaps if gaps]
    n = sum(next(iter(gaps.values())).n for gaps in dealers)
    # One pass over the dealers' gaps (the nation's are every dealer's), as in item_gaps.
    of_key: dict[str, list[ItemGap]] = {}
    for gaps in dealers:
        for key, gap in gaps.items():
            of_key.setdefault(key, []).append(gap)
    return {key: ItemGap(mean_points_lost=fsum(g.mean_points_lost for g in having) / len(dealers),
                         failed=sum(g.failed for g in having), n=n,
                         mean_knockout_cost=fsum(g.mean_knockout_cost for g in having) / len(dealers),
                         fully_met=sum(g.fully_met for g in having), partly_met=sum(g.partly_met for g in having),
                         not_met=sum(g.not_met for g in having))
            for key, having in of_key.items()}


def drives(dealer_gap: ItemGap | None, scope_gap: ItemGap) -> bool:
    """A dealer drives a region gap only when the item cost it more (L + K) than it cost the region."""
    return dealer_gap is not None and dealer_gap.total > scope_gap.total


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
    """The scope's worst gaps: failed knock-outs first, then mean points lost L + K, failure rate, key.

    Only items failed at least once in the scope are gaps. `dealer_gaps` is the scope's own
    figures (a region's own gaps for the region report, with `region_gaps=None`).
    """
    knockouts = set(knockout_items)
    keys = [key for key, gap in dealer_gaps.items() if gap.failed > 0 or key in knockouts]
    keys.sort(key=lambda k: (k not in knockouts, -dealer_gaps[k].total, -dealer_gaps[k].failure_rate, k))
    return [GapRow(item=key, info=item_info.get(key, {}), knockout=key in knockouts, gap=dealer_gaps[key],
                   region=(region_gaps or {}).get(key), nation=(nation_gaps or {}).get(key))
            for key in keys[:top]]


def item_info_from_checklist(checklist: Checklist) -> dict[str, dict[str, Any]]:
    """The `item_info` of `worst_gaps` from a checklist version (the latest one, by convention)."""
    return {item.key: {"text": item.text.to_dict(), "section": section.key, "section_title": section.title.to_dict(),
                       "dimension": item.dimension, "owner": item.owner, "gap": item.gap,
                       "action": item.action.to_dict() if item.action else None}
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
