"""Operations (DESIGN 10): /health checks what the app depends on, /metrics in the Prometheus text format,
and every request's id in the response and in the log lines written while it runs."""
from __future__ import annotations

import io
import json
import logging
import time
import uuid

import pytest
from fixtures.object_storage import free_port, s3_settings
from prometheus_client.parser import text_string_to_metric_families

from auditapp import create_app, logs, operations
from auditapp.reports.batch import RenderJob, render_one


def other_app(tmp_path, **settings):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "ATTACHMENT_DIR": str(tmp_path / "att"),
                       "REPORT_DIR": str(tmp_path / "rep"), **settings})


def unreachable_database() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"  # nothing listens there


# --- /health -----------------------------------------------------------------------------------------------

def test_health_is_ok_when_the_database_answers(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json == {"status": "ok", "checks": {"database": "ok"}}
    assert "no-store" in r.headers["Cache-Control"]


def test_health_is_503_when_the_database_is_unreachable(tmp_path):
    client = other_app(tmp_path, SQLALCHEMY_DATABASE_URI=unreachable_database()).test_client()
    r = client.get("/health")
    assert r.status_code == 503
    assert r.json == {"status": "unavailable", "checks": {"database": "failed"}}


def test_a_check_that_hangs_is_given_up_after_the_timeout(app, tmp_path):
    """A check added by another part (the job broker's, for one) runs beside the others, within the limit."""
    other = other_app(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      HEALTH_TIMEOUT_SECONDS=0.3)
    operations.add_health_check(other, "broker", lambda: time.sleep(3))
    started = time.monotonic()
    r = other.test_client().get("/health")
    assert time.monotonic() - started < 2
    assert r.status_code == 503 and r.json["checks"] == {"database": "ok", "broker": "timeout"}


def test_health_checks_the_bucket_when_storage_is_s3(app, tmp_path, s3_endpoint, s3_bucket):
    up = other_app(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                   **s3_settings(s3_endpoint, s3_bucket))
    r = up.test_client().get("/health")
    assert r.status_code == 200 and r.json["checks"] == {"database": "ok", "storage": "ok"}
    no_bucket = other_app(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                          **s3_settings(s3_endpoint, "no-such-bucket"))
    r = no_bucket.test_client().get("/health")
    assert r.status_code == 503 and r.json["checks"] == {"database": "ok", "storage": "failed"}


def test_health_is_503_when_the_s3_endpoint_is_down(app, tmp_path):
    down = other_app(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                     **s3_settings(f"http://127.0.0.1:{free_port()}", "auditapp"))
    r = down.test_client().get("/health")
    assert r.status_code == 503
    assert r.json["checks"]["database"] == "ok" and r.json["checks"]["storage"] in ("failed", "timeout")


# --- /metrics ----------------------------------------------------------------------------------------------

def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(r.get_data(as_text=True)) for sample in family.samples}


def requests_counted(samples, endpoint: str, status: str) -> float:
    key = ("auditapp_http_request_duration_seconds_count",
           (("endpoint", endpoint), ("method", "GET"), ("status", status)))
    return samples.get(key, 0.0)


def test_metrics_count_requests_by_url_rule_and_status_class(client, headers):
    before = scrape(client)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    missing = uuid.uuid4()
    assert client.get(f"/api/v1/audits/{missing}/score", headers=headers).status_code in (403, 404)
    after = scrape(client)
    assert requests_counted(after, "/api/v1/me", "2xx") == requests_counted(before, "/api/v1/me", "2xx") + 1
    rule = "/api/v1/audits/<uuid:audit_id>/score"
    assert requests_counted(after, rule, "4xx") == requests_counted(before, rule, "4xx") + 1
    # The raw path never becomes a label: one series per route, whatever the ids.
    assert not any(str(missing) in value for _, labels in after for _, value in labels)


class _Renderer:
    def dealer_scorecard_pdf(self, data, lang):
        return b"%PDF-1.7 scorecard"

    def region_report_pdf(self, data, lang):
        return b"%PDF-1.7 region"


def test_metrics_have_the_render_time_of_each_pdf(client):
    key = ("auditapp_report_render_seconds_count", (("kind", "region_report"), ("lang", "zh")))
    before = scrape(client).get(key, 0.0)
    assert render_one(_Renderer(), RenderJob("k", "region_report", {}, "zh")) == b"%PDF-1.7 region"
    assert scrape(client)[key] == before + 1


def test_a_gauge_computed_at_scrape_time(client, monkeypatch):
    """The place for figures read from the database when scraped (the outbox's pending rows)."""
    monkeypatch.setattr(operations, "_scrape_gauges", {})
    operations.add_scrape_gauge("auditapp_outbox_pending", "Outbox rows not yet delivered", lambda: {("mail",): 3,
                                                                                                   ("webhook",): 0},
                                labels=["kind"])
    operations.add_scrape_gauge("auditapp_broken_figure", "A figure whose query fails", lambda: 1 / 0)
    samples = scrape(client)
    assert samples[("auditapp_outbox_pending", (("kind", "mail"),))] == 3
    assert samples[("auditapp_outbox_pending", (("kind", "webhook"),))] == 0
    assert not any(name == "auditapp_broken_figure" for name, _ in samples)  # left out, the rest still served


def test_metrics_of_several_workers_are_added_up(tmp_path, monkeypatch):
    """gunicorn's workers each write their figures to PROMETHEUS_MULTIPROC_DIR; /metrics reads them all."""
    from prometheus_client import values

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    # Two workers' files, as prometheus_client's multiprocess values write them.
    for pid in (101, 102):
        monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue(lambda pid=pid: pid))
        from prometheus_client import CollectorRegistry, Counter

        Counter("auditapp_test_things", "things", registry=CollectorRegistry()).inc(2)
    body = operations.exposition().decode()
    samples = {s.name: s.value for f in text_string_to_metric_families(body) for s in f.samples}
    assert samples["auditapp_test_things_total"] == 4


# --- request ids and logs ------------------------------------------------------------------------------------

def test_every_response_has_a_request_id(client):
    made = client.get("/health").headers["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    assert client.get("/health").headers["X-Request-ID"] != made
    assert client.get("/health", headers={"X-Request-ID": "proxy-7f3a-0001"}).headers["X-Request-ID"] == \
        "proxy-7f3a-0001"
    for insane in ("short", "x" * 200, "two words here", "a\u00e9b-12345"):
        assert client.get("/health", headers={"X-Request-ID": insane}).headers["X-Request-ID"] != insane


@pytest.fixture
def json_logs(app, tmp_path):
    """An app logging JSON, and what its log lines say (the root handler writes to a buffer)."""
    other = other_app(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], LOG_FORMAT="json")
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logs._Handler))
    buffer = io.StringIO()
    handler.setStream(buffer)
    try:
        yield other, lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        logs.configure({"LOG_FORMAT": "text", "LOG_LEVEL": "INFO"})


def test_log_lines_are_json_with_the_request_id(json_logs):
    app, lines = json_logs
    with app.test_request_context("/health", headers={"X-Request-ID": "req-0001-abcd"}):
        app.preprocess_request()
        logging.getLogger("auditapp.services.anything").warning("a thing happened to %s", "audit 7")
    r = app.test_client().get("/health", headers={"X-Request-ID": "req-0002-abcd"})
    assert r.status_code == 200
    written = lines()
    warning = next(line for line in written if line["logger"] == "auditapp.services.anything")
    assert warning["message"] == "a thing happened to audit 7" and warning["level"] == "WARNING"
    assert warning["request_id"] == "req-0001-abcd"
    request_line = next(line for line in written if line["logger"] == "auditapp.request")
    assert request_line["request_id"] == "req-0002-abcd"
    assert request_line["method"] == "GET" and request_line["path"] == "/health" and request_line["status"] == 200
    assert request_line["endpoint"] == "/health" and request_line["duration_ms"] >= 0
    # Outside a request a line says so.
    logging.getLogger("auditapp.cli").warning("between requests")
    assert lines()[-1]["request_id"] == "-"


def test_work_done_after_the_response_logs_the_id_of_its_request(json_logs):
    from auditapp.services import side_effects

    app, lines = json_logs
    with app.test_request_context("/health", headers={"X-Request-ID": "req-0003-mail"}):
        app.preprocess_request()
        side_effects.run_in_background([side_effects.SideEffect(
            "mail", lambda: logging.getLogger("auditapp.services.mail").warning("mail sent"))])
    assert side_effects.wait_for_background(10)
    assert next(line for line in lines() if line["message"] == "mail sent")["request_id"] == "req-0003-mail"


def test_an_exception_is_logged_in_the_same_json_line(json_logs):
    app, lines = json_logs
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("auditapp.api.errors").exception("unhandled error")
    line = lines()[-1]
    assert line["message"] == "unhandled error" and "RuntimeError: boom" in line["exception"]


def test_an_unknown_log_format_is_refused_at_start_up(tmp_path):
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of text, json"):
        other_app(tmp_path, LOG_FORMAT="xml")


def test_metrics_count_the_outbox_by_kind_and_status(client, db_session):
    from datetime import timedelta

    from auditapp.models import OutboxMessage, WebhookSubscription, utcnow

    now = utcnow()
    subscription = WebhookSubscription(url="http://127.0.0.1:9/hook", secret="s" * 32, events=["audit.published"])
    db_session.add(subscription)
    db_session.flush()
    for kind, status in (("webhook", "pending"), ("webhook", "failed"), ("webhook", "failed"),
                         ("alert_email", "pending"), ("webhook", "delivered")):
        webhook = kind == "webhook"
        db_session.add(OutboxMessage(id=uuid.uuid4(), kind=kind, status=status, event_id=uuid.uuid4(),
                                     event_type="audit.published", body="{}", attempts=1,
                                     subscription_id=subscription.id if webhook else None,
                                     recipient=None if webhook else "manager@example.com",
                                     next_attempt_at=now + timedelta(minutes=5), created_at=now, updated_at=now))
    db_session.commit()
    samples = scrape(client)
    count = lambda kind, status: samples[("auditapp_outbox_messages", (("kind", kind), ("status", status)))]  # noqa: E731
    assert count("webhook", "pending") == 1 and count("webhook", "failed") == 2  # the webhook failures
    assert count("alert_email", "pending") == 1 and count("alert_email", "failed") == 0


def test_health_checks_the_broker_when_one_is_configured(tmp_path):
    """With a broker the jobs depend on it: /health names it, and a broker that is down is a 503."""
    from auditapp import jobs

    try:
        down = other_app(tmp_path, BROKER_URL=f"redis://127.0.0.1:{free_port()}/0", HEALTH_TIMEOUT_SECONDS=5)
        with down.app_context():
            from flask_migrate import upgrade

            upgrade()
        r = down.test_client().get("/health")
        assert r.status_code == 503
        assert r.json["checks"] == {"database": "ok", "broker": "failed"}
    finally:
        jobs.init_app(other_app(tmp_path / "again"))  # no broker again for the other tests
