"""Downloads for every web client of the app (the JSON API and the portal): evidence files and PDF
reports, from whichever store keeps them (auditapp/storage.py). Access is checked by the services the
callers ask first (attachments.find_for_download, access.ensure_*_visible).

- the folder backend: `send_file`, with conditional requests and ranges;
- S3: streamed through the app in chunks (the object never sits in memory whole), or, with
  S3_PRESIGNED_DOWNLOADS, a 302 to a short-lived presigned URL that the client fetches from the store.
"""
from __future__ import annotations

import io
from collections.abc import Callable

from flask import Response, current_app, redirect, request, send_file
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response as BaseResponse

from . import storage
from .errors import NotFound
from .extensions import db
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


def send_stored(store: storage.ObjectStore, key: str, *, etag: str, content_type: str, download_name: str,
                missing: str) -> BaseResponse:
    """The object as a response; `etag` is its SHA-256; a 404 with the message `missing` when it is gone."""
    config = current_app.config
    response: BaseResponse
    if config.get("S3_PRESIGNED_DOWNLOADS") and store.backend == "s3":
        url = store.presigned_url(key, expires=int(config["S3_PRESIGNED_EXPIRY_SECONDS"]),
                                  content_type=content_type, download_name=download_name)
        if url is not None:
            response = redirect(url, 302)
            # The URL expires: no cache may keep the redirect longer than the request that asked for it.
            response.headers["Cache-Control"] = "no-store"
            return response
    path = store.local_path(key)
    if path is not None:
        response = send_file(path, mimetype=content_type, conditional=True, etag=etag,
                             download_name=download_name)
    elif request.if_none_match.contains(etag):
        response = Response(status=304)  # content-addressed: the same ETag is the same bytes, unread
        response.set_etag(etag)
    else:
        try:
            reader = store.open(key)
        except storage.MissingObject:
            raise NotFound(missing) from None
        headers = Headers()
        headers.set("Content-Disposition", "inline", filename=download_name)
        response = Response(iter(reader), mimetype=content_type, headers=headers, direct_passthrough=True)
        response.content_length = reader.size
        response.set_etag(etag)
        response.call_on_close(reader.close)
    return response
