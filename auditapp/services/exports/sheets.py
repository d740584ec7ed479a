"""The sheets of a wave's export (DESIGN 11): columns and rows, cut to one reader's scope.

Every figure comes from `services.figures` (the scores stored at scoring time, the dealer, region and
nation figures of `WaveFigures`, the leaderboards): nothing here computes a score. Rows are produced
lazily, one at a time, so that the writers stream them; the items sheet reads the answers in batches
of audits, so its memory stays the same whatever the wave's size.

Everything a row needs from the database objects is copied into plain values when the export is
prepared: the CSV rows are produced after the request's transaction has committed.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...checklists import DIMENSION_TEXT, OWNER_TEXT
from ...checklists.answers import visible_answers
from ...checklists.model import Checklist
from ...constants import EXPORT_SHEETS, OPEN_DISPUTE_STATUSES
from ...models import Answer, Audit, ChecklistVersion, ScoreVersion, User
from ...scoring import ItemGap, Leaderboard, drives, effective_answers, with_knockout_cost
from ..access import ResultsScope
from ..checklists import checklist_of
from ..disputes import DisputePolicy
from ..figures import AuditRecord, WaveFigures, band_of, load_wave

# Audits whose answers are read in one query for the items sheet: bounds the memory of that sheet.
ITEM_BATCH_AUDITS = 100

Cell = str | float | int | bool | date | None

@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    # How the cells are shown: `number` (full precision, one decimal shown), `ratio` (two decimals),
    # `integer`, `date` (the dealer's local date), `boolean`, `text`.
    kind: str = "text"


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    rows: Callable[[], Iterator[list[Cell]]]  # each row's cells in column order


@dataclass(frozen=True)
class _Dealer:
    id: int
    code: str
    name_zh: str
    name_en: str
    region_id: int
    timezone: str


@dataclass(frozen=True)
class _Region:
    id: int
    code: str
    name_zh: str
    name_en: str


def _local_date(moment: datetime | None, zone: ZoneInfo) -> date | None:
    """The date as the dealer lives it (07:00 in Shanghai is the previous day in UTC)."""
    return moment.astimezone(zone).date() if moment is not None else None


class WaveExport:
    """One program of one wave, as one reader may see it; `sheet(name)` gives a sheet's columns and rows."""

    def __init__(self, session: Session, wave_code: str, program: str | None, scope: ResultsScope, *,
                 min_ranked: int, dispute_policy: DisputePolicy | None = None,
                 reader: Callable[[], Session] | None = None):
        """`reader` gives the session the items sheet reads its answers with while its rows are produced:
        a streamed response produces them after the request's own session has been closed."""
        data = load_wave(session, wave_code, min_ranked, program, dispute_policy=dispute_policy)
        self._reader = reader or (lambda: session)
        self.scope = scope
        self.wave_code = data.wave.code
        self.program = data.program
        self.figures = WaveFigures(data)
        self._item_info = data.item_info
        self._section_titles = data.section_titles
        self._dealers = {d.id: _Dealer(d.id, d.code, d.name_zh, d.name_en, d.region_id, d.timezone)
                         for d in data.dealers.values()}
        self._regions = {r.id: _Region(r.id, r.code, r.name_zh, r.name_en) for r in data.regions.values()}
        # The published audits in scope, by dealer code then visit time (a dealer's visits in order).
        visible = [a for a in data.audits if scope.sees_dealer(a.dealer_id, a.region_id)]
        self._audits = sorted(visible, key=lambda a: (
            self._dealers[a.dealer_id].code, a.visited_at is None,
            a.visited_at or a.published_at or a.revised_at, str(a.audit_id)))
        self._under_dispute = {d.audit_id for d in data.disputes if d.status in OPEN_DISPUTE_STATUSES}
        self._shoppers: dict[int, str] = {}
        if scope.shopper and self._audits:
            ids = {a.shopper_id for a in self._audits}
            self._shoppers = dict(session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())
        self._checklists: dict[int, Checklist] = {}
        # The leaderboards and each region's dealers, taken now: they read the dealers' database rows,
        # which are no longer loaded when a streamed response produces its rows.
        self._boards = {r.id: self.figures.leaderboard(r.id) for r in self._scope_regions()}
        self._nation_board = self.figures.national_leaderboard()
        self._region_dealers = {r.id: [d for d in self.figures.dealer_ids if self._dealers[d].region_id == r.id]
                                for r in self._scope_regions()}

    def sheet(self, name: str) -> Sheet:
        builders = {"audits": self._audits_sheet, "items": self._items_sheet, "dealers": self._dealers_sheet,
                    "gaps": self._gaps_sheet}
        return builders[name]()

    def sheets(self) -> list[Sheet]:
        return [self.sheet(name) for name in EXPORT_SHEETS]

    # --- audits: one row per published audit ----------------------------------------------------------

    def _audits_sheet(self) -> Sheet:
        sections = list(self._section_titles)
        columns = [
            Column("audit_id", "稽核编号", "Audit ID"),
            *_dealer_columns(),
            Column("visited_on", "到访日期", "Visit date", "date"),
            Column("published_on", "发布日期", "Published on", "date"),
            Column("overall", "总分", "Overall", "number"),
            Column("overall_raw", "总分（未计否决项）", "Overall before knock-outs", "number"),
            *(Column(f"section:{key}", self._section_titles[key]["zh"], self._section_titles[key]["en"], "number")
              for key in sections),
            Column("knockouts", "否决项", "Knock-outs"),
            Column("knockout_cost", "否决项扣分", "Knock-out cost", "number"),
            Column("score_version", "评分版本", "Score version", "integer"),
            Column("revised", "已修订", "Revised", "boolean"),
            Column("original_overall", "原总分", "Original overall", "number"),
            Column("under_dispute", "申诉中", "Under dispute", "boolean"),
        ]
        if self.scope.shopper:
            columns.append(Column("shopper", "神秘顾客", "Shopper"))

        def rows() -> Iterator[list[Cell]]:
            for audit in self._audits:
                dealer = self._dealers[audit.dealer_id]
                zone = ZoneInfo(dealer.timezone)
                score = audit.score
                cost = score.get("knockout_cost", {})
                row: list[Cell] = [
                    str(audit.audit_id), *self._dealer_cells(dealer),
                    _local_date(audit.visited_at, zone), _local_date(audit.published_at, zone),
                    score["overall"], score["overall_raw"],
                    *(score["sections"].get(key) for key in sections),
                    "; ".join(f"{k['item']} ({k['scope']})" for k in score["knockouts"]),
                    sum(cost.values()) if score["knockouts"] else None,
                    audit.version, audit.version > 1,
                    audit.original_overall if audit.version > 1 else None,
                    audit.audit_id in self._under_dispute,
                ]
                if self.scope.shopper:
                    row.append(self._shoppers.get(audit.shopper_id, ""))
                yield row
        return Sheet("audits", tuple(columns), rows)

    # --- items: one row per audit × item of its checklist version ----------------------------------------

    def _items_sheet(self) -> Sheet:
        columns = (
            Column("audit_id", "稽核编号", "Audit ID"),
            Column("dealer_code", "经销商代码", "Dealer code"),
            Column("region_code", "区域代码", "Region code"),
            Column("visited_on", "到访日期", "Visit date", "date"),
            Column("section", "环节代码", "Section key"),
            Column("section_zh", "环节", "Section (Chinese)"),
            Column("section_en", "环节（英文）", "Section"),
            Column("item", "项目代码", "Item key"),
            Column("item_zh", "项目", "Item (Chinese)"),
            Column("item_en", "项目（英文）", "Item"),
            Column("type", "类型", "Type"),
            Column("value", "答案", "Value"),
            Column("overridden", "申诉改判", "Changed by dispute", "boolean"),
            Column("ratio", "得分率", "Ratio", "ratio"),
            Column("points_available", "分值", "Points available", "number"),
            Column("points_lost", "失分", "Points lost", "number"),
            Column("knockout_cost", "否决项扣分", "Knock-out cost", "number"),
            Column("knockout", "否决项范围", "Knock-out scope"),
            Column("failed", "未达标", "Failed", "boolean"),
            Column("na", "不适用", "N/A", "boolean"),
            Column("hidden", "未显示", "Hidden", "boolean"),
            Column("excluded", "不计分", "Excluded", "boolean"),
            Column("attachments", "附件数", "Attachments", "integer"),
            Column("comment", "备注", "Comment"),
        )

        def rows() -> Iterator[list[Cell]]:
            for start in range(0, len(self._audits), ITEM_BATCH_AUDITS):
                batch = self._audits[start:start + ITEM_BATCH_AUDITS]
                versions, answers, overrides, scores = self._item_inputs(batch)
                for audit in batch:
                    checklist = self._checklist(versions[audit.audit_id])
                    yield from self._item_rows(audit, checklist, with_knockout_cost(checklist, scores[audit.audit_id]),
                                               answers.get(audit.audit_id, {}), overrides.get(audit.audit_id, {}))
        return Sheet("items", columns, rows)

    def _item_inputs(self, batch: Sequence[AuditRecord]) -> tuple[
            dict[uuid.UUID, int], dict[uuid.UUID, dict[str, dict[str, Any]]], dict[uuid.UUID, dict[str, Any]],
            dict[uuid.UUID, dict[str, Any]]]:
        """For a batch of audits: each one's checklist version, answers, and the overrides and score of
        the score version the export shows (three queries)."""
        ids = [a.audit_id for a in batch]
        session = self._reader()
        versions = dict(session.execute(select(Audit.id, Audit.checklist_version_id).where(Audit.id.in_(ids))).all())
        answers: dict[uuid.UUID, dict[str, dict[str, Any]]] = {}
        # Columns, not Answer objects: a batch's answers are read once and dropped, the identity map and
        # the objects' bookkeeping would only add to the batch's memory. The shape is Answer.to_json's.
        for audit_id, key, value, na, comment, attachments in session.execute(
                select(Answer.audit_id, Answer.item_key, Answer.value, Answer.na, Answer.comment, Answer.attachments)
                .where(Answer.audit_id.in_(ids))):
            answer: dict[str, Any] = {"na": True} if na else {} if value is None else {"value": value}
            if comment:
                answer["comment"] = comment
            if attachments:
                answer["attachments"] = list(attachments)
            answers.setdefault(audit_id, {})[key] = answer
        # The score version the export shows, whole: the wave's figures leave out the global weights and
        # the excluded items that these rows print.
        shown_versions = session.execute(
            select(ScoreVersion.audit_id, ScoreVersion.overrides, ScoreVersion.score)
            .where(ScoreVersion.id.in_([a.score_version_id for a in batch]))).all()
        overrides = {r.audit_id: dict(r.overrides or {}) for r in shown_versions}
        scores = {r.audit_id: r.score for r in shown_versions}
        return versions, answers, overrides, scores

    def _checklist(self, version_id: int) -> Checklist:
        checklist = self._checklists.get(version_id)
        if checklist is None:
            row = self._reader().get(ChecklistVersion, version_id)
            assert row is not None  # an audit's checklist version is a foreign key
            checklist = self._checklists[version_id] = checklist_of(row)
        return checklist

    def _item_rows(self, audit: AuditRecord, checklist: Checklist, score: Mapping[str, Any],
                   answers: Mapping[str, dict[str, Any]], overrides: Mapping[str, Any]) -> Iterator[list[Cell]]:
        dealer = self._dealers[audit.dealer_id]
        visited = _local_date(audit.visited_at, ZoneInfo(dealer.timezone))
        region = self._regions[dealer.region_id].code
        effective = effective_answers(answers, overrides)
        shown = visible_answers(checklist, effective)
        excluded = set(score["excluded"])
        failed = set(score["failed"])
        cost = score.get("knockout_cost", {})
        weights = score["global_weights"]
        for section in checklist.sections:
            for item in section.items:
                answer = effective.get(item.key, {})
                ratio = score["ratios"].get(item.key)
                yield [
                    str(audit.audit_id), dealer.code, region, visited,
                    section.key, section.title.zh, section.title.en,
                    item.key, item.text.zh, item.text.en, item.type,
                    _value_cell(answer.get("value")), item.key in overrides,
                    ratio, 100 * weights[item.key] if item.key in weights else None,
                    score["points_lost"].get(item.key), cost.get(item.key),
                    item.critical if item.critical != "none" else "",
                    item.key in failed, bool(answer.get("na")), item.key not in shown, item.key in excluded,
                    len(answer.get("attachments", [])), answers.get(item.key, {}).get("comment", ""),
                ]

    # --- dealers: the leaderboard ----------------------------------------------------------------------

    def _dealers_sheet(self) -> Sheet:
        columns = (
            *_dealer_columns(),
            Column("mean", "波次得分", "Wave score", "number"),
            Column("n", "稽核数", "Audits", "integer"),
            Column("lo", "90% 区间下限", "90% interval low", "number"),
            Column("hi", "90% 区间上限", "90% interval high", "number"),
            Column("band", "等级", "Band"),
            Column("region_rank", "区域排名", "Region rank", "integer"),
            Column("region_best", "区域可能最佳名次", "Region rank best", "integer"),
            Column("region_worst", "区域可能最差名次", "Region rank worst", "integer"),
            Column("region_ranked", "区域参与排名数", "Ranked in region", "integer"),
            Column("nation_rank", "全国排名", "National rank", "integer"),
            Column("nation_best", "全国可能最佳名次", "National rank best", "integer"),
            Column("nation_worst", "全国可能最差名次", "National rank worst", "integer"),
            Column("nation_ranked", "全国参与排名数", "Ranked nationally", "integer"),
            Column("insufficient_sample", "样本不足", "Insufficient sample", "boolean"),
        )

        def rows() -> Iterator[list[Cell]]:
            nation = _ranks(self._nation_board)
            for region in self._scope_regions():
                board = self._boards[region.id]
                ranks = _ranks(board)
                for dealer_id, score in [*((r.dealer_id, r.score) for r in board.ranked),
                                         *((u.dealer_id, u.score) for u in board.insufficient)]:
                    dealer = self._dealers[int(dealer_id)]
                    if not self.scope.sees_dealer(dealer.id, dealer.region_id):
                        continue
                    own, national = ranks.get(dealer.id), nation.get(dealer.id)
                    yield [*self._dealer_cells(dealer), score.mean, score.n, score.lo, score.hi, band_of(score.mean),
                           *(own or (None, None, None)), len(board.ranked) if own else None,
                           *(national or (None, None, None)), len(nation) if national else None,
                           own is None]
        return Sheet("dealers", columns, rows)

    # --- gaps: per item at dealer, region and nation scope -------------------------------------------

    def _gaps_sheet(self) -> Sheet:
        columns = (
            Column("scope", "范围", "Scope"),
            Column("code", "代码", "Code"),
            Column("name_zh", "名称", "Name (Chinese)"),
            Column("name_en", "名称（英文）", "Name"),
            Column("region_code", "区域代码", "Region code"),
            Column("item", "项目代码", "Item key"),
            Column("item_zh", "项目", "Item (Chinese)"),
            Column("item_en", "项目（英文）", "Item"),
            Column("section", "环节代码", "Section key"),
            Column("dimension", "服务质量维度", "Dimension"),
            Column("owner", "责任岗位", "Owner"),
            Column("critical", "否决项范围", "Knock-out scope"),
            Column("mean_points_lost", "平均失分", "Mean points lost", "number"),
            Column("mean_knockout_cost", "平均否决项扣分", "Mean knock-out cost", "number"),
            Column("mean_points_lost_total", "平均失分合计", "Mean points lost, total", "number"),
            Column("failed", "未达标次数", "Failed", "integer"),
            Column("n", "稽核数", "Audits", "integer"),
            Column("fully_met", "完全达标", "Fully met", "integer"),
            Column("partly_met", "部分达标", "Partly met", "integer"),
            Column("not_met", "完全未达标", "Not met", "integer"),
            Column("drives_region", "拉低区域", "Drives region gap", "boolean"),
        )
        figures = self.figures

        def rows() -> Iterator[list[Cell]]:
            for region in self._scope_regions():
                region_gaps = figures.region(region.id).gaps
                for dealer_id in self._region_dealers[region.id]:
                    dealer = self._dealers[dealer_id]
                    if self.scope.sees_dealer(dealer.id, dealer.region_id):
                        yield from self._gap_rows("dealer", dealer.code, dealer.name_zh, dealer.name_en, region.code,
                                                  figures.dealer_gaps[dealer_id], region_gaps)
            for region in self._scope_regions():
                yield from self._gap_rows("region", region.code, region.name_zh, region.name_en, region.code,
                                          figures.region(region.id).gaps, None)
            if self._audits:
                yield from self._gap_rows("nation", "", "全国", "Nation", "", figures.nation.gaps, None)
        return Sheet("gaps", columns, rows)

    def _gap_rows(self, scope: str, code: str, name_zh: str, name_en: str, region_code: str,
                  gaps: Mapping[str, ItemGap], region_gaps: Mapping[str, ItemGap] | None) -> Iterator[list[Cell]]:
        for key in _ordered(gaps, self._item_info):
            gap, info = gaps[key], self._item_info.get(key, {})
            text = info.get("text", {"zh": key, "en": key})
            dimension, owner = info.get("dimension"), info.get("owner")
            yield [scope, code, name_zh, name_en, region_code, key, text["zh"], text["en"], info.get("section", ""),
                   _pair(DIMENSION_TEXT.get(str(dimension))) or (dimension or ""),
                   _pair(OWNER_TEXT.get(str(owner))) or (owner or ""),
                   info.get("critical", "none") if info.get("critical", "none") != "none" else "",
                   gap.mean_points_lost, gap.mean_knockout_cost, gap.total, gap.failed, gap.n,
                   gap.fully_met, gap.partly_met, gap.not_met,
                   drives(gap, region_gaps[key]) if region_gaps is not None and key in region_gaps else None]

    # --- shared ----------------------------------------------------------------------------------------

    def _scope_regions(self) -> list[_Region]:
        """The regions of the wave's program in scope, by code."""
        return sorted((self._regions[r] for r in self.figures.region_ids if self.scope.sees_region(r)),
                      key=lambda r: r.code)

    def _dealer_cells(self, dealer: _Dealer) -> list[Cell]:
        region = self._regions[dealer.region_id]
        return [dealer.code, dealer.name_zh, dealer.name_en, region.code, region.name_zh, region.name_en]


def _dealer_columns() -> tuple[Column, ...]:
    return (Column("dealer_code", "经销商代码", "Dealer code"), Column("dealer_zh", "经销商", "Dealer (Chinese)"),
            Column("dealer_en", "经销商（英文）", "Dealer"), Column("region_code", "区域代码", "Region code"),
            Column("region_zh", "区域", "Region (Chinese)"), Column("region_en", "区域（英文）", "Region"))


def _ranks(board: Leaderboard) -> dict[int, tuple[int, int, int]]:
    """Rank, best and worst plausible rank of each ranked dealer: the leaderboard's own figures."""
    return {int(r.dealer_id): (r.rank, r.best, r.worst) for r in board.ranked}


def _ordered(gaps: Mapping[str, ItemGap], item_info: Mapping[str, Any]) -> list[str]:
    """Items in checklist order (the newest version's), any other key after them."""
    return [k for k in item_info if k in gaps] + sorted(k for k in gaps if k not in item_info)


def _pair(texts: Iterable[str] | None) -> str:
    """A bilingual vocabulary entry as one cell: "可靠性 Reliability"."""
    return " ".join(texts) if texts else ""


def _value_cell(value: Any) -> Cell:
    """An answer value as a cell: numbers stay numbers, option keys and text stay text."""
    if value is None or isinstance(value, (str, int, float)):
        return value  # bool is an int: a stored yes/no is a string, never a bool
    return str(value)
