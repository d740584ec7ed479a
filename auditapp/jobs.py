"""Background jobs on Celery (DESIGN 10): report rendering (one task per PDF), report mail, the
outbox's webhook deliveries and alert mail (each first attempt, and a periodic pass for the retries),
and the daily action-plan reminders.

With `BROKER_URL` set (Redis `redis://…` or RabbitMQ `amqp://…`), `auditapp reports render` enqueues
one task per report that changed and `auditapp worker` processes them; workers on any number of
machines share the broker, the database and the report storage. Without a broker nothing is queued:
the command renders in a local process pool, as the embedded default always did, so the demo needs
no Redis.

Every task may run more than once — a worker killed mid-task leaves its message unacknowledged
(`task_acks_late`), and the broker hands it to the next worker — so every task is idempotent: a
report whose content is already stored is not rendered again, and a rendering is stored once (the
PDF by its SHA-256, its row by its content digest); a reminder is sent once per action, kind and due
date (the action's history says which were).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import DBAPIError, OperationalError

from .extensions import db

log = logging.getLogger(__name__)


class AppTask(Task):  # celery ships no type hints: Task is Any to mypy
    """Every task runs inside the app context — the caller's when it runs at once (no broker), else the
    worker's app — with a session that is removed afterwards."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.request.is_eager and has_app_context():
            return self.run(*args, **kwargs)
        with _flask_app().app_context():
            try:
                return self.run(*args, **kwargs)
            finally:
                db.session.remove()


celery = Celery("auditapp", set_as_current=False, task_cls=AppTask)

# Faults worth another try: the database or the broker briefly away, a file system hiccup.
TRANSIENT_FAULTS = (OperationalError, DBAPIError, ConnectionError, TimeoutError, OSError)


def broker_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("BROKER_URL"))


def result_backend(config: Mapping[str, Any]) -> str | None:
    """Where task states are kept (the progress bar of `reports render` reads them): the configured
    backend, else Redis itself when the broker is Redis, else RabbitMQ's reply queues."""
    if config.get("RESULT_BACKEND"):
        return str(config["RESULT_BACKEND"])
    broker = str(config.get("BROKER_URL") or "")
    if broker.startswith(("redis://", "rediss://")):
        return broker
    return "rpc://" if broker else None


def init_app(app: Flask) -> None:
    config = app.config
    celery.conf.update(
        broker_url=config.get("BROKER_URL") or "memory://",
        result_backend=result_backend(config),
        # No broker: a task called with .delay() runs at once in the caller's process.
        task_always_eager=not broker_configured(config),
        task_eager_propagates=True,
        task_serializer="json", result_serializer="json", accept_content=["json"],
        # Acknowledge after the task ran: a worker that dies mid-task loses nothing. One message
        # fetched at a time, so a long render does not hold back others a free worker could take.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # Redis redelivers an unacknowledged message after this many seconds (RabbitMQ at once, when
        # the connection drops): longer than the longest task, or a slow render would run twice.
        broker_transport_options={"visibility_timeout": int(config["BROKER_VISIBILITY_TIMEOUT"]),
                                  **config["BROKER_TRANSPORT_OPTIONS"]},
        result_expires=24 * 3600,
        task_default_queue=config["TASK_QUEUE"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    celery.conf.beat_schedule = beat_schedule(config)
    app.extensions["celery"] = celery
    _bound[:] = [app]
    from .services import outbox

    # With a broker, a worker makes each delivery's first attempt (not the request's process).
    outbox.job_queue = (lambda message_id: deliver_outbox.delay(str(message_id))) \
        if broker_configured(config) else None
    if broker_configured(config):
        from . import operations

        operations.add_health_check(app, "broker", _ping_broker)
        operations.add_scrape_gauge("auditapp_task_queue_depth", "Jobs waiting on the broker for a worker",
                                    _queue_depth)


def beat_schedule(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What the beat (`auditapp worker -B`, or `celery beat` beside the workers) starts without any
    request: the outbox's retries (webhooks, alert and reminder mail) every OUTBOX_POLL_SECONDS, and the
    action-plan reminders once a day at ACTION_REMINDER_AT (UTC)."""
    from celery.schedules import crontab

    from .services.action_reminders import ReminderPolicy

    ReminderPolicy.from_config(config)  # a wrong ACTION_REMINDER_DAYS stops the start-up, not the first pass
    schedule: dict[str, dict[str, Any]] = {}
    poll = float(config.get("OUTBOX_POLL_SECONDS") or 0)
    if poll:
        schedule["outbox-pass"] = {"task": "auditapp.outbox_pass", "schedule": poll}
    at = reminder_time(config.get("ACTION_REMINDER_AT"))
    if at is not None:
        schedule["action-reminders"] = {"task": "auditapp.action_reminders",
                                        "schedule": crontab(hour=at[0], minute=at[1])}
    return schedule


def reminder_time(value: Any) -> tuple[int, int] | None:
    """ACTION_REMINDER_AT as (hour, minute); None when empty (no daily pass)."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    hour, _, minute = text.partition(":")
    if hour.isdigit() and minute.isdigit() and len(minute) == 2 and int(hour) < 24 and int(minute) < 60:
        return int(hour), int(minute)
    raise ValueError(f"ACTION_REMINDER_AT must be a time of day HH:MM (UTC), or empty for none, not {value!r}")


def _ping_broker() -> None:
    with celery.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)


def _queue_depth() -> float:
    with celery.connection_for_read() as connection:
        queue = connection.default_channel.queue_declare(celery.conf.task_default_queue, passive=True)
        return float(queue.message_count)


@worker_process_init.connect
def _fresh_connections(**_: Any) -> None:
    """A forked worker process must not share its parent's database connections."""
    if _bound:
        with _bound[0].app_context():
            db.engine.dispose(close=False)


# The app a worker's tasks run in: the one its `auditapp worker` command created (the last one made).
_bound: list[Flask] = []


def _flask_app() -> Flask:
    if not _bound:
        raise RuntimeError("no app: create_app() binds the jobs")
    return _bound[0]


# retry_backoff: 1, 2, 4 … s, capped, jittered; a task still failing after 5 retries is recorded as
# failed and `reports render` names it.
_RETRIED = {"autoretry_for": TRANSIENT_FAULTS, "retry_backoff": True, "retry_backoff_max": 300,
            "retry_jitter": True, "max_retries": 5}


@celery.task(name="auditapp.render_report", **_RETRIED)
def render_report(payload: dict[str, Any]) -> dict[str, Any]:
    """Render one report (a `ReportSource` as `services.reports.source_payload` made it) and store it,
    unless a rendering of exactly that content is stored already."""
    from .database import write_transaction
    from .reports.batch import RenderJob, render_one
    from .services.reports import store_rendering, stored_rendering

    report_dir = current_app.config["REPORT_DIR"]
    source, stored = stored_rendering(db.session(), payload, report_dir)
    if stored is not None:
        return {"key": source.key, "sha256": stored.sha256, "rendered": False}
    # No transaction stays open while rendering (other workers store theirs meanwhile), so nothing here
    # may load from the database until the write transaction: the message has all the render needs.
    db.session.commit()
    pdf = render_one(_renderer(), RenderJob(payload["key"], payload["kind"], payload["data"], payload["lang"]))
    with write_transaction():
        stored = store_rendering(db.session(), source, pdf, report_dir)
        db.session.commit()
    return {"key": source.key, "sha256": stored.sha256, "rendered": True}


@celery.task(name="auditapp.send_mail", **_RETRIED)
def send_mail(mail: dict[str, Any]) -> int:
    """Send one mail (`services.mail.mail_payload`), attachments read from the report storage."""
    from .services.mail import mail_from_payload, send_all

    return send_all(current_app.config, [mail_from_payload(mail, current_app.config)])


@celery.task(name="auditapp.deliver_outbox", **_RETRIED)
def deliver_outbox(message_id: str) -> str | None:
    """One webhook delivery or alert mail of the outbox (a no-op when it is delivered, given up or held
    by another runner); a failed attempt is scheduled again by the outbox itself, with its back-off."""
    import uuid

    from .services.outbox import deliver

    return deliver(db.engine, uuid.UUID(message_id), current_app.config)


@celery.task(name="auditapp.outbox_pass", **_RETRIED)
def outbox_pass() -> dict[str, int]:
    """Every due outbox row once (the retries), as `auditapp outbox run` does."""
    from .services.outbox import run_due

    return run_due(db.engine, current_app.config)


@celery.task(name="auditapp.action_reminders", **_RETRIED)
def action_reminders() -> dict[str, int]:
    """One action-plan reminder pass on a worker (the beat's daily one, or `auditapp actions remind`)."""
    return reminder_pass()


def reminder_pass() -> dict[str, int]:
    """One action-plan reminder pass (services/action_reminders) in this process: what it sent, by kind.
    Run twice, or on two workers at once, it sends nothing twice; the mails leave through the outbox
    after the commit (a worker's `deliver_outbox` with a broker, this process without). Without a broker
    `auditapp actions remind` calls it directly, as the other commands run their work in-process: an
    eager task would tie Celery's result backend to the broker-less settings for the rest of the process."""
    from .database import write_transaction
    from .services import side_effects
    from .services.action_reminders import ReminderPolicy, run_pass

    policy = ReminderPolicy.from_config(current_app.config)
    db.session.commit()  # the pass begins its own transaction, with SQLite's write lock taken up front
    with write_transaction():
        result = run_pass(db.session(), policy)
        db.session.commit()
    side_effects.run_committed(db.session())
    return result.as_dict()


def _renderer() -> Any:
    """One renderer per worker process: fonts, templates and stylesheets are loaded once."""
    loaded = current_app.extensions.get("auditapp.job_renderer")
    if loaded is None:
        from .reports.render import ReportRenderer

        loaded = ReportRenderer.from_config(current_app.config)
        current_app.extensions["auditapp.job_renderer"] = loaded
    return loaded
