"""Outbox benchmark: what queueing webhook events costs the transaction that causes them, and how fast
runners deliver them to a local receiver, with one runner and with two racing ones.

For each database (a SQLite file in a temporary folder; PostgreSQL when --postgresql URL names a
database it may empty) it migrates a fresh schema, makes 3 subscriptions to `dispute.filed` on a local
http.server receiver (127.0.0.1, a free port, answering 200 at once), then

  * queues --events events in one transaction each (3 deliveries per event) and prints the time per
    event (what `emit` adds to the request that causes it),
  * delivers them all with `run_due` passes, first by one runner, then (after queueing again) by two
    runner threads at once, and prints deliveries/s and whether every delivery arrived exactly once.

    python bench/bench_outbox.py [--events 300] [--postgresql postgresql+psycopg://postgres@127.0.0.1/db]

This is a benchmark, not a test: nothing here runs under pytest.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def receiver() -> tuple[str, Counter[str], ThreadingHTTPServer]:
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                seen[f"{self.headers['X-Auditapp-Delivery']} {json.loads(body)['id']}"] += 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/hook", seen, server


def drain(engine: Any, config: Any) -> None:
    from auditapp.services import outbox

    while sum(outbox.run_due(engine, config).values()):
        pass


def measure(url: str, events: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from auditapp import create_app
    from auditapp.extensions import db
    from auditapp.models import User
    from auditapp.services import webhooks

    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "OUTBOX_POLL_SECONDS": 0})
    hook, seen, server = receiver()
    with app.app_context():
        upgrade()
        admin = User(email="admin@bench", password_hash="x", role="admin")
        db.session.add(admin)
        db.session.flush()
        for _ in range(3):
            webhooks.create_subscription(db.session, admin, url=hook, events=["dispute.filed"])
        db.session.commit()
        name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        for runners in (1, 2):
            started = time.perf_counter()
            for n in range(events):
                webhooks.emit(db.session, "dispute.filed", {"dispute_id": n})
                db.session.commit()
            queued = time.perf_counter() - started
            seen.clear()
            started = time.perf_counter()

            threads = [threading.Thread(target=drain, args=(db.engine, app.config)) for _ in range(runners)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.perf_counter() - started
            deliveries = events * 3
            once = len(seen) == deliveries and set(seen.values()) == {1}
            print(f"{name:10} queue {1000 * queued / events:6.2f} ms/event (3 deliveries) | "
                  f"{runners} runner{'s' if runners > 1 else ' '}: {deliveries / took:7.1f} deliveries/s | "
                  f"each exactly once: {'yes' if once else 'NO'}")
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--postgresql", help="a PostgreSQL database URL whose schema may be dropped")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measure(f"sqlite:///{Path(folder) / 'bench.db'}", args.events)
    if args.postgresql:
        measure(args.postgresql, args.events)


if __name__ == "__main__":
    main()
