"""Report data of a wave, the reports already rendered, and storing new renderings with their sources.

Rendered PDFs are kept by the configured object store (auditapp/storage.py: the folder REPORT_DIR by
default, or S3) under ab/<sha256>.pdf."""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import storage
from ..checklists.model import KEY_PATTERN
from ..constants import REPORT_LANGUAGES
from ..errors import NotFound
from ..limits import CODE_RULE, is_code
from ..models import Dealer, Region, ReportFile
from .disputes import DisputePolicy
from .figures import WaveData, WaveFigures, dealer_scorecard, region_leaderboard


@dataclass(frozen=True)
class ReportSource:
    """What one PDF will show, and what it is made from."""
    kind: str
    wave_id: int
    program: str  # the checklist key: a report shows one program (DESIGN 2)
    dealer: Dealer | None
    region: Region
    lang: str
    data: dict[str, Any]
    score_versions: list[list[Any]]
    content_digest: str

    @property
    def key(self) -> str:
        subject = f"dealer-{self.dealer.code}" if self.dealer else f"region-{self.region.code}"
        return f"{self.kind}:{subject}:{self.program}:{self.lang}"

    @property
    def file_name(self) -> str:
        """A readable name for the output folder, made of codes only (a code stored before the API
        checked them could otherwise name a path outside it)."""
        codes = [self.region.code] + ([self.dealer.code] if self.dealer is not None else [])
        bad = [code for code in codes if not is_code(code)]
        if not re.fullmatch(KEY_PATTERN, self.program):
            bad.append(self.program)
        if bad or self.lang not in REPORT_LANGUAGES:
            raise UnsafeFileName(f"cannot name a report file after {bad or self.lang!r}: codes must be {CODE_RULE}")
        if self.dealer is not None:
            return f"{self.region.code}/scorecard-{self.dealer.code}-{self.program}-{self.lang}.pdf"
        return f"{self.region.code}/region-report-{self.region.code}-{self.program}-{self.lang}.pdf"


class UnsafeFileName(ValueError):
    """A code that cannot be part of a file path."""


def templates_digest(template_dir: str | os.PathLike[str], font_recipe: str) -> str:
    """Changes when a template, the stylesheet or the font recipe changes: reports then re-render."""
    digest = hashlib.sha256(font_recipe.encode())
    for path in sorted(Path(template_dir).rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _digest(kind: str, lang: str, data: dict[str, Any], templates: str) -> str:
    canonical = json.dumps({"kind": kind, "lang": lang, "data": data, "templates": templates},
                           sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _versions(data: WaveData, dealer_ids: Iterable[int]) -> list[list[Any]]:
    return [[str(a.audit_id), a.version] for d in dealer_ids for a in data.dealer_audits(d)]


def _program(data: WaveData) -> str:
    if data.program is None:
        raise NotFound("reports.wave_has_no_audits", wave=data.wave.code)
    return data.program


def dealer_source(data: WaveData, figures: WaveFigures, dealer: Dealer, lang: str, templates: str) -> ReportSource:
    card = dealer_scorecard(data, dealer, figures)
    return ReportSource("dealer_scorecard", data.wave.id, _program(data), dealer, data.regions[dealer.region_id],
                        lang, card,
                        _versions(data, [dealer.id]), _digest("dealer_scorecard", lang, card, templates))


def region_source(data: WaveData, figures: WaveFigures, region: Region, lang: str, templates: str, *,
                  policy: DisputePolicy, now: datetime) -> ReportSource:
    board = region_leaderboard(data, region, figures, policy=policy, now=now)
    return ReportSource("region_report", data.wave.id, _program(data), None, region, lang, board,
                        _versions(data, data.dealer_ids_in(region.id)),
                        _digest("region_report", lang, board, templates))


def wave_sources(data: WaveData, *, langs: Iterable[str], templates: str, policy: DisputePolicy, now: datetime,
                 region_ids: Iterable[int] | None = None) -> list[ReportSource]:
    """Every region report and dealer scorecard of the wave's program `data` (dealers with published
    audits of it); `policy` and `now` decide which open disputes the region reports list as overdue."""
    figures = WaveFigures(data)
    wanted = set(region_ids) if region_ids is not None else None
    langs = list(langs)
    sources: list[ReportSource] = []
    for region_id in figures.region_ids:
        if wanted is not None and region_id not in wanted:
            continue
        region = data.regions[region_id]
        sources.extend(region_source(data, figures, region, lang, templates, policy=policy, now=now)
                       for lang in langs)
        for dealer_id in data.dealer_ids_in(region_id):
            sources.extend(dealer_source(data, figures, data.dealers[dealer_id], lang, templates) for lang in langs)
    return sources


Where = str | os.PathLike[str] | storage.ObjectStore


def report_store(report_dir: Where) -> storage.ObjectStore:
    """The store of rendered PDFs: the configured one when named by the REPORT_DIR setting."""
    return storage.resolve(report_dir, "reports")


def report_key(sha256: str) -> str:
    """ab/<sha256>.pdf: in the folder (as always) and in the bucket alike."""
    return f"{sha256[:2]}/{sha256}.pdf"


def rendered(session: Session, sources: Iterable[ReportSource], report_dir: Where) -> dict[str, ReportFile]:
    """The stored renderings whose content is exactly that of a source (by key), files present."""
    sources = list(sources)
    digests = {s.content_digest for s in sources}
    if not digests:
        return {}
    found = {row.content_digest: row for row in session.scalars(
        select(ReportFile).where(ReportFile.content_digest.in_(digests)).order_by(ReportFile.id))}
    store = report_store(report_dir)
    present = {sha: store.exists(report_key(sha)) for sha in {row.sha256 for row in found.values()}}
    return {s.key: found[s.content_digest] for s in sources
            if s.content_digest in found and present[found[s.content_digest].sha256]}


def pdf_path(report_dir: str | os.PathLike[str], sha256: str) -> Path:
    """A file of this machine with the stored PDF: in the folder backend the stored file itself; with an
    object store a copy fetched once into the same place of the folder (a PDF's bytes never change under
    its hash, so the copy never goes stale). `open_rendering` streams it without a copy."""
    path = Path(report_dir) / report_key(sha256)
    store = report_store(report_dir)
    if store.local_path(report_key(sha256)) is None and not path.is_file():
        try:
            with store.open(report_key(sha256)) as reader:
                storage.LocalFolderStore(report_dir).put_stream(report_key(sha256), reader, sha256=sha256,
                                                                content_type="application/pdf")
        except storage.MissingObject:
            pass  # as before: the path of a file that is not there
    return path


def open_rendering(report_dir: Where, sha256: str) -> storage.Reader:
    """A stored PDF for streamed reading."""
    try:
        return report_store(report_dir).open(report_key(sha256))
    except storage.MissingObject:
        raise NotFound("reports.file_missing") from None


def rendering_bytes(report_dir: Where, sha256: str) -> bytes:
    with open_rendering(report_dir, sha256) as reader:
        return reader.read()


def store_rendering(session: Session, source: ReportSource, pdf: bytes, report_dir: Where) -> ReportFile:
    sha = hashlib.sha256(pdf).hexdigest()
    store = report_store(report_dir)
    store.put_bytes(report_key(sha), pdf, content_type="application/pdf")
    # One row per content: a second rendering of the same content (a task run twice, two batches at
    # once) points the row at its file rather than adding another.
    existing = session.scalar(select(ReportFile).where(ReportFile.content_digest == source.content_digest))
    if existing is not None:
        if not store.exists(report_key(existing.sha256)):
            existing.sha256, existing.size = sha, len(pdf)
            session.flush()
        return existing
    row = ReportFile(kind=source.kind, wave_id=source.wave_id, program=source.program,
                     dealer_id=source.dealer.id if source.dealer else None, region_id=source.region.id,
                     lang=source.lang, content_digest=source.content_digest, sha256=sha,
                     size=len(pdf), score_versions=source.score_versions)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # stored at the same moment by another worker
        return session.scalars(select(ReportFile).where(
            ReportFile.content_digest == source.content_digest)).one()
    return row


def source_payload(source: ReportSource) -> dict[str, Any]:
    """A report source as a task message carries it (JSON): ids instead of loaded rows."""
    return {"key": source.key, "kind": source.kind, "wave_id": source.wave_id, "program": source.program,
            "dealer_id": source.dealer.id if source.dealer is not None else None, "region_id": source.region.id,
            "lang": source.lang, "data": source.data, "score_versions": source.score_versions,
            "content_digest": source.content_digest}


def source_from_payload(session: Session, payload: dict[str, Any]) -> ReportSource:
    dealer = session.get(Dealer, payload["dealer_id"]) if payload["dealer_id"] is not None else None
    region = session.get(Region, payload["region_id"])
    if region is None or (payload["dealer_id"] is not None and dealer is None):
        raise NotFound("reports.subject_gone")
    return ReportSource(payload["kind"], payload["wave_id"], payload["program"], dealer, region, payload["lang"],
                        payload["data"], payload["score_versions"], payload["content_digest"])


def stored_rendering(session: Session, payload: dict[str, Any], report_dir: str) -> tuple[ReportSource,
                                                                                           ReportFile | None]:
    """The source a job message describes, and its stored rendering if exactly this content has one."""
    source = source_from_payload(session, payload)
    return source, rendered(session, [source], report_dir).get(source.key)
