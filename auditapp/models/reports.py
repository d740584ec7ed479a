"""Rendered PDF reports, kept with the score versions they were made from."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONDoc, UTCDateTime, utcnow

REPORT_KINDS = ("dealer_scorecard", "region_report")


class ReportFile(Base):
    """One rendering of a report. A new rendering (after a revision) is a new row; old ones stay."""

    __tablename__ = "report_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    # The checklist key the report shows (one program per report); None for renderings made before
    # reports were per program.
    program: Mapped[str | None] = mapped_column(String(64))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    lang: Mapped[str] = mapped_column(String(8))
    # SHA-256 of what the PDF shows (its data, language and the templates/fonts used): the same digest
    # means the same report, so a batch can skip it.
    content_digest: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    # [[audit_id, score version], ...] behind the figures.
    score_versions: Mapped[list[Any]] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("kind IN ('dealer_scorecard', 'region_report')", name="kind"),
        CheckConstraint("(kind = 'dealer_scorecard') = (dealer_id IS NOT NULL)", name="subject"),
        Index("ix_report_files_subject", "kind", "wave_id", "program", "dealer_id", "region_id", "lang"),
    )
