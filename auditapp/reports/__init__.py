"""PDF reports: the prepared report font (``fonts``), charts, wording and the renderer.

Import from the submodules (``auditapp.reports.render``, ``.fonts``, ``.charts``, ``.labels``);
``ReportRenderer`` is also available here, loaded lazily so that importing the package does not
load WeasyPrint.
"""
from __future__ import annotations

from typing import Any

__all__ = ["ReportRenderer"]


def __getattr__(name: str) -> Any:
    if name == "ReportRenderer":
        from .render import ReportRenderer

        return ReportRenderer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
