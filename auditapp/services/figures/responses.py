"""Scorecard, leaderboard and dispute-statistics responses of one program in one wave: plain data for
the API and the report templates.

Numbers are full precision; where a reader compares printed numbers (ranks, changes, differences)
the one-decimal `printed` values and their difference are given too (DESIGN 4).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ...checklists import DIMENSION_TEXT, OWNER_TEXT
from ...constants import ACTION_STATUSES, ACTION_VERDICTS, OPEN_DISPUTE_STATUSES
from ...models import Dealer, Region, Wave
from ...scoring import (
    GapRow,
    ItemGap,
    KeyMean,
    Leaderboard,
    drives,
    overlapping,
    printed,
    printed_difference,
    worst_gaps,
)
from ..disputes import DisputePolicy, decision_due, filing_window_end, last_day
from .aggregate import TrendPoint, WaveFigures, widespread_not_met
from .load import ActionRecord, AuditRecord, DisputeRecord, WaveData

# What the shoppers observed, per gap row: a few distinct comments, each cut to a line or two.
MAX_OBSERVATIONS = 3
OBSERVATION_CHARS = 160
# Strengths (DESIGN 9): items the dealer fully met in every one of its visits (scored in each) where
# the region is weak, i.e. fewer than half of the region's scored visits of the item (the dealer's
# included, as in the printed region figures) fully met it. A share, not a points threshold: a strength
# must be something other dealers of the region visibly do not manage, whatever the item's weight.
# As with ranks, a dealer needs MIN_RANKED_AUDITS visits of the item: one good visit is no strength.
WEAK_REGION_FULLY_MET_SHARE = 0.5
MAX_STRENGTHS = 5


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


def _owner_title(owner: str | None) -> dict[str, str] | None:
    """The service-blueprint role that fixes an item, in both languages (None: no owner named)."""
    return dict(zip(("zh", "en"), OWNER_TEXT[owner])) if owner in OWNER_TEXT else None


def _program_ref(data: WaveData) -> dict[str, Any]:
    return {"key": data.program, "title": data.program_title}


def _spread(figures: WaveFigures) -> dict[str, Any] | None:
    return figures.spread.to_dict() if figures.spread else None


def _gap_rows(rows: Iterable[GapRow]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        data = row.to_dict()
        data["dimension_title"] = dict(zip(("zh", "en"), DIMENSION_TEXT.get(str(row.info.get("dimension")), ("", ""))))
        data["owner_title"] = _owner_title(row.info.get("owner"))
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


def _rank(board: Leaderboard, dealer_id: int, codes: dict[int, str]) -> dict[str, Any] | None:
    ranked = next((r for r in board.ranked if r.dealer_id == dealer_id), None)
    if ranked is None:
        return None
    return {"rank": ranked.rank, "of": len(board.ranked), "best": ranked.best, "worst": ranked.worst,
            "range_spans_ranks": ranked.range_spans_ranks,
            "not_significantly_different_from": [codes[int(d)] for d in overlapping(board, ranked)]}


def _visits(audits: list[AuditRecord]) -> list[AuditRecord]:
    """The dealer's visits in the order they are numbered 1..n: by visit time (so by local date)."""
    return sorted(audits, key=lambda a: (a.visited_at is None, a.visited_at or a.published_at or a.revised_at,
                                         str(a.audit_id)))


def _item_text(data: WaveData, key: str) -> dict[str, str]:
    return dict(data.item_info.get(key, {}).get("text", {"zh": key, "en": key}))


def _knockout_summary(data: WaveData, visits: list[AuditRecord], n: int) -> list[dict[str, Any]]:
    """Each failed knock-out with the part of the dealer's mean it took: its audit's K / n (DESIGN 4),
    so that mean = 100 − Σ L/n − Σ K/n reads off the headline."""
    rows = []
    for number, audit in enumerate(visits, start=1):
        if audit.score["overall"] is None:
            continue
        cost = audit.score.get("knockout_cost", {})
        for knockout in audit.score["knockouts"]:
            rows.append({"item": knockout["item"], "item_text": _item_text(data, knockout["item"]),
                         "scope": knockout["scope"], "section": knockout["section"],
                         "cost": cost.get(knockout["item"], 0.0), "points": cost.get(knockout["item"], 0.0) / n,
                         "visit_number": number})
    return rows


def _observation(comment: str) -> str:
    text = re.sub(r"\s+", " ", comment).strip()
    return text if len(text) <= OBSERVATION_CHARS else text[:OBSERVATION_CHARS - 1].rstrip() + "…"


def _observed(data: WaveData, visits: list[AuditRecord], item: str) -> list[str]:
    """What the shoppers wrote on the visits where the item failed: text only, never who wrote it."""
    seen: dict[str, str] = {}
    for audit in visits:
        if item in audit.score["failed"]:
            comment = data.comments.get((audit.audit_id, item))
            if comment and comment.strip():
                text = _observation(comment)
                seen.setdefault(text.casefold(), text)
    return list(seen.values())[:MAX_OBSERVATIONS]


def _met_share(gap: ItemGap) -> float | None:
    scored = gap.fully_met + gap.partly_met + gap.not_met
    return gap.fully_met / scored if scored else None


def _strengths(data: WaveData, dealer_gaps: dict[str, ItemGap], region_gaps: dict[str, ItemGap],
               nation_gaps: dict[str, ItemGap]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key, own in dealer_gaps.items():
        region = region_gaps.get(key)
        share = _met_share(region) if region else None
        if (region is None or own.n < max(1, data.min_ranked) or own.fully_met != own.n or share is None
                or share >= WEAK_REGION_FULLY_MET_SHARE):
            continue
        nation = nation_gaps.get(key)
        rows.append({"item": key, "info": dict(data.item_info.get(key, {"text": {"zh": key, "en": key}})),
                     "fully_met": own.fully_met, "n": own.n,
                     "region": {**region.to_dict(), "fully_met_share": share},
                     "nation": {**nation.to_dict(), "fully_met_share": _met_share(nation)} if nation else None})
    rows.sort(key=lambda r: (r["region"]["fully_met_share"], -r["region"]["mean_points_lost_total"], r["item"]))
    return rows[:MAX_STRENGTHS]


def _dispute_status(disputes: list[DisputeRecord]) -> str:
    """A visit's disputes in one word: the most pressing state among them."""
    if any(d.status == "escalated" for d in disputes):
        return "escalated"
    if any(d.status in OPEN_DISPUTE_STATUSES for d in disputes):
        return "open"
    return "decided" if disputes else "none"


def _filing_last_day(data: WaveData, audit: AuditRecord, dealer: Dealer, zone: ZoneInfo) -> str | None:
    """The last local day on which the dealer may dispute the visit (the window ends at midnight after it)."""
    if data.dispute_policy is None or audit.published_at is None:
        return None
    return last_day(filing_window_end(audit.published_at, dealer.timezone, data.dispute_policy), zone.key)


def dealer_scorecard(data: WaveData, dealer: Dealer, figures: WaveFigures | None = None) -> dict[str, Any]:
    figures = figures or WaveFigures(data)
    region = data.regions[dealer.region_id]
    region_figures = figures.region(region.id)
    nation = figures.nation
    score = figures.dealer_score(dealer.id)
    codes = {d: data.dealers[d].code for d in data.dealers}
    sections = list(data.section_titles)
    dimensions = [d for d in DIMENSION_TEXT if d in nation.dimensions]
    dimension_titles = {d: {"zh": zh, "en": en} for d, (zh, en) in DIMENSION_TEXT.items()}
    dealer_gaps = figures.dealer_gaps.get(dealer.id, {})
    gaps = worst_gaps(dealer_gaps, region_figures.gaps, nation.gaps,
                      figures.dealer_knockouts.get(dealer.id, []), data.item_info)
    visits = _visits(data.dealer_audits(dealer.id))
    own_disputes = [d for d in data.disputes if d.dealer_id == dealer.id]
    open_items: dict[Any, list[str]] = {}
    for dispute in own_disputes:
        if dispute.status in OPEN_DISPUTE_STATUSES:
            open_items.setdefault(dispute.audit_id, []).append(dispute.item_key)
    zone = ZoneInfo(dealer.timezone)
    cost_of = {(k["visit_number"], k["item"]): k["cost"] for k in _knockout_summary(data, visits, 1)}
    audits = [{"id": str(a.audit_id), "visit_number": number, "visited_on": _local_day(a.visited_at, zone),
               "overall": a.score["overall"], "overall_raw": a.score["overall_raw"],
               "sections": {key: a.score["sections"].get(key) for key in sections},
               "knockouts": [{**k, "item_text": _item_text(data, k["item"]),
                              "cost": cost_of.get((number, k["item"]), 0.0)} for k in a.score["knockouts"]],
               "version": a.version, "revised": a.version > 1,
               "original_overall": a.original_overall, "under_dispute": a.audit_id in open_items,
               "items_under_dispute": open_items.get(a.audit_id, []),
               "dispute_status": _dispute_status([d for d in own_disputes if d.audit_id == a.audit_id]),
               "dispute_deadline": _filing_last_day(data, a, dealer, zone)}
              for number, a in enumerate(visits, start=1)]
    knocked_out = {key: sum(any(k["scope"] == "section" and k["section"] == key for k in a["knockouts"])
                            for a in audits) for key in sections}
    section_rows = _comparison_rows(sections, data.section_titles, figures.dealer_sections.get(dealer.id, {}),
                                    region_figures.sections, nation.sections)
    for row in section_rows:
        row["knockouts"] = knocked_out[row["key"]]
    gap_rows = _gap_rows(gaps)
    for row in gap_rows:
        row["observed"] = _observed(data, visits, row["item"])
    by_version = {(d.audit_id, d.score_version): d for d in own_disputes if d.score_version}
    revisions = []
    for row, a in zip(audits, visits):
        if row["revised"]:
            source = by_version.get((a.audit_id, a.version))
            revisions.append({**row, "reason": a.revision_reason, "revised_on": _local_day(a.revised_at, zone),
                              "dispute": {"id": source.id, "item": source.item_key,
                                          "outcome": source.final_outcome or source.qa_outcome,
                                          "by": "manager" if source.final_outcome else "qa",
                                          "reason": source.final_reason or source.qa_reason} if source else None})
    return {
        "dealer": {**_dealer_ref(dealer), "timezone": dealer.timezone}, "wave": _wave_ref(data.wave),
        "program": _program_ref(data),
        "score": {**score.to_dict(), "band": band_of(score.mean), "min_ranked": data.min_ranked,
                  "insufficient_sample": score.n < data.min_ranked, "spread": _spread(figures)},
        "rank": _rank(figures.leaderboard(region.id), dealer.id, codes),
        "nation_rank": _rank(figures.national_leaderboard(), dealer.id, codes),
        "knockout_summary": [{k: row[k] for k in ("item", "item_text", "scope", "points", "visit_number")}
                             for row in _knockout_summary(data, visits, score.n)] if score.n else [],
        "change": _change(figures, dealer.id),
        "change_too_few_visits": figures.previous_wave is not None and score.n > 0
        and figures.change(dealer.id) is None,
        "region": {**_region_ref(region), "mean": region_figures.mean, "printed": printed(region_figures.mean),
                   "dealers": region_figures.dealers},
        "nation": {"mean": nation.mean, "printed": printed(nation.mean), "dealers": nation.dealers},
        "sections": section_rows,
        "dimensions": _comparison_rows(dimensions, dimension_titles, figures.dealer_dimensions.get(dealer.id, {}),
                                       region_figures.dimensions, nation.dimensions),
        "gaps": gap_rows,
        "strengths": _strengths(data, dealer_gaps, region_figures.gaps, nation.gaps),
        "trend": _trend(figures.trend(dealer.id, region.id)),
        "audits": audits,
        "revisions": revisions,
        "disputes": [_dispute_row(data, d) for d in own_disputes],
        "actions": _dealer_actions(data, dealer.id),
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

    # Grouped once: a national request has 1,500 dealers, thousands of audits and hundreds of disputes.
    dealer_audits: dict[int, int] = {}
    for audit in audits:
        dealer_audits[audit.dealer_id] = dealer_audits.get(audit.dealer_id, 0) + 1
    by_dealer: dict[int, list[DisputeRecord]] = {}
    by_item: dict[str, list[DisputeRecord]] = {}
    by_shopper: dict[int, list[DisputeRecord]] = {}
    for dispute in disputes:
        by_dealer.setdefault(dispute.dealer_id, []).append(dispute)
        by_item.setdefault(dispute.item_key, []).append(dispute)
        by_shopper.setdefault(dispute.shopper_id, []).append(dispute)
    per_dealer = [{"dealer": _dealer_ref(data.dealers[d]), **rates(dealer_audits[d], by_dealer.get(d, []))}
                  for d in sorted(dealer_ids, key=lambda d: data.dealers[d].code) if d in dealer_audits]
    per_item = [{"item": key, "item_text": data.item_info.get(key, {}).get("text", {"zh": key, "en": key}),
                 **rates(len(audits), by_item[key])} for key in sorted(by_item)]
    per_item.sort(key=lambda row: (-row["disputes"], row["item"]))
    out: dict[str, Any] = {"program": _program_ref(data), "overall": rates(len(audits), disputes),
                           "dealers": per_dealer, "items": per_item}
    if with_shoppers:
        shopper_audits: dict[int, int] = {}
        for dispute_audit in audits:
            shopper_audits[dispute_audit.shopper_id] = shopper_audits.get(dispute_audit.shopper_id, 0) + 1
        out["shoppers"] = sorted(
            ({"shopper_id": s, **rates(n, by_shopper.get(s, []))}
             for s, n in shopper_audits.items()), key=lambda row: (-row["upheld"], -row["disputes"], row["shopper_id"]))
    return out


def region_leaderboard(data: WaveData, region: Region, figures: WaveFigures | None = None, *,
                       policy: DisputePolicy, now: datetime) -> dict[str, Any]:
    """The region report's data and the API leaderboard (one and the same, DESIGN 9).

    `policy` and `now` decide which open disputes are past their decision deadline.
    """
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
        row.update(_knockout_marks(data.dealer_audits(dealer.id)))
        return row

    gaps = _gap_rows(worst_gaps(own.gaps, None, figures.nation.gaps, own.knockouts, data.item_info))
    region_dealers = data.dealer_ids_in(region.id)
    for gap in gaps:
        scope_gap = own.gaps[gap["item"]]
        drivers = sorted(((figures.dealer_gaps[d][gap["item"]].total, codes[d], d) for d in region_dealers
                          if drives(figures.dealer_gaps[d].get(gap["item"]), scope_gap)),
                         key=lambda t: (-t[0], t[1]))
        gap["drivers"] = [{"dealer": _dealer_ref(data.dealers[d]),
                           **_printed_lost(figures.dealer_gaps[d][gap["item"]].to_dict())} for _, _, d in drivers[:3]]
        _printed_lost(gap)
    movers, too_few = _movers(data, region.id, figures)
    sections = list(data.section_titles)
    dimension_titles = {d: {"zh": zh, "en": en} for d, (zh, en) in DIMENSION_TEXT.items()}
    dimensions = [d for d in DIMENSION_TEXT if d in figures.nation.dimensions]
    regions = _region_comparison(data, figures)
    own_row = next((r for r in regions if r["region"]["id"] == region.id), None)
    return {
        "region": {**_region_ref(region)}, "wave": _wave_ref(data.wave), "program": _program_ref(data),
        "score": {"mean": own.mean, "printed": printed(own.mean), "band": band_of(own.mean),
                  "dealers": own.dealers, "audits": own.audits, "spread": _spread(figures),
                  "vs_nation": printed_difference(own.mean, figures.nation.mean)},
        "nation": {"mean": figures.nation.mean, "printed": printed(figures.nation.mean),
                   "dealers": figures.nation.dealers},
        "trend": _region_trend(data, figures, region.id),
        "region_rank": {"rank": own_row["rank"], "of": sum(r["rank"] is not None for r in regions)}
        if own_row and own_row["rank"] is not None else None,
        "regions": regions,
        "ranked": [dealer_row(r.to_dict()) for r in board.ranked],
        "insufficient_sample": [dealer_row(u.to_dict()) for u in board.insufficient],
        "min_ranked": data.min_ranked,
        "gaps": gaps,
        "breaches": _breaches(data, region_dealers),
        "standard_issues": _standard_issues(data, figures, region_dealers),
        "section_titles": {k: data.section_titles[k] for k in sections},
        "sections": _comparison_rows(sections, data.section_titles, own.sections, own.sections,
                                     figures.nation.sections),
        "dimensions": _comparison_rows(dimensions, dimension_titles, own.dimensions, own.dimensions,
                                       figures.nation.dimensions),
        "movers": movers,
        "movers_too_few_visits": too_few,
        "open_disputes": _open_disputes(data, region_dealers, policy, now),
        "disputes": dispute_statistics(data, region_dealers, with_shoppers=False),
        "action_plans": _action_plan_status(data, region_dealers),
    }


def national_figures(data: WaveData, figures: WaveFigures | None = None) -> dict[str, Any]:
    """The nation's figures of one program in one wave: its score, every region's, the national worst
    gaps with the regions that drive each (those where the item cost more than nationally), and the
    section and dimension means (each a mean over dealers, each dealer once, as a region's are)."""
    figures = figures or WaveFigures(data)
    nation = figures.nation
    gaps = _gap_rows(worst_gaps(nation.gaps, None, None, nation.knockouts, data.item_info))
    for gap in gaps:
        scope_gap = nation.gaps[gap["item"]]
        drivers = sorted(((figures.regions[r].gaps[gap["item"]].total, data.regions[r].code, r)
                          for r in figures.region_ids if drives(figures.regions[r].gaps.get(gap["item"]), scope_gap)),
                         key=lambda t: (-t[0], t[1]))
        gap["drivers"] = [{"region": _region_ref(data.regions[r]),
                           **_printed_lost(figures.regions[r].gaps[gap["item"]].to_dict())} for _, _, r in drivers[:3]]
        _printed_lost(gap)
    sections = list(data.section_titles)
    dimension_titles = {d: {"zh": zh, "en": en} for d, (zh, en) in DIMENSION_TEXT.items()}
    dimensions = [d for d in DIMENSION_TEXT if d in nation.dimensions]
    return {
        "wave": _wave_ref(data.wave), "program": _program_ref(data),
        "score": {"mean": nation.mean, "printed": printed(nation.mean), "band": band_of(nation.mean),
                  "dealers": nation.dealers, "audits": nation.audits, "spread": _spread(figures)},
        "regions": _region_comparison(data, figures),
        "gaps": gaps,
        "sections": _comparison_rows(sections, data.section_titles, nation.sections, {}, nation.sections),
        "dimensions": _comparison_rows(dimensions, dimension_titles, nation.dimensions, {}, nation.dimensions),
    }


def _printed_lost(row: dict[str, Any]) -> dict[str, Any]:
    """Points lost as printed: the total, its raw part, and the knock-out part as their printed
    difference, so that raw + knock-out adds up to the total on the page (DESIGN 4)."""
    total, raw = printed(row["mean_points_lost_total"]), printed(row["mean_points_lost"])
    row.update(lost_printed=total, raw_printed=raw, knockout_printed=printed_difference(total, raw))
    return row


def _knockout_marks(audits: Iterable[AuditRecord]) -> dict[str, Any]:
    """For the heat map: per section, the visits in which a section knock-out zeroed it; and the visits
    an audit knock-out zeroed."""
    sections: dict[str, int] = {}
    zeroed = 0
    for audit in audits:
        knocked = {k["section"] for k in audit.score["knockouts"] if k["scope"] == "section"}
        for key in knocked:
            sections[key] = sections.get(key, 0) + 1
        zeroed += any(k["scope"] == "audit" for k in audit.score["knockouts"])
    return {"section_knockouts": sections, "audit_knockouts": zeroed}


def _region_comparison(data: WaveData, figures: WaveFigures) -> list[dict[str, Any]]:
    """Every region of the wave's program: score (ranked on the printed value, equal printed scores
    share a rank), dealers, visits and the change since the program's previous wave (printed difference)."""
    previous = figures.earlier_region_means(figures.previous_wave.id) if figures.previous_wave else {}
    shown = {r: printed(figures.regions[r].mean) for r in figures.region_ids}
    rows: list[dict[str, Any]] = []
    for region_id in figures.region_ids:
        scope, value, before = figures.regions[region_id], shown[region_id], previous.get(region_id)
        rows.append({
            "region": _region_ref(data.regions[region_id]), "mean": scope.mean, "printed": value,
            "band": band_of(scope.mean), "dealers": scope.dealers, "audits": scope.audits,
            "rank": None if value is None else 1 + sum(v is not None and v > value for v in shown.values()),
            "previous_wave": figures.previous_wave.code if figures.previous_wave else None,
            "previous": before, "previous_printed": printed(before),
            "change": printed_difference(scope.mean, before)})
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["region"]["code"]))
    return rows


def _region_trend(data: WaveData, figures: WaveFigures, region_id: int) -> list[dict[str, Any]]:
    """The region's score in the program's earlier waves (where it had published audits) and this one,
    with its dealers counted, the nation's mean, and the printed change from the wave before."""
    rows: list[dict[str, Any]] = []
    for point in figures.trend(None, region_id):
        if point.wave.id == data.wave.id:
            dealers = figures.region(region_id).dealers
        else:
            dealers = len(data.earlier_dealers_in(point.wave.id, region_id))
        rows.append({"wave": _wave_ref(point.wave), "score": point.region, "printed": printed(point.region),
                     "n": None, "dealers": dealers, "region": point.region, "region_printed": printed(point.region),
                     "nation": point.nation, "nation_printed": printed(point.nation),
                     "change": printed_difference(point.region, rows[-1]["score"]) if rows else None})
    return rows


def _breaches(data: WaveData, dealer_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Compliance breaches: the audit-scope knock-outs of the region's visits, by dealer and the visit's
    local date (never the shopper, never an audit id), with what each cost the visit's score."""
    rows = []
    for dealer_id in sorted(dealer_ids, key=lambda d: data.dealers[d].code):
        dealer = data.dealers[dealer_id]
        zone = ZoneInfo(dealer.timezone)
        for audit in data.dealer_audits(dealer_id):
            for knockout in audit.score["knockouts"]:
                if knockout["scope"] != "audit":
                    continue
                key = knockout["item"]
                info = data.item_info.get(key, {})
                cost = audit.score.get("knockout_cost", {}).get(key)
                rows.append({"dealer": _dealer_ref(dealer), "visited_on": _local_day(audit.visited_at, zone),
                             "item": key, "item_text": info.get("text", {"zh": key, "en": key}),
                             "owner": info.get("owner"), "owner_title": _owner_title(info.get("owner")),
                             "knockout_cost": cost, "knockout_cost_printed": printed(cost)})
    rows.sort(key=lambda r: (r["dealer"]["code"], r["visited_on"] or "", r["item"]))
    return rows


def _standard_issues(data: WaveData, figures: WaveFigures, dealer_ids: list[int]) -> list[dict[str, Any]]:
    """Items not met at more than half of the region's dealers (`widespread_not_met`): a standard or
    training issue for the program (five-gap model, gaps 1–2), most widespread first."""
    flagged = widespread_not_met({d: figures.dealer_gaps[d] for d in dealer_ids})
    rows = []
    for key, missing in flagged.items():
        info = data.item_info.get(key, {})
        rows.append({"item": key, "item_text": info.get("text", {"zh": key, "en": key}),
                     "section_title": info.get("section_title", {"zh": "", "en": ""}),
                     "owner": info.get("owner"), "owner_title": _owner_title(info.get("owner")),
                     "action": info.get("action"),
                     "dealers_not_met": len(missing), "dealers": len(dealer_ids),
                     "dealer_codes": sorted(data.dealers[d].code for d in missing)})
    rows.sort(key=lambda r: (-r["dealers_not_met"], r["item"]))
    return rows


def _open_disputes(data: WaveData, dealer_ids: Iterable[int], policy: DisputePolicy,
                   now: datetime) -> dict[str, Any]:
    """Disputes of the region waiting for a decision (QA's, or the manager's after an escalation), and
    those past their decision deadline, listed oldest first."""
    wanted = set(dealer_ids)
    waiting = [d for d in data.disputes if d.dealer_id in wanted and d.status in OPEN_DISPUTE_STATUSES]
    overdue = []
    for dispute in waiting:
        dealer = data.dealers[dispute.dealer_id]
        due = decision_due(dispute.status, dispute.filed_at, dispute.escalated_at, dealer.timezone, policy)
        if now > due:
            zone = ZoneInfo(dealer.timezone)
            info = data.item_info.get(dispute.item_key, {})
            overdue.append({"dealer": _dealer_ref(dealer), "item": dispute.item_key,
                            "item_text": info.get("text", {"zh": dispute.item_key, "en": dispute.item_key}),
                            "status": dispute.status, "escalated": dispute.escalated,
                            "filed_on": _local_day(dispute.filed_at, zone),
                            # the deadline is the end of this local day
                            "due_on": (due.astimezone(zone) - timedelta(days=1)).date().isoformat()})
    overdue.sort(key=lambda r: (r["due_on"], r["dealer"]["code"], r["item"]))
    return {"open": sum(d.status == "open" for d in waiting),
            "escalated": sum(d.status == "escalated" for d in waiting),
            "waiting": len(waiting), "overdue": len(overdue), "overdue_list": overdue}


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


# --- corrective action plans (services/actions) --------------------------------------------------------

def _action_row(action: ActionRecord) -> dict[str, Any]:
    return {"id": action.id, "wave": action.wave_code, "item": action.item_key, "item_text": action.item_text,
            "origin": action.origin, "status": action.status, "owner": action.owner,
            "owner_title": _owner_title(action.owner), "due_on": action.due_on.isoformat(), "overdue": action.overdue,
            "points_lost_total": action.points_lost + action.knockout_cost,
            "verification": action.verification, "verified_visits": action.verified_visits,
            "verified_fully_met": action.verified_fully_met}


def _dealer_actions(data: WaveData, dealer_id: int) -> dict[str, Any]:
    """The dealer's actions of the program not yet accepted (raised in this wave or before), overdue
    ones first, and the verdicts this wave's visits gave on actions accepted in earlier waves."""
    own = [a for a in data.actions if a.dealer_id == dealer_id]
    waiting = sorted((a for a in own if a.status != "accepted"), key=lambda a: (not a.overdue, a.due_on, a.item_key))
    verified = [a for a in own if a.verified_wave_id == data.wave.id and a.verification]
    return {"open": [_action_row(a) for a in waiting], "overdue": sum(a.overdue for a in waiting),
            "verified": [_action_row(a) for a in sorted(verified, key=lambda a: (a.verification or "", a.item_key))]}


def _action_plan_status(data: WaveData, dealer_ids: Iterable[int]) -> dict[str, Any]:
    """Per dealer of the region: its actions raised in this wave by status, how many are overdue, and
    the verdicts this wave gave on actions of earlier waves (effective / not effective)."""
    rows: list[dict[str, Any]] = []
    counted = ("actions", *ACTION_STATUSES, "overdue", *ACTION_VERDICTS)
    for dealer_id in sorted(dealer_ids, key=lambda d: data.dealers[d].code):
        raised = [a for a in data.actions if a.dealer_id == dealer_id and a.wave_id == data.wave.id]
        verified = [a for a in data.actions if a.dealer_id == dealer_id and a.verified_wave_id == data.wave.id]
        rows.append({"dealer": _dealer_ref(data.dealers[dealer_id]), "actions": len(raised),
                     **{status: sum(a.status == status for a in raised) for status in ACTION_STATUSES},
                     "overdue": sum(a.overdue for a in raised),
                     **{verdict: sum(a.verification == verdict for a in verified) for verdict in ACTION_VERDICTS}})
    totals = {key: sum(int(r[key]) for r in rows) for key in counted}
    return {"dealers": rows, "totals": totals}
