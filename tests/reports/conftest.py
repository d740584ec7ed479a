"""Shared fixtures of the report tests: the prepared fonts (built once per session) and a renderer.

The font build takes ~15 s; the cache directory is the session's `font_cache_dir` (tests/conftest.py),
so a cache that is up to date makes it a no-op.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditapp.reports.fonts import ReportFonts, ensure_report_fonts

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = ROOT / "report_templates"
DATA_DIR = Path(__file__).resolve().parent / "data"

@pytest.fixture(scope="session")
def prepared_fonts(font_cache_dir: Path) -> ReportFonts:
    return ensure_report_fonts(font_cache_dir)


@pytest.fixture(scope="session")
def renderer(prepared_fonts: ReportFonts):
    from auditapp.reports.render import ReportRenderer

    return ReportRenderer(TEMPLATE_DIR, prepared_fonts)


def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def load_sample() -> Callable[[str], dict[str, Any]]:
    """load_sample("scorecard" | "region"): a fresh copy of a committed sample, for wider scopes."""
    return _load


@pytest.fixture
def scorecard_data() -> dict[str, Any]:
    """A dealer scorecard as services.figures.dealer_scorecard() makes it (a fresh copy)."""
    return _load("scorecard")


@pytest.fixture
def region_data() -> dict[str, Any]:
    """A region report as services.figures.region_leaderboard() makes it (a fresh copy)."""
    return _load("region")
