"""Rendering many reports at once, in parallel over the machine's cores.

Plain data in, PDF bytes out: each worker process builds one renderer (fonts, templates, stylesheets)
and reuses it for every report it is given.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from ..operations import REPORT_RENDER_SECONDS
from .render import ReportRenderer

_renderer: ReportRenderer | None = None


@dataclass(frozen=True)
class RenderJob:
    key: str  # anything the caller uses to find the result again
    kind: str  # dealer_scorecard | region_report
    data: Mapping[str, Any]
    lang: str


def _start_worker(config: Mapping[str, Any]) -> None:
    global _renderer
    _renderer = ReportRenderer.from_config(config)


def render_one(renderer: ReportRenderer, job: RenderJob) -> bytes:
    started = time.perf_counter()
    if job.kind == "dealer_scorecard":
        pdf = renderer.dealer_scorecard_pdf(job.data, job.lang)
    elif job.kind == "region_report":
        pdf = renderer.region_report_pdf(job.data, job.lang)
    else:
        raise ValueError(f"unknown report kind {job.kind!r}")
    REPORT_RENDER_SECONDS.labels(job.kind, job.lang).observe(time.perf_counter() - started)
    return pdf


def _render_in_worker(job: RenderJob) -> tuple[str, bytes]:
    assert _renderer is not None
    return job.key, render_one(_renderer, job)


def render_all(jobs: Iterable[RenderJob], config: Mapping[str, Any], processes: int | None = None,
               on_done: Callable[[str], None] | None = None) -> Iterator[tuple[str, bytes]]:
    """(key, pdf) for every job as it finishes; `on_done` is called after each (a progress bar)."""
    jobs = list(jobs)
    if not jobs:
        return
    settings = {k: config[k] for k in ("REPORT_TEMPLATE_DIR", "FONT_CACHE_DIR")}
    processes = max(1, min(processes or os.cpu_count() or 1, len(jobs)))
    if processes == 1:
        renderer = ReportRenderer.from_config(settings)
        for job in jobs:
            yield job.key, render_one(renderer, job)
            if on_done:
                on_done(job.key)
        return
    # Build the fonts once here, so that the workers do not all build them at the same time.
    from pathlib import Path

    from .fonts import ensure_report_fonts

    ensure_report_fonts(Path(settings["FONT_CACHE_DIR"]))
    with ProcessPoolExecutor(max_workers=processes, initializer=_start_worker, initargs=(settings,)) as pool:
        futures = [pool.submit(_render_in_worker, job) for job in jobs]
        for future in as_completed(futures):
            key, pdf = future.result()
            yield key, pdf
            if on_done:
                on_done(key)
