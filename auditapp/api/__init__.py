"""The HTTP API (DESIGN 8): flask-smorest blueprints on one Api, authenticated before every view."""
from __future__ import annotations

from flask import Flask
from flask_smorest.spec.plugins import integerconverter2paramschema

from ..extensions import api
from ..services.alerts import AlertPolicy
from . import (
    actions,
    admin,
    assignment_plans,
    audits,
    auth,
    checklists,
    disputes,
    docs,
    error_docs,
    errors,
    exports,
    operations,
    reports,
    requests,
    review,
    scores,
    shopper,
    transactions,
)
from . import webhooks as webhooks_api
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
    api.register_blueprint(assignment_plans.blp)
    api.register_blueprint(webhooks_api.blp)
    _start_outbox_poller(app)
    # A wrong ALERT_BELOW stops the start-up, rather than failing every approval later.
    AlertPolicy.from_config(app.config, "http://localhost")
    api.register_blueprint(actions.blp)  # corrective action plans
    api.register_blueprint(exports.blp)  # wave exports for Excel (DESIGN 11)

    operations.init_app(app)  # /health, /metrics, request ids and latencies

    transactions.init_app(app)  # last: every route above runs in one transaction



def _start_outbox_poller(app: Flask) -> None:
    """Each server process retries due outbox deliveries every OUTBOX_POLL_SECONDS, starting at its
    first request (so after gunicorn forked it); under TESTING the tests drive their passes themselves."""
    from ..extensions import db
    from ..services.outbox import Poller, run_due

    poller = app.extensions["auditapp.outbox_poller"] = Poller()

    @app.before_request
    def start_outbox_poller() -> None:
        interval = float(app.config["OUTBOX_POLL_SECONDS"] or 0)
        # With a broker the workers' beat runs the passes (auditapp/jobs.py).
        if interval > 0 and not app.testing and not poller.running and not app.config.get("BROKER_URL"):
            engine, config = db.engine, app.config
            poller.start(interval, lambda: run_due(engine, config))
