"""The HTTP API (DESIGN 8): flask-smorest blueprints on one Api, authenticated before every view."""
from __future__ import annotations

from flask import Flask
from flask_smorest.spec.plugins import integerconverter2paramschema

from ..extensions import api
from . import (
    admin,
    audits,
    auth,
    checklists,
    disputes,
    docs,
    error_docs,
    errors,
    exports,
    reports,
    requests,
    review,
    scores,
    shopper,
    transactions,
)
from .fields import FreeObject


def init_app(app: Flask) -> None:
    requests.init_app(app)  # before the routes exist: their integer converter is bounded
    # Every error status is documented with the standard body; none hides behind a `default` (api/error_docs.py).
    api.ERROR_SCHEMA = error_docs.ErrorSchema
    api.DEFAULT_ERROR_RESPONSE_NAME = None
    error_responses = error_docs.ErrorResponses()
    error_responses.bind(app, auth.PUBLIC_ENDPOINTS)
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}],
        **error_docs.spec_kwargs(error_responses)})
    api.register_converter(requests.BoundedIntegerConverter, integerconverter2paramschema)
    api.register_field(FreeObject, "object", None)
    errors.init_app(app)
    auth.init_app(app)
    app.before_request(requests.check_path_parameters)
    docs.init_app(app)
    for module in (auth, admin, checklists, audits, review, scores, shopper, reports, disputes):
        api.register_blueprint(module.blp)
    api.register_blueprint(exports.blp)  # wave exports for Excel (DESIGN 11)

    @app.get("/health")
    def health():
        return {"status": "ok"}

    transactions.init_app(app)  # last: every route above runs in one transaction
