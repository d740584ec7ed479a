"""The figures of one program in one wave: per dealer, per region, national, computed once and shared.

The arithmetic is the pure `scoring.aggregate`; this module applies it to a `WaveData`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ...models import Wave
from ...scoring import (
    ItemGap,
    KeyMean,
    Leaderboard,
    PooledSpread,
    WaveChange,
    WaveScore,
    dealer_wave_score,
    dimension_means,
    failed_knockouts,
    item_gaps,
    leaderboard,
    pooled_spread,
    region_wave_score,
    scope_gaps_from_dealers,
    scope_means_from_dealers,
    section_means,
    wave_change,
)
from .load import WaveData


@dataclass(frozen=True)
class ScopeFigures:
    """A region's or the nation's figures: means over its dealers' figures, each dealer once."""

    mean: float | None
    dealers: int
    audits: int
    gaps: dict[str, ItemGap]
    sections: dict[str, KeyMean]
    dimensions: dict[str, KeyMean]
    knockouts: list[str]


@dataclass(frozen=True)
class TrendPoint:
    wave: Wave
    score: WaveScore | None  # the dealer's (None in a region trend)
    region: float | None
    nation: float | None


class WaveFigures:
    """Per-dealer, per-region and national figures of one program in one wave."""

    spread: PooledSpread | None
    dealer_scores: dict[int, WaveScore]
    dealer_gaps: dict[int, dict[str, ItemGap]]
    dealer_sections: dict[int, dict[str, KeyMean]]
    dealer_dimensions: dict[int, dict[str, KeyMean]]
    dealer_knockouts: dict[int, list[str]]
    region_ids: list[int]
    nation: ScopeFigures
    regions: dict[int, ScopeFigures]

    def __init__(self, data: WaveData):
        self.data = data
        self.dealer_ids = data.dealer_ids_in()
        overalls = {d: [a.score["overall"] for a in data.dealer_audits(d)] for d in self.dealer_ids}
        # Worked out from the audits alone: shared by every read of the same audits (see cache.py).
        memo_key = ("wave figures", data.min_ranked)
        if memo_key in data.memo:
            (self.spread, self.dealer_scores, self.dealer_gaps, self.dealer_sections, self.dealer_dimensions,
             self.dealer_knockouts, self.region_ids, self.nation, self.regions) = data.memo[memo_key]
        else:
            self.spread = pooled_spread(overalls.values())
            self.dealer_scores = {d: dealer_wave_score(o, self.spread, data.min_ranked) for d, o in overalls.items()}
            dealer_score_dicts = {d: [a.score for a in data.dealer_audits(d)] for d in self.dealer_ids}
            self.dealer_gaps = {d: item_gaps(s) for d, s in dealer_score_dicts.items()}
            self.dealer_sections = {d: section_means(s) for d, s in dealer_score_dicts.items()}
            self.dealer_dimensions = {d: dimension_means(s) for d, s in dealer_score_dicts.items()}
            self.dealer_knockouts = {d: failed_knockouts(s) for d, s in dealer_score_dicts.items()}
            self.region_ids = sorted({data.dealers[d].region_id for d in self.dealer_ids})
            self.nation = self._scope(self.dealer_ids)
            self.regions = {r: self._scope(data.dealer_ids_in(r)) for r in self.region_ids}
            data.memo[memo_key] = (self.spread, self.dealer_scores, self.dealer_gaps, self.dealer_sections,
                                   self.dealer_dimensions, self.dealer_knockouts, self.region_ids, self.nation,
                                   self.regions)
        self.previous_wave = data.earlier_waves[-1] if data.earlier_waves else None
        previous = data.earlier_overalls(self.previous_wave.id) if self.previous_wave else {}
        self._previous_overalls = previous
        # Movers: s_p pooled over both waves (one group per dealer and wave), df = N − D of both.
        self.change_spread = pooled_spread([*previous.values(), *overalls.values()])
        self._overalls = overalls

    def region(self, region_id: int) -> ScopeFigures:
        """A region's figures (empty ones for a region without published audits in the wave)."""
        return self.regions.get(region_id) or self._scope([])

    def dealer_score(self, dealer_id: int) -> WaveScore:
        return self.dealer_scores.get(dealer_id, WaveScore(mean=None, n=0))

    def _scope(self, dealer_ids: list[int]) -> ScopeFigures:
        return ScopeFigures(
            mean=region_wave_score(self.dealer_scores[d].mean for d in dealer_ids),
            dealers=len(dealer_ids),
            audits=sum(self.dealer_scores[d].n for d in dealer_ids),
            gaps=scope_gaps_from_dealers(self.dealer_gaps[d] for d in dealer_ids),
            sections=scope_means_from_dealers(self.dealer_sections[d] for d in dealer_ids),
            dimensions=scope_means_from_dealers(self.dealer_dimensions[d] for d in dealer_ids),
            knockouts=[k for d in dealer_ids for k in self.dealer_knockouts[d]],
        )

    def leaderboard(self, region_id: int) -> Leaderboard:
        entries = [(d, self.dealer_scores[d]) for d in self.data.dealer_ids_in(region_id)]
        # Dealers of the region with no published audit in the wave are "insufficient" too.
        for dealer_id, dealer in self.data.dealers.items():
            if dealer.region_id == region_id and dealer_id not in self.dealer_scores:
                entries.append((dealer_id, WaveScore(mean=None, n=0)))
        return leaderboard(entries, self.data.min_ranked)

    def national_leaderboard(self) -> Leaderboard:
        """Every dealer of the nation with published audits of the program, ranked as a region's are."""
        return leaderboard([(d, self.dealer_scores[d]) for d in self.dealer_ids], self.data.min_ranked,
                           with_overlaps=False)

    def had_previous(self, dealer_id: int) -> bool:
        """Whether the dealer has published audits of the program in the previous wave."""
        return dealer_id in self._previous_overalls

    def change(self, dealer_id: int) -> WaveChange | None:
        """The change since the program's previous wave; None: too few visits (n < 2) on a side."""
        return wave_change(self._previous_overalls.get(dealer_id, []), self._overalls.get(dealer_id, []),
                           self.change_spread)

    def earlier_region_means(self, wave_id: int) -> dict[int, float | None]:
        """Each region's mean in an earlier wave of the program: the mean of its dealers' means there
        (each dealer once, as in this wave), for the regions with published audits of the program then."""
        dealer_means: dict[int, list[float | None]] = {}
        for dealer_id, mean in self.data.earlier_dealer_means(wave_id).items():
            dealer_means.setdefault(self.data.dealers[dealer_id].region_id, []).append(mean)
        return {region_id: region_wave_score(means) for region_id, means in dealer_means.items()}

    def trend(self, dealer_id: int | None, region_id: int) -> list[TrendPoint]:
        """The program's earlier waves in which the dealer (or, for a region trend, the region) has
        published audits, then this wave; with the region's and the nation's means of each."""
        points = []
        for wave in self.data.earlier_waves:
            per_dealer = self.data.earlier_overalls(wave.id)
            if dealer_id is not None and dealer_id not in per_dealer:
                continue
            region_dealers = self.data.earlier_dealers_in(wave.id, region_id)
            if dealer_id is None and not region_dealers:
                continue
            dealer_means = self.data.earlier_dealer_means(wave.id)
            points.append(TrendPoint(
                wave=wave, score=dealer_wave_score(per_dealer[dealer_id]) if dealer_id is not None else None,
                region=region_wave_score(dealer_means[d] for d in region_dealers),
                nation=region_wave_score(dealer_means.values())))
        points.append(TrendPoint(wave=self.data.wave,
                                 score=self.dealer_score(dealer_id) if dealer_id is not None else None,
                                 region=self.region(region_id).mean, nation=self.nation.mean))
        return points


def not_met_at_dealer(gap: ItemGap | None) -> bool:
    """An item is "not met at a dealer" when its mean ratio there is 0: every one of the dealer's visits
    that scored it scored r = 0 (fully_met = partly_met = 0). A dealer that met it, even in part, on one
    visit can do it (an execution gap, 3); one that never did may not know the standard. Counting any
    single r = 0 visit instead would flag most items of a region of three-visit dealers by chance."""
    return gap is not None and gap.not_met > 0 and gap.fully_met == 0 and gap.partly_met == 0


def widespread_not_met(dealer_gaps: Mapping[int, Mapping[str, ItemGap]]) -> dict[str, list[int]]:
    """Items not met at more than half of the scope's dealers (those with published audits, each once),
    with those dealers: a standard or training issue (five-gap model, gaps 1–2), not one dealer's
    execution (DESIGN 9). A dealer where the item was never scored counts in the denominator."""
    dealers = len(dealer_gaps)
    keys: dict[str, None] = {}
    for gaps in dealer_gaps.values():
        keys.update(dict.fromkeys(gaps))
    out = {}
    for key in keys:
        missing = sorted(d for d, gaps in dealer_gaps.items() if not_met_at_dealer(gaps.get(key)))
        if 2 * len(missing) > dealers:
            out[key] = missing
    return out
