"""Score versions: computing and storing an audit's score, and finding the latest ones."""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..checklists import Checklist
from ..models import Answer, Audit, AuditFigures, ScoreVersion, User
from ..scoring import score_audit, with_knockout_cost
from .checklists import checklist_of


def answers_of(session: Session, audit: Audit) -> dict[str, dict[str, Any]]:
    rows = session.scalars(select(Answer).where(Answer.audit_id == audit.id).order_by(Answer.item_key))
    return {row.item_key: row.to_json() for row in rows}


# What a wave's figures read of a score (services/figures): the rest of the stored score (the global
# weights, the excluded items) serves one audit's own views, which read the score version itself.
FIGURE_KEYS = ("overall", "overall_raw", "sections", "sections_raw", "dimensions", "knockouts", "points_lost",
               "knockout_cost", "failed", "ratios")


def figures_of(score: Mapping[str, Any], checklist: Checklist) -> dict[str, Any]:
    """The `AuditFigures.figures` of a stored score: the same values, knockout_cost always present."""
    full = with_knockout_cost(checklist, score)
    return {key: full[key] for key in FIGURE_KEYS}


def store_score_version(session: Session, audit: Audit, actor: User | None, reason: str,
                        overrides: Mapping[str, Any] | None = None) -> ScoreVersion:
    """Compute the audit's score from its answers plus overrides and keep it as the next version."""
    checklist = checklist_of(audit.checklist_version)
    result = score_audit(checklist, answers_of(session, audit), overrides or {})
    latest = session.scalar(select(func.max(ScoreVersion.version)).where(ScoreVersion.audit_id == audit.id))
    version = ScoreVersion(audit_id=audit.id, version=(latest or 0) + 1, overall=result.overall,
                           overall_raw=result.overall_raw, score=result.to_dict(), overrides=dict(overrides or {}),
                           reason=reason, created_by_id=actor.id if actor else None)
    session.add(version)
    session.flush()
    _replace_figures(session, audit, checklist, version)
    return version


def _replace_figures(session: Session, audit: Audit, checklist: Checklist, version: ScoreVersion) -> None:
    row = session.get(AuditFigures, audit.id)
    if row is None:
        row = AuditFigures(audit_id=audit.id, original_overall=version.overall)
        session.add(row)
    row.wave_id, row.program = audit.wave_id, checklist.key
    row.score_version_id, row.version = version.id, version.version
    row.overall, row.figures = version.overall, figures_of(version.score, checklist)
    session.flush()


def latest_versions(session: Session, audit_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ScoreVersion]:
    """The latest score version of each audit, in one query."""
    ids = list(audit_ids)
    if not ids:
        return {}
    newest = (select(ScoreVersion.audit_id, func.max(ScoreVersion.version).label("version"))
              .where(ScoreVersion.audit_id.in_(ids)).group_by(ScoreVersion.audit_id).subquery())
    rows = session.scalars(select(ScoreVersion).join(
        newest, (ScoreVersion.audit_id == newest.c.audit_id) & (ScoreVersion.version == newest.c.version)))
    return {row.audit_id: row for row in rows}


def original_overalls(session: Session, audit_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, float | None]:
    """Version 1's overall of each audit: shown beside a revised score."""
    ids = list(audit_ids)
    if not ids:
        return {}
    rows = session.execute(select(ScoreVersion.audit_id, ScoreVersion.overall)
                           .where(ScoreVersion.audit_id.in_(ids), ScoreVersion.version == 1))
    return dict(rows.all())


def stored_score(version: ScoreVersion, checklist: Checklist) -> dict[str, Any]:
    """A score version's score dict, with knockout_cost even for a version stored before it existed
    (versions are append-only, so the cost is recomputed from the stored score and its checklist)."""
    return with_knockout_cost(checklist, version.score)


def score_payload(version: ScoreVersion, checklist: Checklist, original_overall: float | None) -> dict[str, Any]:
    """`checklist` is the audit's checklist version: it completes a score stored before knockout_cost."""
    score = stored_score(version, checklist)
    return {"audit_id": str(version.audit_id), "version": version.version, "overall": score["overall"],
            "overall_raw": score["overall_raw"], "sections": score["sections"],
            "dimensions": score["dimensions"], "knockouts": score["knockouts"],
            "points_lost": score["points_lost"], "knockout_cost": score["knockout_cost"],
            "revised": version.version > 1,
            "original_overall": original_overall, "computed_at": version.created_at}
