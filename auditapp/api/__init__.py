"""The HTTP API (DESIGN 8): flask-smorest blueprints on one Api, authenticated before every view."""
from __future__ import annotations

from flask import Flask

from ..extensions import api
from . import admin, audits, auth, checklists, disputes, docs, errors, reports, review, scores, shopper, transactions


def init_app(app: Flask) -> None:
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese stays readable in responses
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]})
    errors.init_app(app)
    auth.init_app(app)
    docs.init_app(app)
    for module in (auth, admin, checklists, audits, review, scores, shopper, reports, disputes):
        api.register_blueprint(module.blp)

    @app.get("/health")
    def health():
        return {"status": "ok"}

    transactions.init_app(app)  # last: every route above runs in one transaction
