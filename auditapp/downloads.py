"""PDF downloads for every web client of the app (the JSON API and the portal): one stored rendering
per content, rendered on first demand. Access is checked by the caller before it asks for a PDF."""
from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, send_file

from .extensions import db
from .services.disputes import DisputePolicy
from .services.figures import WaveData, WaveFigures, load_wave
from .services.reports import ReportSource, pdf_path, rendered, store_rendering


def report_renderer():
    """One renderer per process (fonts, templates and stylesheets loaded once), with the digest of
    its templates and fonts."""
    loaded = current_app.extensions.get("auditapp.report_renderer")
    if loaded is None:
        from .reports.fonts import RECIPE_VERSION
        from .reports.render import ReportRenderer
        from .services.reports import templates_digest

        loaded = (ReportRenderer.from_config(current_app.config),
                  templates_digest(current_app.config["REPORT_TEMPLATE_DIR"], f"font recipe {RECIPE_VERSION}"))
        current_app.extensions["auditapp.report_renderer"] = loaded
    return loaded


def pdf_download(source_for: Callable[[WaveData, WaveFigures, str], ReportSource], wave: str,
                 program: str | None, name: str) -> Response:
    """The stored rendering when nothing changed since; otherwise render, keep it, and send it."""
    config = current_app.config
    data = load_wave(db.session(), wave, config["MIN_RANKED_AUDITS"], program,
                     dispute_policy=DisputePolicy.from_config(config))
    renderer, templates = report_renderer()
    source = source_for(data, WaveFigures(data), templates)
    stored = rendered(db.session(), [source], config["REPORT_DIR"]).get(source.key)
    if stored is None:
        from .reports.batch import RenderJob, render_one

        pdf = render_one(renderer, RenderJob(source.key, source.kind, source.data, source.lang))
        stored = store_rendering(db.session(), source, pdf, config["REPORT_DIR"])
    return send_file(pdf_path(config["REPORT_DIR"], stored.sha256), mimetype="application/pdf",
                     download_name=f"{name}-{wave}-{source.program}-{source.lang}.pdf", etag=stored.sha256)
