"""Batch rendering benchmark: a wave of 200 dealer scorecards and their region reports.

Seeds a demo program of 4 regions × 50 dealers (through the real services) into a temporary SQLite
database, then times `auditapp reports render` for its latest wave, in parallel over the cores, then
again to show that unchanged reports are skipped.

    .venv/bin/python bench/bench_batch.py [--dealers-per-region 50] [--lang both]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def seeded_app(tmp: str, dealers_per_region: int) -> Iterator[tuple]:
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
                      "FONT_CACHE_DIR": fonts})
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
    args = parser.parse_args()

    from auditapp.cli import render_wave
    from auditapp.demo.seed import WAVES

    with tempfile.TemporaryDirectory() as tmp, seeded_app(tmp, args.dealers_per_region) as (_app, summary, seeded):
        print(f"seeded {summary.dealers} dealers, {summary.audits} audits over {len(summary.waves)} waves "
              f"through the services in {seeded:.1f} s")
        out = Path(tmp) / "out"
        first = render_wave(WAVES[-1][0], out, [args.lang], processes=args.processes)
        scorecards = sum(1 for s in first["sources"] if s.kind == "dealer_scorecard")
        regions = len(first["sources"]) - scorecards
        print(f"wave {WAVES[-1][0]}: {scorecards} dealer scorecards + {regions} region reports ({args.lang}) "
              f"rendered in {first['seconds']:.1f} s on {os.cpu_count()} cores "
              f"({first['seconds'] / max(1, first['rendered']):.2f} s per report, wall)")
        again = render_wave(WAVES[-1][0], out, [args.lang], processes=args.processes)
        print(f"second run: {again['rendered']} rendered, {again['skipped']} unchanged, {again['seconds']:.1f} s")


if __name__ == "__main__":
    main()
