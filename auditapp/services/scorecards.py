"""Wave figures for scorecards, leaderboards and reports, read with a fixed number of queries.

Everything a dealer scorecard or a region leaderboard shows comes from the latest score version of
each published audit (DESIGN 4, 6); the figures are computed by the pure `scoring` package.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..checklists import DIMENSION_TEXT
from ..errors import NotFound
from ..models import Audit, ChecklistVersion, Dealer, Dispute, Region, ScoreVersion, Wave
from ..scoring import (KeyMean, WaveScore, dealer_wave_score, dimension_means, failed_knockouts,
                       item_gaps, item_info_from_checklist, leaderboard, region_wave_score,
                       scope_gaps_from_dealers, scope_means_from_dealers, section_means, worst_gaps)
from .checklists import checklist_of


def band_of(score: float | None) -> str | None:
    """DESIGN 9: green ≥ 85, amber ≥ 70, red below."""
    if score is None:
        return None
    return "green" if score >= 85 else "amber" if score >= 70 else "red"


@dataclass(frozen=True)
class AuditFigures:
    audit_id: uuid.UUID
    dealer_id: int
    shopper_id: int  # for the agency's dispute statistics only: never put in a dealer's data
    region_id: int
    wave_id: int
    checklist_key: str
    score: dict[str, Any]
    version: int
    original_overall: float | None
    visited_at: datetime | None
    published_at: datetime | None
    revision_reason: str
    revised_at: datetime


@dataclass(frozen=True)
class DisputeFigures:
    id: int
    audit_id: uuid.UUID
    dealer_id: int
    shopper_id: int
    item_key: str
    status: str
    claim: str
    requested_outcome: str
    reason: str | None  # the latest decision's reason
    filed_at: datetime
    decided_at: datetime | None
    escalated: bool
    # The whole appeal stays visible (DESIGN 6): QA's decision, the escalation, the manager's decision.
    qa_outcome: str | None = None
    qa_reason: str | None = None
    escalated_at: datetime | None = None
    escalation_note: str | None = None
    final_outcome: str | None = None
    final_reason: str | None = None
    override: dict[str, Any] | None = None
    score_version: int | None = None


@dataclass
class WaveData:
    """All published audits of one wave (and the overall scores of earlier waves, for trends)."""

    wave: Wave
    audits: list[AuditFigures]
    dealers: dict[int, Dealer]
    regions: dict[int, Region]
    item_info: dict[str, dict[str, Any]]
    section_titles: dict[str, dict[str, str]]
    earlier_waves: list[Wave]
    earlier_overalls: list[tuple[int, int, int, float | None]]  # wave_id, dealer_id, region_id, overall
    min_ranked: int
    disputes: list[DisputeFigures] = field(default_factory=list)
    _by_dealer: dict[int, list[AuditFigures]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for audit in self.audits:
            self._by_dealer.setdefault(audit.dealer_id, []).append(audit)

    def dealer_audits(self, dealer_id: int) -> list[AuditFigures]:
        return self._by_dealer.get(dealer_id, [])

    def dealer_ids_in(self, region_id: int | None = None) -> list[int]:
        return sorted(d for d, dealer in self.dealers.items()
                      if (region_id is None or dealer.region_id == region_id) and d in self._by_dealer)


def load_wave(session: Session, wave_code: str, min_ranked: int) -> WaveData:
    """Seven queries, whatever the number of dealers, audits, disputes and earlier waves."""
    wave = session.scalar(select(Wave).where(Wave.code == wave_code))
    if wave is None:
        raise NotFound(f"no wave {wave_code!r}")
    latest = (select(ScoreVersion.audit_id, func.max(ScoreVersion.version).label("version"))
              .group_by(ScoreVersion.audit_id).subquery())
    current = aliased(ScoreVersion)
    first = aliased(ScoreVersion)

    def published(*columns):
        return (select(*columns)
                .join(Dealer, Dealer.id == Audit.dealer_id)
                .join(ChecklistVersion, ChecklistVersion.id == Audit.checklist_version_id)
                .join(latest, latest.c.audit_id == Audit.id)
                .join(current, (current.audit_id == Audit.id) & (current.version == latest.c.version))
                .where(Audit.status == "published"))

    rows = session.execute(
        published(Audit.id, Audit.dealer_id, Audit.shopper_id, Dealer.region_id, ChecklistVersion.key, ChecklistVersion.id,
                  current.score, current.version, first.overall, Audit.visit_started_at, Audit.published_at,
                  current.reason, current.created_at)
        .join(first, (first.audit_id == Audit.id) & (first.version == 1))
        .where(Audit.wave_id == wave.id)
        .order_by(Audit.visit_started_at, Audit.id)).all()
    audits = [AuditFigures(audit_id, dealer_id, shopper_id, region_id, wave.id, key, score, version, original,
                           visited, published_at, reason, revised_at)
              for (audit_id, dealer_id, shopper_id, region_id, key, _, score, version, original, visited,
                   published_at, reason, revised_at) in rows]
    version_ids = {row[5] for row in rows}
    keys = {a.checklist_key for a in audits}
    # Trends compare the same checklist key only (DESIGN 4), over waves that started earlier.
    earlier_overalls = [tuple(row) for row in session.execute(
        published(Audit.wave_id, Audit.dealer_id, Dealer.region_id, current.overall)
        .join(Wave, Wave.id == Audit.wave_id)
        .where(Wave.starts_on < wave.starts_on, ChecklistVersion.key.in_(keys)))] if keys else []
    earlier_wave_ids = {w for w, *_ in earlier_overalls}
    waves = list(session.scalars(select(Wave).where(Wave.id.in_(earlier_wave_ids)).order_by(Wave.starts_on))) \
        if earlier_wave_ids else []
    dealers = {d.id: d for d in session.scalars(select(Dealer))}
    regions = {r.id: r for r in session.scalars(select(Region))}
    item_info: dict[str, dict[str, Any]] = {}
    section_titles: dict[str, dict[str, str]] = {}
    if version_ids:
        # Items are matched by key across versions; the newest version's wording wins.
        for version in session.scalars(select(ChecklistVersion).where(ChecklistVersion.id.in_(version_ids))
                                       .order_by(ChecklistVersion.version)):
            checklist = checklist_of(version)
            item_info.update(item_info_from_checklist(checklist))
            section_titles.update({s.key: s.title.to_dict() for s in checklist.sections})
    disputes = [DisputeFigures(d.id, d.audit_id, d.dealer_id, shopper_id, d.item_key, d.status, d.claim,
                               d.requested_outcome, d.final_reason or d.qa_reason, d.filed_at,
                               d.final_decided_at or d.qa_decided_at, d.escalated_at is not None,
                               d.qa_outcome, d.qa_reason, d.escalated_at, d.escalation_note, d.final_outcome,
                               d.final_reason, d.override, d.score_version)
                for d, shopper_id in session.execute(
                    select(Dispute, Audit.shopper_id).join(Audit, Audit.id == Dispute.audit_id)
                    .where(Audit.wave_id == wave.id, Audit.status == "published")
                    .order_by(Dispute.filed_at, Dispute.id))] if audits else []
    return WaveData(wave=wave, audits=audits, dealers=dealers, regions=regions, item_info=item_info,
                    section_titles=section_titles, earlier_waves=waves, earlier_overalls=earlier_overalls,
                    min_ranked=min_ranked, disputes=disputes)


# --- figures ----------------------------------------------------------------------------------------

class WaveFigures:
    """Per-dealer, per-region and national figures of one wave, computed once and shared."""

    def __init__(self, data: WaveData):
        self.data = data
        self.dealer_ids = data.dealer_ids_in()
        scores = [a.score for a in data.audits]
        self.dealer_scores = {d: dealer_wave_score(a.score["overall"] for a in data.dealer_audits(d))
                              for d in self.dealer_ids}
        dealer_score_dicts = {d: [a.score for a in data.dealer_audits(d)] for d in self.dealer_ids}
        self.dealer_gaps = {d: item_gaps(s) for d, s in dealer_score_dicts.items()}
        self.dealer_sections = {d: section_means(s) for d, s in dealer_score_dicts.items()}
        self.dealer_dimensions = {d: dimension_means(s) for d, s in dealer_score_dicts.items()}
        self.dealer_knockouts = {d: failed_knockouts(s) for d, s in dealer_score_dicts.items()}
        self.region_ids = sorted({data.dealers[d].region_id for d in self.dealer_ids})
        self.nation = self._scope(self.dealer_ids)
        self.regions = {r: self._scope(data.dealer_ids_in(r)) for r in self.region_ids}
        self.all_knockouts = failed_knockouts(scores)

    def region(self, region_id: int) -> dict[str, Any]:
        """A region's figures (empty ones for a region without published audits in the wave)."""
        return self.regions.get(region_id) or self._scope([])

    def _scope(self, dealer_ids: list[int]) -> dict[str, Any]:
        return {
            "mean": region_wave_score(self.dealer_scores[d].mean for d in dealer_ids),
            "dealers": len(dealer_ids),
            "audits": sum(self.dealer_scores[d].n for d in dealer_ids),
            "gaps": scope_gaps_from_dealers(self.dealer_gaps[d] for d in dealer_ids),
            "sections": scope_means_from_dealers(self.dealer_sections[d] for d in dealer_ids),
            "dimensions": scope_means_from_dealers(self.dealer_dimensions[d] for d in dealer_ids),
            "knockouts": [k for d in dealer_ids for k in self.dealer_knockouts[d]],
        }

    def leaderboard(self, region_id: int):
        entries = [(d, self.dealer_scores[d]) for d in self.data.dealer_ids_in(region_id)]
        # Dealers of the region with no published audit in the wave are "insufficient" too.
        for dealer_id, dealer in self.data.dealers.items():
            if dealer.region_id == region_id and dealer_id not in self.dealer_scores:
                entries.append((dealer_id, WaveScore(mean=None, n=0)))
        return leaderboard(entries, self.data.min_ranked)


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


def _gap_rows(rows) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        data = row.to_dict()
        data["dimension_title"] = dict(zip(("zh", "en"), DIMENSION_TEXT.get(row.info.get("dimension"), ("", ""))))
        out.append(data)
    return out


def _trend(data: WaveData, figures: WaveFigures, dealer_id: int | None, region_id: int) -> list[dict[str, Any]]:
    rows = []
    for wave in data.earlier_waves:
        in_wave = [(d, r, o) for w, d, r, o in data.earlier_overalls if w == wave.id]
        per_dealer: dict[int, list[float | None]] = {}
        for d, _, o in in_wave:
            per_dealer.setdefault(d, []).append(o)
        dealer_means = {d: dealer_wave_score(v).mean for d, v in per_dealer.items()}
        region_dealers = {d for d, r, _ in in_wave if r == region_id}
        own = dealer_wave_score(per_dealer.get(dealer_id, [])) if dealer_id is not None else None
        rows.append({"wave": _wave_ref(wave), "score": own.mean if own else None, "n": own.n if own else None,
                     "region": region_wave_score(dealer_means[d] for d in region_dealers),
                     "nation": region_wave_score(dealer_means.values())})
    current_region = figures.region(region_id)["mean"]
    own_now = figures.dealer_scores.get(dealer_id) if dealer_id is not None else None
    rows.append({"wave": _wave_ref(data.wave), "score": own_now.mean if own_now else None,
                 "n": own_now.n if own_now else None, "region": current_region,
                 "nation": figures.nation["mean"]})
    return rows


def dealer_scorecard(data: WaveData, dealer: Dealer, figures: WaveFigures | None = None) -> dict[str, Any]:
    figures = figures or WaveFigures(data)
    region = data.regions[dealer.region_id]
    region_figures = figures.region(region.id)
    nation = figures.nation
    score = figures.dealer_scores.get(dealer.id, WaveScore(mean=None, n=0))
    board = figures.leaderboard(region.id)
    ranked = next((r for r in board.ranked if r.dealer_id == dealer.id), None)
    rank = ({"rank": ranked.rank, "of": len(board.ranked), "best": ranked.best, "worst": ranked.worst,
             "not_significantly_different_from": [data.dealers[d].code for d in ranked.overlaps]}
            if ranked else None)
    sections = list(data.section_titles)
    dimensions = [d for d in DIMENSION_TEXT if d in nation["dimensions"]]
    dimension_titles = {d: {"zh": zh, "en": en} for d, (zh, en) in DIMENSION_TEXT.items()}
    gaps = worst_gaps(figures.dealer_gaps.get(dealer.id, {}), region_figures["gaps"], nation["gaps"],
                      figures.dealer_knockouts.get(dealer.id, []), data.item_info)
    own_disputes = [d for d in data.disputes if d.dealer_id == dealer.id]
    open_items = {}
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
        "dealer": _dealer_ref(dealer), "wave": _wave_ref(data.wave),
        "score": {**score.to_dict(), "band": band_of(score.mean), "min_ranked": data.min_ranked,
                  "insufficient_sample": score.n < data.min_ranked},
        "rank": rank,
        "region": {**_region_ref(region), "mean": region_figures["mean"], "dealers": region_figures["dealers"]},
        "nation": {"mean": nation["mean"], "dealers": nation["dealers"]},
        "sections": _comparison_rows(sections, data.section_titles, figures.dealer_sections.get(dealer.id, {}),
                                     region_figures["sections"], nation["sections"]),
        "dimensions": _comparison_rows(dimensions, dimension_titles, figures.dealer_dimensions.get(dealer.id, {}),
                                       region_figures["dimensions"], nation["dimensions"]),
        "gaps": _gap_rows(gaps),
        "trend": _trend(data, figures, dealer.id, region.id),
        "audits": audits,
        "revisions": revisions,
        "disputes": [_dispute_row(data, d) for d in own_disputes],
    }


def _local_day(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """The date as the dealer lives it: 07:00 in Shanghai is still the previous day in UTC."""
    return moment.astimezone(zone).date().isoformat() if moment is not None else None


def _dispute_row(data: WaveData, dispute: DisputeFigures) -> dict[str, Any]:
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

    def rates(audit_count: int, rows: list[DisputeFigures]) -> dict[str, Any]:
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
    out: dict[str, Any] = {"overall": rates(len(audits), disputes), "dealers": per_dealer, "items": per_item}
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

    gaps = _gap_rows(worst_gaps(own["gaps"], None, figures.nation["gaps"], own["knockouts"], data.item_info))
    region_dealers = data.dealer_ids_in(region.id)
    for gap in gaps:
        drivers = sorted(((figures.dealer_gaps[d][gap["item"]].mean_points_lost, codes[d], d)
                          for d in region_dealers if gap["item"] in figures.dealer_gaps[d]
                          and figures.dealer_gaps[d][gap["item"]].failed), key=lambda t: (-t[0], t[1]))
        gap["drivers"] = [{"dealer": _dealer_ref(data.dealers[d]), "mean_points_lost": lost}
                          for lost, _, d in drivers[:3]]
    movers = _movers(data, region.id, figures)
    sections = list(data.section_titles)
    dimension_titles = {d: {"zh": zh, "en": en} for d, (zh, en) in DIMENSION_TEXT.items()}
    dimensions = [d for d in DIMENSION_TEXT if d in figures.nation["dimensions"]]
    return {
        "region": {**_region_ref(region)}, "wave": _wave_ref(data.wave),
        "score": {"mean": own["mean"], "band": band_of(own["mean"]), "dealers": own["dealers"],
                  "audits": own["audits"]},
        "nation": {"mean": figures.nation["mean"]},
        "ranked": [dealer_row(r.to_dict()) for r in board.ranked],
        "insufficient_sample": [dealer_row(u.to_dict()) for u in board.insufficient],
        "min_ranked": data.min_ranked,
        "gaps": gaps,
        "section_titles": {k: data.section_titles[k] for k in sections},
        "sections": _comparison_rows(sections, data.section_titles, own["sections"], own["sections"],
                                     figures.nation["sections"]),
        "dimensions": _comparison_rows(dimensions, dimension_titles, own["dimensions"], own["dimensions"],
                                       figures.nation["dimensions"]),
        "movers": movers,
        "disputes": dispute_statistics(data, region_dealers, with_shoppers=False),
    }


def _movers(data: WaveData, region_id: int, figures: WaveFigures) -> list[dict[str, Any]]:
    """Change of each dealer's wave score since the previous wave (largest moves first)."""
    if not data.earlier_waves:
        return []
    previous = data.earlier_waves[-1]
    per_dealer: dict[int, list[float | None]] = {}
    for w, d, r, o in data.earlier_overalls:
        if w == previous.id and r == region_id:
            per_dealer.setdefault(d, []).append(o)
    rows = []
    for dealer_id in data.dealer_ids_in(region_id):
        before = dealer_wave_score(per_dealer.get(dealer_id, [])).mean
        now = figures.dealer_scores[dealer_id].mean
        if before is not None and now is not None:
            rows.append({"dealer": _dealer_ref(data.dealers[dealer_id]), "previous": before, "current": now,
                         "change": now - before, "previous_wave": previous.code})
    rows.sort(key=lambda r: (-abs(r["change"]), r["dealer"]["code"]))
    return rows
