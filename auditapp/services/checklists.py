"""Storing checklist versions, and reading them back as frozen checklists."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..checklists import Checklist, checklist_from_document
from ..errors import Conflict, NotFound
from ..messages import Message
from ..models import ChecklistVersion


def store_checklists(session: Session, checklists: Iterable[Checklist]) -> list[tuple[Checklist, str]]:
    """Store new versions; an existing version must be identical (published versions never change).

    Returns (checklist, "loaded" | "unchanged") per checklist; raises Conflict before storing anything
    if any version already exists with different content.
    """
    checklists = list(checklists)
    existing = {
        (row.key, row.version): row
        for row in session.scalars(select(ChecklistVersion).where(
            ChecklistVersion.key.in_({c.key for c in checklists})))
    }
    changed = [c for c in checklists
               if (c.key, c.version) in existing and existing[(c.key, c.version)].content_hash != c.content_hash]
    if changed:
        raise Conflict(
            "checklist.published_immutable",
            {f"{c.key} v{c.version}": [Message("checklist.differs_from_loaded")] for c in changed})
    results = []
    for checklist in checklists:
        if (checklist.key, checklist.version) in existing:
            results.append((checklist, "unchanged"))
            continue
        session.add(ChecklistVersion(
            key=checklist.key, version=checklist.version, title_zh=checklist.title.zh,
            title_en=checklist.title.en, document=dict(checklist.document), content_hash=checklist.content_hash))
        results.append((checklist, "loaded"))
    session.flush()
    return results


# Checklist versions are few and immutable: parse each stored document once per process.
_parsed: dict[str, Checklist] = {}


def checklist_of(row: ChecklistVersion) -> Checklist:
    """The frozen checklist of a stored version."""
    checklist = _parsed.get(row.content_hash)
    if checklist is None:
        checklist = checklist_from_document(row.document, f"stored checklist {row.key} v{row.version}")
        _parsed[row.content_hash] = checklist
    return checklist


def get_version(session: Session, key: str, version: int) -> ChecklistVersion:
    row = session.scalar(select(ChecklistVersion).where(
        ChecklistVersion.key == key, ChecklistVersion.version == version))
    if row is None:
        raise NotFound("checklist.not_loaded", key=key, version=version)
    return row


def list_versions(session: Session) -> list[ChecklistVersion]:
    return list(session.scalars(select(ChecklistVersion).order_by(ChecklistVersion.key, ChecklistVersion.version)))

