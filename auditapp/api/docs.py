"""Swagger UI's assets, served from the swagger-ui-bundle package so that `/api/docs` needs no CDN."""
from __future__ import annotations

from flask import Flask, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSET_MAX_AGE_S = 24 * 3600  # the files change only with the package's version
ASSET_ENDPOINT = "swagger_ui_asset"


def init_app(app: Flask) -> None:
    """Serve the assets where OPENAPI_SWAGGER_UI_URL says, when that is a path of this server."""
    base = app.config.get("OPENAPI_SWAGGER_UI_URL") or ""
    if base.startswith("/"):
        app.add_url_rule(base.rstrip("/") + "/<path:filename>", endpoint=ASSET_ENDPOINT, view_func=_asset)


def _asset(filename: str) -> Response:
    return send_from_directory(swagger_ui_path, filename, max_age=ASSET_MAX_AGE_S)
