"""Reading one program of a wave: the queries, turned into typed records (a fixed number of queries).

Everything a dealer scorecard or a region leaderboard shows comes from the latest score version of
each published audit (DESIGN 4, 6) of one checklist key: audits of different programs are never
averaged together (DESIGN 2).
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, or_, select, true
from sqlalchemy.orm import Session

from ...checklists import OWNER_TEXT
from ...constants import TREND_WAVES
from ...errors import InvalidInput, NotFound
from ...messages import Message
from ...models import (
    Action,
    Answer,
    Audit,
    AuditFigures,
    ChecklistVersion,
    Dealer,
    Dispute,
    Region,
    ScoreVersion,
    Wave,
    utcnow,
)
from ...models.actions import is_overdue
from ...scoring import item_info_from_checklist, region_wave_score
from ..checklists import checklist_of
from ..disputes import DisputePolicy
from .cache import CachedWave, EarlierWave, earlier_cache, figures_cache, wave_key


@dataclass(slots=True, eq=False)
class AuditRecord:
    """One published audit of the program with its latest score version. Read-only by convention, not
    frozen: a 1,500-dealer wave makes 4,500 of them per request, and a frozen init costs twice as much.
    `score` may be shared with other requests (cache.py): it is never changed."""

    audit_id: uuid.UUID
    dealer_id: int
    shopper_id: int  # for the agency's dispute statistics only: never put in a dealer's data
    region_id: int
    score: dict[str, Any]
    version: int
    original_overall: float | None
    visited_at: datetime | None
    published_at: datetime | None
    revision_reason: str
    revised_at: datetime
    score_version_id: int | None = None  # the row of ScoreVersion that `score` comes from


@dataclass(frozen=True)
class DisputeRecord:
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


@dataclass(frozen=True)
class ActionRecord:
    """A corrective action of the program (services/actions): raised in this wave or an earlier one, or
    verified by this wave's visits. `overdue` is as of the time the wave was read."""

    id: int
    dealer_id: int
    wave_id: int
    wave_code: str
    item_key: str
    item_text: dict[str, str]
    origin: str
    status: str
    owner: str | None
    due_on: date
    overdue: bool
    points_lost: float
    knockout_cost: float
    verification: str | None
    verified_wave_id: int | None
    verified_visits: int | None
    verified_fully_met: int | None


@dataclass
class WaveData:
    """All published audits of one program in one wave, and the overalls of the program's earlier waves."""

    wave: Wave
    program: str | None  # the checklist key; None only for a wave that ran no program at all
    program_title: dict[str, str]
    audits: list[AuditRecord]
    dealers: dict[int, Dealer]
    regions: dict[int, Region]
    item_info: dict[str, dict[str, Any]]
    section_titles: dict[str, dict[str, str]]
    earlier_waves: list[Wave]  # the earlier waves in which the program has published audits, oldest first
    earlier: dict[int, EarlierWave]  # by wave id; may be shared with other requests (cache.py): never changed
    min_ranked: int
    disputes: list[DisputeRecord] = field(default_factory=list)
    # The shoppers' comments on items of these audits, by (audit, item): what a failed item looked like.
    comments: dict[tuple[uuid.UUID, str], str] = field(default_factory=dict)
    # The dispute rules the wave is read under (filing deadlines); None: no deadlines given.
    dispute_policy: DisputePolicy | None = None
    actions: list[ActionRecord] = field(default_factory=list)
    # What WaveFigures works out from `audits` alone, shared by every read of the same audits (cache).
    memo: dict[Any, Any] = field(default_factory=dict)
    _by_dealer: dict[int, list[AuditRecord]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for audit in self.audits:
            self._by_dealer.setdefault(audit.dealer_id, []).append(audit)

    def dealer_audits(self, dealer_id: int) -> list[AuditRecord]:
        return self._by_dealer.get(dealer_id, [])

    def dealer_ids_in(self, region_id: int | None = None) -> list[int]:
        return sorted(d for d, dealer in self.dealers.items()
                      if (region_id is None or dealer.region_id == region_id) and d in self._by_dealer)

    def earlier_overalls(self, wave_id: int) -> dict[int, list[float | None]]:
        """Per dealer, the overalls of its published audits of the program in an earlier wave."""
        earlier = self.earlier.get(wave_id)
        return earlier.overalls if earlier else {}

    def earlier_dealer_means(self, wave_id: int) -> dict[int, float | None]:
        """Per dealer, its mean in an earlier wave: dealer_wave_score's mean, without the interval."""
        earlier = self.earlier.get(wave_id)
        return earlier.dealer_means if earlier else {}

    def earlier_dealers_in(self, wave_id: int, region_id: int) -> set[int]:
        """The region's dealers (as they are now) with published audits of the program in an earlier wave."""
        return {d for d in self.earlier_overalls(wave_id) if self.dealers[d].region_id == region_id}


def wave_programs(session: Session, wave: Wave) -> list[str]:
    """The checklist keys the wave runs: those of its audits, whatever their status."""
    return list(session.scalars(
        select(ChecklistVersion.key).join(Audit, Audit.checklist_version_id == ChecklistVersion.id)
        .where(Audit.wave_id == wave.id).distinct().order_by(ChecklistVersion.key)))


def _find_wave(session: Session, wave_code: str) -> Wave:
    wave = session.scalar(select(Wave).where(Wave.code == wave_code))
    if wave is None:
        raise NotFound("figures.no_wave", wave=wave_code)
    return wave


def _chosen_program(wave: Wave, programs: list[str], program: str | None) -> str | None:
    """The program asked for, or the wave's only one; a wave of several programs needs one named."""
    listed = ", ".join(programs)
    if program is None:
        if len(programs) > 1:
            raise InvalidInput("figures.several_programs",
                               {"program": [Message("figures.program_required", programs=listed)]},
                               wave=wave.code, programs=listed)
        return programs[0] if programs else None
    if program not in programs:
        if programs:
            raise InvalidInput("figures.no_such_program",
                               {"program": [Message("figures.program_one_of", programs=listed)]},
                               wave=wave.code, program=program, programs=listed)
        raise InvalidInput("figures.no_such_program_empty", {"program": [Message("figures.wave_has_no_audits")]},
                           wave=wave.code, program=program)
    return program


def resolve_program(session: Session, wave_code: str, program: str | None) -> tuple[Wave, str | None]:
    """The wave and the program its figures are read for (see `_chosen_program`)."""
    wave = _find_wave(session, wave_code)
    return wave, _chosen_program(wave, wave_programs(session, wave), program)


def load_wave(session: Session, wave_code: str, min_ranked: int, program: str | None = None, *,
              dispute_policy: DisputePolicy | None = None, only_dealer: int | None = None,
              now: datetime | None = None, comments_for: Literal["all"] | int | None = "all") -> WaveData:
    """Fourteen queries at most, whatever the number of dealers, audits, disputes and earlier waves.

    `program` (a checklist key) is required when the wave ran more than one (InvalidInput otherwise).
    `only_dealer` reads one dealer's audits alone (its own figures are the same as in the whole wave's
    data; region and nation figures are not): what publishing one audit needs. `now` decides which
    corrective actions are overdue (default: the current time). `comments_for`: whose visits' comments
    are read ("all", one dealer's for its scorecard, or None when nothing shown quotes them).
    """
    now = now or utcnow()
    of_dealer: ColumnElement[bool] = Audit.dealer_id == only_dealer if only_dealer is not None else true()
    wave, key = resolve_program(session, wave_code, program)

    def published(*columns: Any) -> Select[Any]:
        # Each audit's latest score version through its AuditFigures row (one per audit). The queries
        # name the wave on both tables, so that PostgreSQL reads the wave's audits by their index
        # rather than hashing every audit of the database.
        return (select(*columns).select_from(AuditFigures)
                .join(Audit, Audit.id == AuditFigures.audit_id)
                .join(Dealer, Dealer.id == Audit.dealer_id)
                .where(Audit.status == "published", AuditFigures.program == key))

    rows = session.execute(
        published(AuditFigures.audit_id, Audit.dealer_id, Audit.shopper_id, Dealer.region_id,
                  Audit.checklist_version_id.label("version_id"), AuditFigures.score_version_id,
                  AuditFigures.version, AuditFigures.original_overall, Audit.visit_started_at.label("visited_at"),
                  Audit.published_at, ScoreVersion.reason.label("revision_reason"),
                  ScoreVersion.created_at.label("revised_at"))
        .join(ScoreVersion, ScoreVersion.id == AuditFigures.score_version_id)
        .where(AuditFigures.wave_id == wave.id, Audit.wave_id == wave.id, of_dealer)
        .order_by(Audit.visit_started_at, Audit.id)).all() if key is not None else []
    cached = _scores(session, published(AuditFigures.audit_id, AuditFigures.score_version_id, AuditFigures.figures)
                     .where(AuditFigures.wave_id == wave.id, Audit.wave_id == wave.id, of_dealer), wave, key, rows,
                     shared=only_dealer is None)
    version_ids = {row.version_id for row in rows}
    checklists = {version.id: checklist_of(version) for version in session.scalars(
        select(ChecklistVersion).where(ChecklistVersion.id.in_(version_ids)).order_by(ChecklistVersion.version))} \
        if version_ids else {}
    scores = cached.scores
    audits = [AuditRecord(audit_id, dealer_id, shopper_id, region_id, scores[audit_id], version, original_overall,
                          visited_at, published_at, revision_reason, revised_at, score_version_id)
              for (audit_id, dealer_id, shopper_id, region_id, _, score_version_id, version, original_overall,
                   visited_at, published_at, revision_reason, revised_at) in rows]
    # Trends and movers compare the same checklist key only (DESIGN 4), over the TREND_WAVES waves that
    # started last before this one and have published audits of it (of the dealer, for one dealer's).
    earlier_ids = list(session.scalars(
        select(Wave.id).where(Wave.starts_on < wave.starts_on,
                              published(AuditFigures.audit_id).where(AuditFigures.wave_id == Wave.id, of_dealer)
                              .exists())
        .order_by(Wave.starts_on.desc(), Wave.id.desc()).limit(TREND_WAVES))) if key is not None else []
    dealers = {d.id: d for d in session.scalars(select(Dealer))}
    earlier = _earlier_waves(session, key, earlier_ids, of_dealer, shared=only_dealer is None)
    waves = list(session.scalars(select(Wave).where(Wave.id.in_(earlier_ids)).order_by(Wave.starts_on))) \
        if earlier_ids else []
    regions = {r.id: r for r in session.scalars(select(Region))}
    item_info: dict[str, dict[str, Any]] = {}
    section_titles: dict[str, dict[str, str]] = {}
    program_title = {"zh": key or "", "en": key or ""}
    # Items are matched by key across versions; the newest version's wording wins.
    for checklist in checklists.values():
        item_info.update(item_info_from_checklist(checklist))
        section_titles.update({s.key: s.title.to_dict() for s in checklist.sections})
        program_title = checklist.title.to_dict()
        # What a gap row needs to say what to do (DESIGN 4): the pass standard, who fixes it, the remedy.
        for item in checklist.items.values():
            if item.key in item_info:
                item_info[item.key].update(
                    standard=item.help.to_dict() if item.help else None,
                    action=item.action.to_dict() if item.action else None,
                    owner=item.owner,
                    owner_text=dict(zip(("zh", "en"), OWNER_TEXT[item.owner])) if item.owner else None,
                    critical=item.critical)
    disputes = [DisputeRecord(d.id, d.audit_id, d.dealer_id, shopper_id, d.item_key, d.status, d.claim,
                              d.requested_outcome, d.final_reason or d.qa_reason, d.filed_at,
                              d.final_decided_at or d.qa_decided_at, d.escalated_at is not None,
                              d.qa_outcome, d.qa_reason, d.escalated_at, d.escalation_note, d.final_outcome,
                              d.final_reason, d.override, d.score_version)
                for d, shopper_id in session.execute(
                    select(Dispute, Audit.shopper_id).join(Audit, Audit.id == Dispute.audit_id)
                    .join(ChecklistVersion, ChecklistVersion.id == Audit.checklist_version_id)
                    .where(Audit.wave_id == wave.id, Audit.status == "published", ChecklistVersion.key == key,
                           of_dealer)
                    .order_by(Dispute.filed_at, Dispute.id))] if audits else []
    comments = {(row.audit_id, row.item_key): row.comment for row in session.execute(
        select(Answer.audit_id, Answer.item_key, Answer.comment)
        .join(Audit, Audit.id == Answer.audit_id)
        .join(ChecklistVersion, ChecklistVersion.id == Audit.checklist_version_id)
        .where(Audit.wave_id == wave.id, Audit.status == "published", ChecklistVersion.key == key,
               Answer.comment.is_not(None), Answer.comment != "", of_dealer,
               true() if comments_for == "all" else Audit.dealer_id == comments_for))} \
        if audits and comments_for is not None else {}
    actions = _actions(session, wave, key, dealers, now) if audits and only_dealer is None else []
    return WaveData(wave=wave, program=key, program_title=program_title, audits=audits, dealers=dealers,
                    regions=regions, item_info=item_info, section_titles=section_titles, earlier_waves=waves,
                    earlier=earlier, min_ranked=min_ranked, disputes=disputes, comments=comments,
                    dispute_policy=dispute_policy, actions=actions, memo=cached.memo)


def _scores(session: Session, query: Select[Any], wave: Wave, key: str | None, rows: Sequence[Any], *,
            shared: bool) -> CachedWave:
    """The figures of the audits in `rows`: from the process's cache when these very score versions were
    read before (services/figures/cache), else read with `query`. `shared`: the whole wave was read,
    so the result may serve (and be kept for) other requests."""
    cache_key = wave_key(wave.id, key, ((r.audit_id, r.dealer_id, r.region_id, r.score_version_id) for r in rows))
    entry = figures_cache.get(cache_key) if shared else None
    if entry is not None:
        return entry
    wanted = {row.audit_id: row.score_version_id for row in rows}
    read = session.execute(query).all() if rows else []
    entry = CachedWave({r.audit_id: r.figures for r in read if r.audit_id in wanted})
    # A version stored between the two reads: this request uses what it read, no later one does.
    if shared and all(wanted.get(r.audit_id) == r.score_version_id for r in read) and len(entry.scores) == len(wanted):
        figures_cache.put(cache_key, entry)
    missing = wanted.keys() - entry.scores.keys()
    if missing:  # published between the two reads: its figures are read now, with the rest
        entry.scores.update(session.execute(select(AuditFigures.audit_id, AuditFigures.figures)
                                            .where(AuditFigures.audit_id.in_(missing))).tuples().all())
    return entry


def _earlier_waves(session: Session, key: str | None, wave_ids: list[int],
                   of_dealer: ColumnElement[bool], *, shared: bool) -> dict[int, EarlierWave]:
    """Each earlier wave's overalls per dealer: from the process's cache when the wave's published
    figures are the ones read before (cache.EarlierKey, read by one grouped query), else read. The
    rows come in no particular order: means and spreads are exact sums (fsum), the same in any order.
    `shared`: all dealers' audits are read, so the result may serve (and be kept for) other requests."""
    if not wave_ids:
        return {}
    found: dict[int, EarlierWave] = {}
    if shared:
        # Without the audits: figures rows are written at publication only. Were one ever not, its wave
        # would miss the cache (the rows read below are the published ones), never be read wrong.
        for wave_id, published, version_ids in session.execute(
                select(AuditFigures.wave_id, func.count(), func.sum(AuditFigures.score_version_id))
                .where(AuditFigures.program == key, AuditFigures.wave_id.in_(wave_ids))
                .group_by(AuditFigures.wave_id)):
            entry = earlier_cache.get((wave_id, key, published, int(version_ids)))
            if entry is not None:
                found[wave_id] = entry
    missing = [wave_id for wave_id in wave_ids if wave_id not in found]
    if not missing:
        return found
    rows: dict[int, list[tuple[int, float | None, int]]] = {}
    for wave_id, dealer_id, overall, version_id in session.execute(
            select(AuditFigures.wave_id, Audit.dealer_id, AuditFigures.overall, AuditFigures.score_version_id)
            .select_from(AuditFigures).join(Audit, Audit.id == AuditFigures.audit_id)
            .where(Audit.status == "published", AuditFigures.program == key, AuditFigures.wave_id.in_(missing),
                   Audit.wave_id.in_(missing), of_dealer)):
        rows.setdefault(wave_id, []).append((dealer_id, overall, version_id))
    for wave_id, audits in rows.items():
        overalls: dict[int, list[float | None]] = {}
        for dealer_id, overall, _ in audits:
            overalls.setdefault(dealer_id, []).append(overall)
        found[wave_id] = EarlierWave(overalls, {d: region_wave_score(v) for d, v in overalls.items()})
        if shared:  # keyed by what was read, whatever the grouped query saw
            earlier_cache.put((wave_id, key, len(audits), sum(v for _, _, v in audits)), found[wave_id])
    return found


def _actions(session: Session, wave: Wave, key: str | None, dealers: dict[int, Dealer],
             now: datetime) -> list[ActionRecord]:
    """The program's corrective actions raised up to this wave (by start date), and those this wave verified."""
    rows = session.execute(
        select(Action, Wave.code).join(Wave, Wave.id == Action.wave_id)
        .where(Action.program == key, or_(Wave.starts_on <= wave.starts_on, Action.verified_wave_id == wave.id))
        .order_by(Wave.starts_on, Action.dealer_id, Action.id)).all()
    return [ActionRecord(id=a.id, dealer_id=a.dealer_id, wave_id=a.wave_id, wave_code=code, item_key=a.item_key,
                         item_text=dict(a.item_text), origin=a.origin, status=a.status, owner=a.owner, due_on=a.due,
                         overdue=is_overdue(a.status, a.due, dealers[a.dealer_id].timezone, now),
                         points_lost=a.points_lost, knockout_cost=a.knockout_cost, verification=a.verification,
                         verified_wave_id=a.verified_wave_id, verified_visits=a.verified_visits,
                         verified_fully_met=a.verified_fully_met)
            for a, code in rows]
