"""What a backup must hold besides the database dump, and the checks of a restore drill (scripts/backup.sh,
scripts/restore.sh): the objects the database refers to, and every score recomputed from its answers."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import storage
from ..models import Attachment, Audit, AuditFigures, ReportFile, ScoreVersion
from ..scoring import score_audit
from .attachments import key_of
from .checklists import checklist_of
from .reports import report_key
from .score_versions import answers_of, figures_of


@dataclass(frozen=True)
class StoredObject:
    namespace: str  # attachments | reports
    key: str
    sha256: str
    size: int | None  # None: a stripped copy of unknown size


def referenced_objects(session: Session) -> Iterator[StoredObject]:
    """Every object the database refers to, once each: originals, their metadata-free copies, PDFs."""
    seen: set[tuple[str, str]] = set()

    def once(item: StoredObject) -> Iterator[StoredObject]:
        if (item.namespace, item.key) not in seen:
            seen.add((item.namespace, item.key))
            yield item

    for row in session.scalars(select(Attachment).order_by(Attachment.id)):
        yield from once(StoredObject("attachments", key_of(row.sha256), row.sha256, row.size))
        if row.stripped_sha256 is not None:
            yield from once(StoredObject("attachments", key_of(row.stripped_sha256), row.stripped_sha256,
                                         row.stripped_size))
    for report in session.scalars(select(ReportFile).order_by(ReportFile.id)):
        yield from once(StoredObject("reports", report_key(report.sha256), report.sha256, report.size))


def missing_objects(objects: list[StoredObject], stores: dict[str, storage.ObjectStore]) -> list[StoredObject]:
    """The objects a store does not have with the recorded size."""
    missing = []
    for item in objects:
        try:
            size = stores[item.namespace].size(item.key)
        except storage.MissingObject:
            missing.append(item)
            continue
        if item.size is not None and size != item.size:
            missing.append(item)
    return missing


@dataclass(frozen=True)
class ScoreCheck:
    checked: int
    differing: list[str]  # "audit <id> version <n>"


def verify_scores(session: Session) -> ScoreCheck:
    """Recompute each audit's current score version from its answers and that version's overrides with
    the scoring engine, and compare it with the stored score, exactly."""
    latest = (select(ScoreVersion.audit_id, func.max(ScoreVersion.version).label("version"))
              .group_by(ScoreVersion.audit_id).subquery())
    rows = session.execute(select(ScoreVersion, Audit).join(latest, (ScoreVersion.audit_id == latest.c.audit_id)
                                                            & (ScoreVersion.version == latest.c.version))
                           .join(Audit, Audit.id == ScoreVersion.audit_id).order_by(Audit.id)).all()
    differing = []
    figures = {row.audit_id: row for row in session.scalars(select(AuditFigures))}
    for version, audit in rows:
        checklist = checklist_of(audit.checklist_version)
        result = score_audit(checklist, answers_of(session, audit), version.overrides or {})
        # Stored as JSON: compared as JSON, so a float is compared by its exact value.
        row = figures.get(audit.id)
        if json.loads(json.dumps(result.to_dict())) != version.score or result.overall != version.overall:
            differing.append(f"audit {audit.id} version {version.version}")
        # What the wave figures read must be that very version.
        elif row is None or row.score_version_id != version.id or row.figures != figures_of(version.score, checklist):
            differing.append(f"audit {audit.id} version {version.version}: its wave figures are not this version's")
    return ScoreCheck(len(rows), differing)
