"""Downloads for every web client of the app (the JSON API and the portal): evidence files and PDF
reports, sent from whichever store keeps them (auditapp/sending.py). Access is checked by the services
the callers ask first (attachments.find_for_download, access.ensure_*_visible)."""
from __future__ import annotations

import io
from collections.abc import Callable

from flask import current_app, send_file
from werkzeug.wrappers import Response as BaseResponse

from .extensions import db
from .sending import send_stored
from .services.attachments import Download
from .services.disputes import DisputePolicy
from .services.figures import WaveData, WaveFigures, load_wave
from .services.reports import ReportSource, rendered, report_key, report_store, store_rendering


def attachment_download(found: Download) -> BaseResponse:
    """An evidence file as find_for_download chose it (the original, or a copy without metadata)."""
    if found.store is not None and found.key is not None:
        response = send_stored(found.store, found.key, etag=found.sha256, content_type=found.content_type,
                               download_name=found.download_name, missing="attachment.file_missing")
    else:
        response = send_file(io.BytesIO(found.data or b""), mimetype=found.content_type, conditional=True,
                             etag=found.sha256, download_name=found.download_name)
    response.cache_control.private = True  # evidence is for authorised eyes only: no shared caches
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


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
                 program: str | None, name: str) -> BaseResponse:
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
    return send_stored(report_store(config["REPORT_DIR"]), report_key(stored.sha256), etag=stored.sha256,
                       content_type="application/pdf", missing="reports.file_missing",
                       download_name=f"{name}-{wave}-{source.program}-{source.lang}.pdf")
