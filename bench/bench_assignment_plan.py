"""Bulk assignment benchmark: a wave's CSV plan of MAX_PLAN_ROWS rows checked and assigned through
services/assignment_plans.import_plan, on a fresh SQLite file (or the PostgreSQL database given).

It prepares 500 dealers, 100 shoppers, a wave and a checklist, then times, each in its own transaction
rolled back afterwards (so every run sees the same database):

  * a good plan of --rows rows (every row assigned: the checks, the inserts and the events),
  * the same plan with its last row wrong (every row checked, nothing written),

and prints the median time and the SQL statements each run executed (they do not grow with the rows).

    python bench/bench_assignment_plan.py [--rows 5000] [--runs 3] [--database-url URL]

This is a benchmark, not a test: nothing here runs under pytest. A PostgreSQL database named with
--database-url has its schema dropped and rebuilt.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from timing import measure  # noqa: E402

DEALERS, SHOPPERS = 500, 100


def main() -> None:
    from auditapp import create_app
    from auditapp.extensions import db
    from auditapp.limits import MAX_PLAN_ROWS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=MAX_PLAN_ROWS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-plan-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    if url.startswith("postgres"):
        from sqlalchemy import create_engine

        from auditapp.config import normalise_database_url

        url = normalise_database_url(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "ATTACHMENT_DIR": str(folder / "a"),
                      "REPORT_DIR": str(folder / "r")})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        good, bad = prepare(db.session, args.rows)
        for label, data in (("good plan (assigned)", good), ("one bad row (refused)", bad)):
            statements = []
            timing = measure(lambda data=data, statements=statements: run(db, app, data, statements), args.runs)
            per_run = len(statements) // args.runs
            print(f"{label:24} {args.rows:5} rows  {timing}  {per_run} SQL statements per run  "
                  f"({url.split(':')[0]})")


def prepare(session, rows: int) -> tuple[bytes, bytes]:
    from fixtures.factories import small_checklist_document

    from auditapp.checklists import checklist_from_document
    from auditapp.models import Dealer, Region, User, Wave
    from auditapp.services.checklists import store_checklists

    region = Region(code="R1", name_zh="区域", name_en="Region")
    session.add(region)
    session.flush()
    dealers = [Dealer(code=f"D{n:04d}", region_id=region.id, name_zh=f"店{n}", name_en=f"Dealer {n}")
               for n in range(DEALERS)]
    shoppers = [User(email=f"s{n}@bench.example.com", password_hash="x", role="shopper") for n in range(SHOPPERS)]
    session.add_all([*dealers, *shoppers, Wave(code="BENCH", title_zh="期", title_en="Wave",
                                               starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31))])
    store_checklists(session, [checklist_from_document(small_checklist_document())])
    session.commit()
    lines = ["dealer,shopper,window_start,window_end,checklist"]
    for n in range(rows):
        # each (shopper, dealer) pair once: nothing clashes under the rotation rule
        start = date(2027, 1, 1) + timedelta(days=n % 300)
        lines.append(f"D{n % DEALERS:04d},s{(n // DEALERS) % SHOPPERS}@bench.example.com,{start},"
                     f"{start + timedelta(days=6)},mini")
    good = "\r\n".join(lines) + "\r\n"
    bad = "\r\n".join([*lines[:-1], lines[-1].replace("mini", "nope")]) + "\r\n"
    return good.encode("utf-8-sig"), bad.encode("utf-8-sig")


def run(db, app, data: bytes, statements: list[str]) -> None:
    from auditapp.services.assignment_plans import PlanRefused, import_plan

    engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        import_plan(db.session, None, "BENCH", data, rotation_days=app.config["ROTATION_DAYS"])
    except PlanRefused as refused:
        assert len(refused.problems) == 1, refused.problems[:3]
    finally:
        event.remove(engine, "before_cursor_execute", record)
        db.session.rollback()


if __name__ == "__main__":
    main()
