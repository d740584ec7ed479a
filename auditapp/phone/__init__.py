"""The shopper's phone app (DESIGN 12): static files of an offline-first web app served at `/app/`.

The app is a client of the API like any other: it holds no server-side state and imports nothing of
the layers below. Served by the same application so that an agency deploys one thing and a shopper
installs nothing from a store; nothing is loaded from a CDN (unreachable offline and from mainland China).
"""
from __future__ import annotations

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


@blp.get("/<path:filename>")
def asset(filename: str) -> Response:
    return _file(filename)


def _file(filename: str) -> Response:
    # The service worker decides what the phone keeps; the HTTP cache must not keep an old shell
    # behind its back, so every file is revalidated (ETag) when the phone is online.
    response = send_from_directory(STATIC, filename, max_age=0)
    if filename == "sw.js":
        response.headers["Service-Worker-Allowed"] = URL_PREFIX + "/"
    if filename.endswith(".webmanifest"):
        response.mimetype = "application/manifest+json"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
    app.add_url_rule(URL_PREFIX, endpoint="phone_root", view_func=lambda: redirect(URL_PREFIX + "/", code=308))
