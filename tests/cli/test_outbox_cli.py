"""`auditapp outbox run`: the pass that cron, systemd or a sidecar runs, so retries fall due without requests."""
from __future__ import annotations

import time

from fixtures.outbox import seed
from sqlalchemy import select

from auditapp.extensions import db
from auditapp.models import OutboxMessage, User
from auditapp.services import webhooks


def _queue_event(app, url: str) -> None:
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        webhooks.create_subscription(db.session, admin, url=url, events=["dispute.filed"])
        webhooks.emit(db.session, "dispute.filed", {"dispute_id": 3})
        db.session.commit()


def test_one_pass_delivers_what_is_due(outbox_app, receiver):
    seed(outbox_app)
    _queue_event(outbox_app, receiver.url)
    result = outbox_app.test_cli_runner().invoke(args=["outbox", "run"])
    assert result.exit_code == 0, result.output
    assert "delivered 1, to retry 0, given up 0" in result.output
    assert [r.json["data"] for r in receiver.received] == [{"dispute_id": 3}]
    again = outbox_app.test_cli_runner().invoke(args=["outbox", "run"])
    assert "delivered 0" in again.output and len(receiver.received) == 1


def test_loop_passes_until_interrupted(outbox_app, down_receiver, monkeypatch):
    seed(outbox_app)
    _queue_event(outbox_app, down_receiver.url)
    passes = []

    def interrupt_after_two(seconds: float) -> None:
        passes.append(seconds)
        if len(passes) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", interrupt_after_two)
    result = outbox_app.test_cli_runner().invoke(args=["outbox", "run", "--loop", "--interval", "5"])
    assert result.exit_code == 0, result.output
    assert passes == [5, 5] and "to retry 1" in result.output and result.output.rstrip().endswith("stopped")
    with outbox_app.app_context():
        [row] = db.session.scalars(select(OutboxMessage)).all()
        assert (row.status, row.attempts) == ("pending", 1)  # the retry is a minute away: one attempt
