"""Scorecard, leaderboard and dispute-statistics responses of one program in one wave: plain data for
the API and the report templates.

Numbers are full precision; where a reader compares printed numbers (ranks, changes, differences)
the one-decimal `printed` values and their difference are given too (DESIGN 4).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from ...checklists import DIMENSION_TEXT
from ...models import Dealer, Region, Wave
from ...scoring import GapRow, KeyMean, drives, printed, worst_gaps
from .aggregate import TrendPoint, WaveFigures
from .load import DisputeRecord, WaveData


def band_of(score: float | None) -> str | None:
    """DESIGN 9: green ≥ 85, amber ≥ 70, red below."""
    if score is None:
        return None
    return "green" if score >= 85 else "amber" if score >= 70 else "red"


def _dealer_ref(dealer: Dealer) -> dict[str, Any]:
    return {"id": dealer.id, "code": dealer.code, "name": {"zh": dealer.name_zh, "en": dealer.name_en},
            "region_id": dealer.region_id}


def _region_ref(region: Region) -> dict[str, Any]:
    return {"id": region.id, "code": region.code, "name": {"zh": region.name_zh, "en": region.name_en}}


def _wave_ref(wave: Wave) -> dict[str, Any]:
    return {"id": wave.id, "code": wave.code, "title": {"zh": wave.title_zh, "en": wave.title_en},
            "starts_on": wave.starts_on.isoformat(), "ends_on": wave.ends_on.isoformat()}


def _key_mean(means: dict[str, KeyMean], key: str) -> float | None:
    return means[key].mean if key in means else None


def _comparison_rows(keys: list[str], titles: dict[str, dict[str, str]], own: dict[str, KeyMean],
                     region: dict[str, KeyMean], nation: dict[str, KeyMean]) -> list[dict[str, Any]]:
    return [{"key": key, "title": titles.get(key, {"zh": key, "en": key}),
             "score": _key_mean(own, key), "n": own[key].n if key in own else 0,
             "region": _key_mean(region, key), "nation": _key_mean(nation, key)} for key in keys]


def _program_ref(data: WaveData) -> dict[str, Any]:
    return {"key": data.program, "title": data.program_title}


def _spread(figures: WaveFigures) -> dict[str, Any] | None:
    return figures.spread.to_dict() if figures.spread else None


def _gap_rows(rows: Iterable[GapRow]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        data = row.to_dict()
        data["dimension_title"] = dict(zip(("zh", "en"), DIMENSION_TEXT.get(row.info.get("dimension") or "", ("", ""))))
        out.append(data)
    return out


def _trend(points: list[TrendPoint]) -> list[dict[str, Any]]:
    return [{"wave": _wave_ref(p.wave), "score": p.score.mean if p.score else None,
             "printed": p.score.printed if p.score else None, "n": p.score.n if p.score else None,
             "region": p.region, "region_printed": printed(p.region),
             "nation": p.nation, "nation_printed": printed(p.nation)} for p in points]


def _change(figures: WaveFigures, dealer_id: int) -> dict[str, Any] | None:
    change = figures.change(dealer_id)
    if change is None or figures.previous_wave is None:
        return None
    return {"previous_wave": figures.previous_wave.code, **change.to_dict()}


def dealer_scorecard(data: WaveData, dealer: Dealer, figures: WaveFigures | None = None) -> dict[str, Any]:
    figures = figures or WaveFigures(data)
    region = data.regions[dealer.region_id]
    region_figures = figures.region(region.id)
    nation = figures.nation
    score = figures.dealer_score(dealer.id)
    board = figures.leaderboard(region.id)
    ranked = next((r for r in board.ranked if r.dealer_id == dealer.id), None)
    rank = ({"rank": ranked.rank, "of": len(board.ranked), "best": ranked.best, "worst": ranked.worst,
             "range_spans_ranks": ranked.range_spans_ranks,
             "not_significantly_different_from": [data.dealers[cast(int, d)].code for d in ranked.overlaps]}
            if ranked else None)
    sections = list(data.section_titles)
    dimensions = [d for d in DIMENSION_TEXT if d in nation.dimensions]
    dimension_titles = {d: {"zh": zh, "en": en} for d, (zh, en) in DIMENSION_TEXT.items()}
    gaps = worst_gaps(figures.dealer_gaps.get(dealer.id, {}), region_figures.gaps, nation.gaps,
                      figures.dealer_knockouts.get(dealer.id, []), data.item_info)
    own_disputes = [d for d in data.disputes if d.dealer_id == dealer.id]
    open_items: dict[uuid.UUID, list[str]] = {}
    for dispute in own_disputes:
        if dispute.status in ("open", "escalated"):
            open_items.setdefault(dispute.audit_id, []).append(dispute.item_key)
    zone = ZoneInfo(dealer.timezone)
    audits = [{"id": str(a.audit_id), "visited_on": _local_day(a.visited_at, zone),
               "overall": a.score["overall"], "overall_raw": a.score["overall_raw"],
               "knockouts": a.score["knockouts"], "version": a.version, "revised": a.version > 1,
               "original_overall": a.original_overall, "under_dispute": a.audit_id in open_items,
               "items_under_dispute": open_items.get(a.audit_id, [])} for a in data.dealer_audits(dealer.id)]
    by_version = {(d.audit_id, d.score_version): d for d in own_disputes if d.score_version}
    revisions = []
    for row, a in zip(audits, data.dealer_audits(dealer.id)):
        if row["revised"]:
            source = by_version.get((a.audit_id, a.version))
            revisions.append({**row, "reason": a.revision_reason, "revised_on": _local_day(a.revised_at, zone),
                              "dispute": {"id": source.id, "item": source.item_key,
                                          "outcome": source.final_outcome or source.qa_outcome,
                                          "by": "manager" if source.final_outcome else "qa",
                                          "reason": source.final_reason or source.qa_reason} if source else None})
    return {
        "dealer": _dealer_ref(dealer), "wave": _wave_ref(data.wave), "program": _program_ref(data),
        "score": {**score.to_dict(), "band": band_of(score.mean), "min_ranked": data.min_ranked,
                  "insufficient_sample": score.n < data.min_ranked, "spread": _spread(figures)},
        "rank": rank,
        "change": _change(figures, dealer.id),
        "change_too_few_visits": figures.previous_wave is not None and score.n > 0
        and figures.change(dealer.id) is None,
        "region": {**_region_ref(region), "mean": region_figures.mean, "printed": printed(region_figures.mean),
                   "dealers": region_figures.dealers},
        "nation": {"mean": nation.mean, "printed": printed(nation.mean), "dealers": nation.dealers},
        "sections": _comparison_rows(sections, data.section_titles, figures.dealer_sections.get(dealer.id, {}),
                                     region_figures.sections, nation.sections),
        "dimensions": _comparison_rows(dimensions, dimension_titles, figures.dealer_dimensions.get(dealer.id, {}),
                                       region_figures.dimensions, nation.dimensions),
        "gaps": _gap_rows(gaps),
        "trend": _trend(figures.trend(dealer.id, region.id)),
        "audits": audits,
        "revisions": revisions,
        "disputes": [_dispute_row(data, d) for d in own_disputes],
    }


def _local_day(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """The date as the dealer lives it: 07:00 in Shanghai is still the previous day in UTC."""
    return moment.astimezone(zone).date().isoformat() if moment is not None else None


def _dispute_row(data: WaveData, dispute: DisputeRecord) -> dict[str, Any]:
    info = data.item_info.get(dispute.item_key, {})
    zone = ZoneInfo(data.dealers[dispute.dealer_id].timezone)
    return {"id": dispute.id, "audit_id": str(dispute.audit_id), "item": dispute.item_key,
            "item_text": info.get("text", {"zh": dispute.item_key, "en": dispute.item_key}),
            "status": dispute.status, "requested_outcome": dispute.requested_outcome, "claim": dispute.claim,
            "decision": dispute.reason, "filed_on": _local_day(dispute.filed_at, zone),
            "decided_on": _local_day(dispute.decided_at, zone),
            "escalated": dispute.escalated,
            "qa_decision": {"outcome": dispute.qa_outcome, "reason": dispute.qa_reason} if dispute.qa_outcome else None,
            "escalation": {"on": _local_day(dispute.escalated_at, zone), "note": dispute.escalation_note}
            if dispute.escalated_at else None,
            "final_decision": {"outcome": dispute.final_outcome, "reason": dispute.final_reason}
            if dispute.final_outcome else None,
            "new_value": (dispute.override or {}).get("value") if dispute.override else None,
            "score_version": dispute.score_version}


def dispute_statistics(data: WaveData, dealer_ids: Iterable[int], *, with_shoppers: bool) -> dict[str, Any]:
    """Dispute and uphold rates per dealer, per item and (agency only) per shopper (DESIGN 6).

    Dispute rate: share of the published audits with at least one dispute. Uphold rate: share of the
    decided disputes that were upheld in full or in part. Many upheld disputes against one shopper are a
    quality signal; many disputes from one dealer are one too (DOMAIN: disputes made to protect bonuses).
    """
    dealer_ids = set(dealer_ids)
    audits = [a for a in data.audits if a.dealer_id in dealer_ids]
    disputes = [d for d in data.disputes if d.dealer_id in dealer_ids]
    upheld = ("upheld", "partially_upheld")

    def rates(audit_count: int, rows: list[DisputeRecord]) -> dict[str, Any]:
        decided = [d for d in rows if d.status not in ("open", "escalated")]
        won = sum(d.status in upheld for d in decided)
        disputed_audits = len({d.audit_id for d in rows})
        return {"audits": audit_count, "disputes": len(rows), "disputed_audits": disputed_audits,
                "dispute_rate": disputed_audits / audit_count if audit_count else None,
                "decided": len(decided), "upheld": won, "uphold_rate": won / len(decided) if decided else None,
                "open": len(rows) - len(decided)}

    per_dealer = [{"dealer": _dealer_ref(data.dealers[d]),
                   **rates(sum(a.dealer_id == d for a in audits), [x for x in disputes if x.dealer_id == d])}
                  for d in sorted(dealer_ids, key=lambda d: data.dealers[d].code)
                  if any(a.dealer_id == d for a in audits)]
    items = sorted({d.item_key for d in disputes})
    per_item = [{"item": key, "item_text": data.item_info.get(key, {}).get("text", {"zh": key, "en": key}),
                 **rates(len(audits), [d for d in disputes if d.item_key == key])} for key in items]
    per_item.sort(key=lambda row: (-row["disputes"], row["item"]))
    out: dict[str, Any] = {"program": _program_ref(data), "overall": rates(len(audits), disputes),
                           "dealers": per_dealer, "items": per_item}
    if with_shoppers:
        shopper_audits: dict[int, int] = {}
        for dispute_audit in audits:
            shopper_audits[dispute_audit.shopper_id] = shopper_audits.get(dispute_audit.shopper_id, 0) + 1
        out["shoppers"] = sorted(
            ({"shopper_id": s, **rates(n, [d for d in disputes if d.shopper_id == s])}
             for s, n in shopper_audits.items()), key=lambda row: (-row["upheld"], -row["disputes"], row["shopper_id"]))
    return out


def region_leaderboard(data: WaveData, region: Region, figures: WaveFigures | None = None) -> dict[str, Any]:
    figures = figures or WaveFigures(data)
    own = figures.region(region.id)
    board = figures.leaderboard(region.id)
    codes = {d: data.dealers[d].code for d in data.dealers}

    def dealer_row(entry: dict[str, Any]) -> dict[str, Any]:
        dealer = data.dealers[entry["dealer_id"]]
        row = {**entry, "dealer": _dealer_ref(dealer), "band": band_of(entry["mean"])}
        if "overlaps" in row:
            row["overlaps"] = [codes[d] for d in row["overlaps"]]
        row["sections"] = {k: v.mean for k, v in figures.dealer_sections.get(dealer.id, {}).items()}
        return row

    gaps = _gap_rows(worst_gaps(own.gaps, None, figures.nation.gaps, own.knockouts, data.item_info))
    region_dealers = data.dealer_ids_in(region.id)
    for gap in gaps:
        scope_gap = own.gaps[gap["item"]]
        drivers = sorted(((figures.dealer_gaps[d][gap["item"]].total, codes[d], d) for d in region_dealers
                          if drives(figures.dealer_gaps[d].get(gap["item"]), scope_gap)),
                         key=lambda t: (-t[0], t[1]))
        gap["drivers"] = [{"dealer": _dealer_ref(data.dealers[d]),
                           **figures.dealer_gaps[d][gap["item"]].to_dict()} for _, _, d in drivers[:3]]
    movers, too_few = _movers(data, region.id, figures)
    sections = list(data.section_titles)
    dimension_titles = {d: {"zh": zh, "en": en} for d, (zh, en) in DIMENSION_TEXT.items()}
    dimensions = [d for d in DIMENSION_TEXT if d in figures.nation.dimensions]
    return {
        "region": {**_region_ref(region)}, "wave": _wave_ref(data.wave), "program": _program_ref(data),
        "score": {"mean": own.mean, "printed": printed(own.mean), "band": band_of(own.mean),
                  "dealers": own.dealers, "audits": own.audits, "spread": _spread(figures)},
        "nation": {"mean": figures.nation.mean, "printed": printed(figures.nation.mean)},
        "trend": _trend(figures.trend(None, region.id)),
        "ranked": [dealer_row(r.to_dict()) for r in board.ranked],
        "insufficient_sample": [dealer_row(u.to_dict()) for u in board.insufficient],
        "min_ranked": data.min_ranked,
        "gaps": gaps,
        "section_titles": {k: data.section_titles[k] for k in sections},
        "sections": _comparison_rows(sections, data.section_titles, own.sections, own.sections,
                                     figures.nation.sections),
        "dimensions": _comparison_rows(dimensions, dimension_titles, own.dimensions, own.dimensions,
                                       figures.nation.dimensions),
        "movers": movers,
        "movers_too_few_visits": too_few,
        "disputes": dispute_statistics(data, region_dealers, with_shoppers=False),
    }


def _movers(data: WaveData, region_id: int, figures: WaveFigures) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Changes since the program's previous wave (largest printed change first), and the region's
    dealers that cannot be compared: fewer than two visits in either wave (DESIGN 4)."""
    if figures.previous_wave is None:
        return [], []
    previous = data.earlier_overalls(figures.previous_wave.id)
    movers, too_few = [], []
    for dealer_id in data.dealer_ids_in(region_id):
        change = figures.change(dealer_id)
        ref = _dealer_ref(data.dealers[dealer_id])
        if change is None:
            too_few.append({"dealer": ref, "previous_wave": figures.previous_wave.code,
                            "previous_n": sum(v is not None for v in previous.get(dealer_id, [])),
                            "current_n": figures.dealer_scores[dealer_id].n})
        else:
            movers.append({"dealer": ref, "previous_wave": figures.previous_wave.code, **change.to_dict()})
    movers.sort(key=lambda r: (-abs(r["change"]), r["dealer"]["code"]))
    return movers, too_few
