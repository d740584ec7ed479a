"""/health, /metrics, and what every request does for them: its id (in the logs and the `X-Request-ID`
response header) and its latency (auditapp/operations.py, auditapp/logs.py)."""
from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request

from .. import logs, operations, storage
from ..extensions import db

log = logging.getLogger("auditapp.request")

_STARTED = "_auditapp_started"
_RESET = "_auditapp_request_id_token"


def _database_check(app: Flask) -> operations.HealthCheck:
    def check() -> None:
        with app.app_context():
            engine = db.engine
        timeout_ms = max(1, int(float(app.config["HEALTH_TIMEOUT_SECONDS"]) * 1000))
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # For this transaction only: the pooled connection goes back without it.
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {timeout_ms}")
            connection.exec_driver_sql("SELECT 1")
    return check


def _storage_check(app: Flask) -> operations.HealthCheck:
    def check() -> None:
        storage.store_for(app.config, "attachments").check()
    return check


def _begin() -> None:
    g.setdefault(_STARTED, time.perf_counter())
    g.setdefault(_RESET, logs.request_id.set(logs.new_request_id(request.headers.get(logs.REQUEST_ID_HEADER))))


def _finish(response: Response) -> Response:
    response.headers[logs.REQUEST_ID_HEADER] = logs.request_id.get()
    started = g.get(_STARTED)
    if started is not None:
        seconds = time.perf_counter() - started
        rule = request.url_rule.rule if request.url_rule is not None else "<no route>"
        operations.REQUEST_SECONDS.labels(rule, request.method,
                                          operations.status_class(response.status_code)).observe(seconds)
        if current_app.config.get("LOG_FORMAT") == "json":
            # In JSON mode this line replaces gunicorn's access log (`auditapp serve` turns that off).
            log.info("%s %s %s", request.method, request.path, response.status_code,
                     extra={"method": request.method, "path": request.path, "endpoint": rule,
                            "status": response.status_code, "duration_ms": round(seconds * 1000, 2)})
    return response


def _end(_error: BaseException | None) -> None:
    token = g.pop(_RESET, None)
    if token is not None:
        logs.request_id.reset(token)


def _outbox_counts() -> dict[tuple[str, ...], float]:
    from sqlalchemy import func, select

    from ..constants import OUTBOX_KINDS
    from ..extensions import db
    from ..models import OutboxMessage

    counts: dict[tuple[str, ...], float] = {(kind, status): 0.0 for kind in OUTBOX_KINDS
                                            for status in ("pending", "failed")}
    rows = db.session.execute(select(OutboxMessage.kind, OutboxMessage.status, func.count())
                              .where(OutboxMessage.status.in_(("pending", "failed")))
                              .group_by(OutboxMessage.kind, OutboxMessage.status))
    for kind, status, n in rows:
        counts[(kind, status)] = float(n)
    return counts


def init_app(app: Flask) -> None:
    # First of every request's hooks (the header and body checks, authentication), so that their
    # refusals are timed and their log lines carry the request's id.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_finish)
    app.teardown_request(_end)

    operations.add_scrape_gauge("auditapp_outbox_messages",
                                "Webhook deliveries and alert mails by status: pending (to send or retry), failed "
                                "(given up after the last retry)", _outbox_counts, labels=("kind", "status"))
    operations.add_health_check(app, "database", _database_check(app))
    if app.config.get("STORAGE") == "s3":
        operations.add_health_check(app, "storage", _storage_check(app))

    @app.get("/health")
    def health() -> Any:
        """200 when every check passes, 503 naming the one that failed; no login needed (load balancers)."""
        ok, checks = operations.run_health_checks(operations.health_checks(current_app),
                                                  float(current_app.config["HEALTH_TIMEOUT_SECONDS"]))
        response = jsonify({"status": "ok" if ok else "unavailable", "checks": checks})
        response.status_code = 200 if ok else 503
        response.cache_control.no_store = True
        return response

    @app.get("/metrics")
    def metrics() -> Any:
        """The Prometheus text exposition; outside /api/, for the scraper (keep it off the public proxy)."""
        from prometheus_client import CONTENT_TYPE_LATEST

        return Response(operations.exposition(), content_type=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})
