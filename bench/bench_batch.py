"""Batch rendering benchmark: a wave of 200 dealer scorecards and their region reports.

Seeds a demo program of 4 regions × 50 dealers (through the real services) into a temporary SQLite
database, then times `auditapp reports render` for its latest wave, in parallel over the cores, then
again to show that unchanged reports are skipped.

    .venv/bin/python bench/bench_batch.py [--dealers-per-region 50] [--lang both]
    .venv/bin/python bench/bench_batch.py --broker redis://127.0.0.1:6379/0 --celery-workers 1,2

With `--broker`, the same wave is rendered through Celery instead: for each number of worker processes
given, every rendering is forgotten and `auditapp worker -c N` renders the whole wave again; the
speed-up against the first count is printed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def seeded_app(tmp: str, dealers_per_region: int, settings: dict | None = None) -> Iterator[tuple]:
    """An app on a new SQLite database in `tmp`, seeded with the demo program (4 regions × the dealers
    per region) through the real services; yields (app, summary, seconds) inside its app context.
    bench_export.py seeds its waves with it too."""
    from flask_migrate import upgrade

    from auditapp import create_app
    from auditapp.checklists import load_directory
    from auditapp.demo.seed import seed_demo
    from auditapp.extensions import db
    from auditapp.services.checklists import store_checklists

    fonts = os.environ.get("AUDITAPP_FONT_CACHE_DIR", str(ROOT / "instance" / "fonts"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench",
                      "ATTACHMENT_DIR": f"{tmp}/attachments", "REPORT_DIR": f"{tmp}/reports",
                      "FONT_CACHE_DIR": fonts, **(settings or {})})
    with app.app_context():
        upgrade()
        store_checklists(db.session, load_directory(ROOT / "checklists"))
        started = time.perf_counter()
        summary = seed_demo(db.session, app.config, dealers_per_region=dealers_per_region)
        db.session.commit()
        yield app, summary, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dealers-per-region", type=int, default=50)
    parser.add_argument("--lang", default="both", choices=["zh", "en", "both"])
    parser.add_argument("--processes", type=int, default=None)
    parser.add_argument("--broker", help="render through Celery on this broker (redis://… or amqp://…)")
    parser.add_argument("--celery-workers", default="1,2", help="worker process counts to compare, e.g. 1,2")
    args = parser.parse_args()

    from auditapp.cli import render_wave
    from auditapp.demo.seed import WAVES

    extra = {"BROKER_URL": args.broker, "TASK_QUEUE": f"bench-{uuid.uuid4().hex[:8]}"} if args.broker else {}
    with tempfile.TemporaryDirectory() as tmp, \
            seeded_app(tmp, args.dealers_per_region, extra) as (app, summary, seeded):
        print(f"seeded {summary.dealers} dealers, {summary.audits} audits over {len(summary.waves)} waves "
              f"through the services in {seeded:.1f} s")
        out = Path(tmp) / "out"
        if args.broker:
            on_celery(app, [int(n) for n in args.celery_workers.split(",")], out, args.lang)
            return
        first = render_wave(WAVES[-1][0], out, [args.lang], processes=args.processes)
        scorecards = sum(1 for s in first["sources"] if s.kind == "dealer_scorecard")
        regions = len(first["sources"]) - scorecards
        print(f"wave {WAVES[-1][0]}: {scorecards} dealer scorecards + {regions} region reports ({args.lang}) "
              f"rendered in {first['seconds']:.1f} s on {os.cpu_count()} cores "
              f"({first['seconds'] / max(1, first['rendered']):.2f} s per report, wall)")
        again = render_wave(WAVES[-1][0], out, [args.lang], processes=args.processes)
        print(f"second run: {again['rendered']} rendered, {again['skipped']} unchanged, {again['seconds']:.1f} s")


def on_celery(app, counts: list[int], out: Path, lang: str) -> None:
    from auditapp.cli import render_wave
    from auditapp.demo.seed import WAVES
    from auditapp.extensions import db
    from auditapp.models import ReportFile

    settings = app.config
    env = {**os.environ, **{f"AUDITAPP_{k}": str(settings[k]) for k in (
        "SECRET_KEY", "ATTACHMENT_DIR", "REPORT_DIR", "FONT_CACHE_DIR", "BROKER_URL", "TASK_QUEUE")},
           "DATABASE_URL": settings["SQLALCHEMY_DATABASE_URI"]}
    times: dict[int, float] = {}
    for count in counts:
        db.session.query(ReportFile).delete()
        db.session.commit()
        shutil.rmtree(settings["REPORT_DIR"], ignore_errors=True)
        worker = subprocess.Popen([sys.executable, "-m", "auditapp.cli", "worker", "-c", str(count),
                                   "--without-mingle", "--without-gossip", "--loglevel=warning"],
                                  cwd=ROOT, env=env, start_new_session=True)
        try:
            time.sleep(3)  # the worker connects and forks its pool
            result = render_wave(WAVES[-1][0], out, [lang])
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        times[count] = result["seconds"]
        print(f"Celery, {count} worker process(es): {result['rendered']} reports ({lang}) in {result['seconds']:.1f} s "
              f"({result['seconds'] / max(1, result['rendered']):.2f} s per report, wall), "
              f"speed-up {times[counts[0]] / result['seconds']:.2f} x against {counts[0]}")


if __name__ == "__main__":
    main()
