"""Report rendering on Celery: a real worker process (`auditapp worker`) against the real Redis, on a
database of its own, and the in-process path without a broker."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from auditapp.extensions import db
from auditapp.models import ReportFile

ROOT = Path(__file__).resolve().parents[2]
REDIS = ("127.0.0.1", 6379)
WAVE = "2026-Q3"


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not _redis_up() and not os.environ.get("CI"),
                                 reason="no Redis on 127.0.0.1:6379 (CI starts it)")


@pytest.fixture
def program(tmp_path, font_cache_dir) -> Iterator:
    """A small demo program (1 region, 2 dealers, two waves of two programs) on a database of its own,
    configured for the broker; the queue is this test's own, so nothing else on the Redis interferes."""
    from fixtures.databases import app_with_own_database

    from auditapp.checklists.loader import load_directory
    from auditapp.demo.seed import seed_demo
    from auditapp.services.checklists import store_checklists

    queue = f"test-{uuid.uuid4().hex[:10]}"
    with app_with_own_database(tmp_path, "jobs", font_cache_dir) as app:
        # A killed worker's task is handed on after 3 s (an hour in production), looked for every second.
        app.config.update(BROKER_URL="redis://127.0.0.1:6379/0", TASK_QUEUE=queue, BROKER_VISIBILITY_TIMEOUT=3,
                          BROKER_TRANSPORT_OPTIONS={"unacked_restore_interval": 1, "unacked_restore_throttle": 1})
        from auditapp import jobs

        jobs.init_app(app)
        with app.app_context():
            store_checklists(db.session, load_directory(ROOT / "checklists"))
            seed_demo(db.session(), app.config, regions=1, dealers_per_region=2)
            db.session.commit()
        yield app
        jobs.celery.control.purge()  # leave nothing of ours on the broker
        app.config["BROKER_URL"] = None
        jobs.init_app(app)


class Worker:
    """`auditapp worker` in its own process group (so a kill takes its pool processes too)."""

    def __init__(self, app, log: Path) -> None:
        config = app.config
        self.env = {**os.environ, "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
                    "AUDITAPP_BROKER_URL": config["BROKER_URL"], "AUDITAPP_TASK_QUEUE": config["TASK_QUEUE"],
                    "AUDITAPP_BROKER_VISIBILITY_TIMEOUT": str(config["BROKER_VISIBILITY_TIMEOUT"]),
                    "AUDITAPP_BROKER_TRANSPORT_OPTIONS": json.dumps(config["BROKER_TRANSPORT_OPTIONS"]),
                    "AUDITAPP_REPORT_DIR": config["REPORT_DIR"], "AUDITAPP_ATTACHMENT_DIR": config["ATTACHMENT_DIR"],
                    "AUDITAPP_FONT_CACHE_DIR": config["FONT_CACHE_DIR"], "AUDITAPP_SECRET_KEY": "x"}
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, concurrency: int = 1) -> None:
        out = self.log.open("ab")
        beat = ["-B", f"--schedule={self.log.with_suffix('.schedule')}"] if "beat" in self.log.name else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "auditapp.cli", "worker", "-c", str(concurrency), "--without-mingle",
             "--without-gossip", *beat], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_for_log(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not in the worker's log:\n{self.log.read_text(errors='replace')}")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # the main process: a warm shutdown that lets its pool finish
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker(program, tmp_path) -> Iterator[Worker]:
    w = Worker(program, tmp_path / "worker.log")
    yield w
    w.stop()


def _render(app, out: Path, *langs: str):
    from auditapp.cli import render_wave

    with app.app_context():
        return render_wave(WAVE, out, list(langs) or ["en"])


def _expected_reports(app) -> int:
    """Per program of the wave: the region report and a scorecard per dealer with a published audit of it."""
    from auditapp.models import Audit, ChecklistVersion, Wave

    with app.app_context():
        pairs = db.session.execute(
            select(ChecklistVersion.key, Audit.dealer_id).join(Audit.checklist_version).join(Audit.wave)
            .where(Wave.code == WAVE, Audit.status == "published").distinct()).all()
    programs = {key for key, _ in pairs}
    return len(programs) + len(pairs)  # one region here


def _rows(app) -> list[ReportFile]:
    with app.app_context():
        return list(db.session.scalars(select(ReportFile)))


@needs_redis
def test_a_worker_renders_every_report_of_the_wave_once(program, worker, tmp_path):
    worker.start(concurrency=2)
    worker.wait_for_log("ready.")
    first = _render(program, tmp_path / "out")
    expected = _expected_reports(program)
    assert first["rendered"] == expected and first["skipped"] == 0
    rows = _rows(program)
    assert len(rows) == expected and len({r.content_digest for r in rows}) == expected
    for row in rows:
        assert Path(program.config["REPORT_DIR"], row.sha256[:2], f"{row.sha256}.pdf").read_bytes()[:5] == b"%PDF-"
    pdfs = sorted((tmp_path / "out" / WAVE).rglob("*.pdf"))
    assert len(pdfs) == expected and all(p.read_bytes()[:5] == b"%PDF-" for p in pdfs)
    # Nothing changed: nothing is queued, nothing stored again.
    again = _render(program, tmp_path / "out")
    assert again["rendered"] == 0 and again["skipped"] == expected
    assert len(_rows(program)) == expected


@needs_redis
def test_a_worker_killed_mid_render_loses_nothing_and_stores_the_report_once(program, worker, tmp_path):
    from auditapp.jobs import render_report
    from auditapp.models import utcnow
    from auditapp.reports.fonts import RECIPE_VERSION
    from auditapp.services.disputes import DisputePolicy
    from auditapp.services.figures import load_wave
    from auditapp.services.reports import source_payload, templates_digest, wave_sources

    with program.app_context():
        config = program.config
        policy = DisputePolicy.from_config(config)
        data = load_wave(db.session(), WAVE, config["MIN_RANKED_AUDITS"], "sales_visit", dispute_policy=policy)
        templates = templates_digest(config["REPORT_TEMPLATE_DIR"], f"font recipe {RECIPE_VERSION}")
        # The bilingual region report: the longest render of the wave.
        source = next(s for s in wave_sources(data, langs=["both"], templates=templates, policy=policy,
                                              now=utcnow()) if s.kind == "region_report")
        result = render_report.delay(source_payload(source))
    worker.start()
    worker.wait_for_log("Task auditapp.render_report[")  # received: it is being rendered, not acknowledged
    worker.kill()
    assert _rows(program) == []
    # The broker hands the unacknowledged task to the next worker (after the visibility timeout, 3 s here).
    worker.start()
    assert result.get(timeout=90)["rendered"] is True
    rows = _rows(program)
    assert [r.content_digest for r in rows] == [source.content_digest]
    # And a copy of the same task (a redelivery after all) renders nothing and adds no row.
    with program.app_context():
        assert render_report.delay(source_payload(source)).get(timeout=60)["rendered"] is False
        assert db.session.scalar(select(func.count()).select_from(ReportFile)) == 1


@needs_redis
def test_report_mail_is_a_job_sent_by_the_worker_with_the_pdfs_attached(program, worker, tmp_path):
    from fixtures.shopping import local_smtp_server

    with local_smtp_server() as (port, received):
        worker.env.update(AUDITAPP_SMTP_HOST="127.0.0.1", AUDITAPP_SMTP_PORT=str(port), AUDITAPP_SMTP_TLS="none")
        worker.start()
        worker.wait_for_log("ready.")
        result = program.test_cli_runner().invoke(args=[
            "reports", "render", "--wave", WAVE, "--out", str(tmp_path / "o"), "--lang", "en", "--email"])
        assert result.exit_code == 0, result.output
        assert "1 emails queued for the workers" in result.output  # one manager, one region
        deadline = time.monotonic() + 60
        while not received and time.monotonic() < deadline:
            time.sleep(0.2)
    assert len(received) == 1
    mail = received[0]
    assert mail["To"] == "manager.east@demo.auditapp.cn"
    pdfs = [part for part in mail.walk() if part.get_content_type() == "application/pdf"]
    assert len(pdfs) == _expected_reports(program)
    assert all(part.get_payload(decode=True)[:5] == b"%PDF-" for part in pdfs)


@needs_redis
def test_action_reminders_are_a_job_whose_mail_the_worker_sends(program, worker):
    """`actions remind` with a broker: a worker runs the pass, the command prints its counts, and the
    reminder mail is delivered by a worker through the outbox."""
    from datetime import date

    from fixtures.shopping import local_smtp_server
    from sqlalchemy import update

    from auditapp.models import Action, ActionEvent, Dealer, Wave

    with program.app_context():  # the demo's actions done; one of a dealer with a user, overdue since 2026-09-30
        db.session.execute(update(Action).values(status="accepted"))
        dealer = db.session.scalar(select(Dealer).order_by(Dealer.code).limit(1))
        wave = db.session.scalar(select(Wave).where(Wave.code == WAVE))
        db.session.add(Action(dealer_id=dealer.id, wave_id=wave.id, program="reminder_test", item_key="greeting",
                              item_text={"zh": "问候", "en": "Greeting"}, origin="manual", status="open", evidence=[],
                              implementation_files=[], due_limit=date(2026, 9, 30)))
        db.session.commit()
        user = f"gm.{dealer.code.lower()}@demo.auditapp.cn"
    with local_smtp_server() as (port, received):
        worker.env.update(AUDITAPP_SMTP_HOST="127.0.0.1", AUDITAPP_SMTP_PORT=str(port), AUDITAPP_SMTP_TLS="none")
        worker.start()
        worker.wait_for_log("ready.")
        result = program.test_cli_runner().invoke(args=["actions", "remind", "--wait", "60"])
        assert result.exit_code == 0, result.output
        assert "1 reminders sent (0 due soon, 1 overdue) in 1 emails to the users of 1 dealers" in result.output
        deadline = time.monotonic() + 60
        while not received and time.monotonic() < deadline:
            time.sleep(0.2)
    worker.wait_for_log("auditapp.action_reminders[")
    assert [m["To"] for m in received] == [user]
    body = received[0].get_payload(decode=True).decode("utf-8")
    assert "问候" in body and "Greeting" in body and "2026-09-30" in body
    with program.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActionEvent)
                                 .where(ActionEvent.kind == "reminded")) == 1


@needs_redis
def test_with_a_broker_a_worker_delivers_the_webhooks_and_its_beat_the_retries(tmp_path, font_cache_dir):
    """A publication's webhook is delivered by the worker, not by the request's process; a receiver that
    was down gets the event from the beat's pass once it is due again, exactly once."""
    from fixtures.databases import app_with_own_database
    from fixtures.outbox import Receiver, seed

    from auditapp import jobs
    from auditapp.models import OutboxMessage
    from auditapp.services import side_effects

    receiver = Receiver()  # down: the first attempt fails
    queue = f"test-{uuid.uuid4().hex[:10]}"
    with app_with_own_database(tmp_path, "jobs_outbox", font_cache_dir) as app:
        app.config.update(BROKER_URL="redis://127.0.0.1:6379/0", TASK_QUEUE=queue, OUTBOX_POLL_SECONDS=1)
        jobs.init_app(app)
        worker = Worker(app, tmp_path / "worker.log")
        try:
            world = seed(app)
            client = app.test_client()
            r = client.post("/api/v1/webhooks", headers=world.headers["admin"],
                            json={"url": receiver.url, "events": ["audit.published"]})
            assert r.status_code == 201, r.get_json()
            r = client.post(f"/api/v1/audits/{world.ids['audit']}/approve", headers=world.headers["qa"], json={})
            assert r.status_code == 200, r.get_json()
            assert side_effects.wait_for_background(30)  # the first attempt was handed to the queue
            worker.start()
            worker.wait_for_log("auditapp.deliver_outbox[")
            deadline = time.monotonic() + 60
            with app.app_context():
                webhook = select(OutboxMessage).where(OutboxMessage.kind == "webhook")
                while db.session.scalars(webhook).one().attempts == 0 and time.monotonic() < deadline:
                    db.session.commit()  # a new snapshot
                    time.sleep(0.2)
                message = db.session.scalars(webhook).one()
                assert message.status == "pending" and message.attempts == 1  # refused: the receiver is down
                receiver.up()
                # Due again in a minute: make it due now; the beat's next pass (every second) delivers it.
                message.next_attempt_at = message.next_attempt_at.replace(year=2000)
                db.session.commit()
            worker_beat = Worker(app, tmp_path / "beat.log")
            worker_beat.env["AUDITAPP_OUTBOX_POLL_SECONDS"] = "1"
            worker.stop()
            worker_beat.start()  # -B below: the same worker with its beat
            deadline = time.monotonic() + 60
            while not receiver.received and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(3)  # further passes find nothing more to send
            assert len(receiver.received) == 1
            assert receiver.received[0].json["type"] == "audit.published"
            with app.app_context():
                assert db.session.scalars(webhook).one().status == "delivered"
        finally:
            worker.stop()
            if "worker_beat" in locals():
                worker_beat.stop()
            receiver.down()
            jobs.celery.control.purge()
            app.config["BROKER_URL"] = None
            jobs.init_app(app)


def test_without_a_broker_the_command_renders_in_process(tmp_path, font_cache_dir):
    """The embedded default: no broker, no worker; `reports render` renders and stores as before."""
    from fixtures.databases import app_with_own_database

    from auditapp.checklists.loader import load_directory
    from auditapp.demo.seed import seed_demo
    from auditapp.services.checklists import store_checklists

    with app_with_own_database(tmp_path, "nobroker", font_cache_dir) as app:
        assert not app.config["BROKER_URL"]
        with app.app_context():
            store_checklists(db.session, load_directory(ROOT / "checklists"))
            seed_demo(db.session(), app.config, regions=1, dealers_per_region=2)
            db.session.commit()
        result = app.test_cli_runner().invoke(args=[
            "reports", "render", "--wave", WAVE, "--out", str(tmp_path / "o"), "--lang", "en", "--processes", "1"])
        assert result.exit_code == 0, result.output
        expected = _expected_reports(app)
        assert f"{expected} rendered, 0 unchanged" in result.output
        assert len(_rows(app)) == expected
