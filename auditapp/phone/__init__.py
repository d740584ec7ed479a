"""The shopper's phone app (DESIGN 12): static files of an offline-first web app served at `/app/`.

The app is a client of the API like any other: it holds no server-side state and imports nothing of
the layers below. Served by the same application so that an agency deploys one thing and a shopper
installs nothing from a store; nothing is loaded from a CDN (unreachable offline and from mainland China).
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Flask, Response, redirect, send_from_directory

STATIC = Path(__file__).parent / "static"
URL_PREFIX = "/app"

# Everything from this server; photos are shown from blob: URLs made on the phone; geolocation and
# the camera need no CSP entry. No inline script or style: the strictest policy the app can live with.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
                           "style-src 'self'; script-src 'self'; worker-src 'self'; manifest-src 'self'; "
                           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

blp = Blueprint("phone", __name__, url_prefix=URL_PREFIX)


@blp.get("/")
def index() -> Response:
    return _file("index.html")


@blp.get("/sw.js")
def service_worker() -> Response:
    version, shell = shell_manifest()
    source = (STATIC / "sw.js").read_text(encoding="utf-8")
    body = f"const VERSION = {json.dumps(version)};\nconst SHELL = {json.dumps(shell)};\n{source}"
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = URL_PREFIX + "/"
    return _secured(response)


@lru_cache(maxsize=1)
def shell_manifest() -> tuple[str, list[str]]:
    """The shell's files (what the phone keeps for offline use) and a hash of their contents: the
    worker's bytes change with any of them, so the browser installs a fresh cache after an update."""
    files = sorted(p for p in STATIC.rglob("*") if p.is_file() and p.name != "sw.js")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(STATIC).as_posix().encode() + b"\0" + path.read_bytes())
    shell = [URL_PREFIX + "/"] + [f"{URL_PREFIX}/{p.relative_to(STATIC).as_posix()}" for p in files]
    return digest.hexdigest()[:16], shell


@blp.get("/<path:filename>")
def asset(filename: str) -> Response:
    return _file(filename)


def _file(filename: str) -> Response:
    # The service worker decides what the phone keeps; the HTTP cache must not keep an old shell
    # behind its back, so every file is revalidated (ETag) when the phone is online.
    response = send_from_directory(STATIC, filename, max_age=0)
    if filename.endswith(".webmanifest"):
        response.mimetype = "application/manifest+json"
    return _secured(response)


def _secured(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
    app.add_url_rule(URL_PREFIX, endpoint="phone_root", view_func=lambda: redirect(URL_PREFIX + "/", code=308))
