"""National-scale benchmark on PostgreSQL: a 1,500-dealer network, read through the real HTTP API.

It seeds, with COPY, a network of --dealers dealers in --regions regions, --waves monthly waves and two
programs (sales_visit v2, 82 items; phone_enquiry v2, 25 items): the last wave has 3 sales visits per
dealer (4,500 audits) and one call each (1,500), the earlier ones share the rest. Answers are drawn as the
demo draws them (a dealer's quality drives what the shopper sees) and scored by the engine; about 4 % of
the audits carry a dispute, a third of them upheld with a new score version (a revision). Each audit's
`audit_figures` row is written with `figures_of`, the function that services/score_versions uses when it
stores a version, so the figures read are the engine's own.

Then `auditapp serve` (gunicorn, 2 workers) answers, one request at a time, as an admin:
  * GET /api/v1/dealers/{id}/scorecard?wave=…&program=sales_visit        (--requests dealers)
  * GET /api/v1/regions/{id}/leaderboard?wave=…&program=sales_visit      (every region, twice)
  * GET /api/v1/waves/{code}/figures?program=sales_visit                 (the national worst gaps)
  * GET /api/v1/disputes/stats?wave=…&program=sales_visit
  * GET /api/v1/waves/{code}/export.csv?program=…&sheet=items            (streamed; server memory watched)
first with --first audits in the database (the last wave and the one before), then again after the
earlier waves are added up to --audits: the last wave is the same, so the two runs show whether time
grows with the wave's size or the database's. The first request to each worker reads and works out
the wave (cold); later ones reuse the parsed figures while no score in the wave changes
(services/figures/cache.py): both are printed. EXPLAIN ANALYZE of the wave's queries is printed at the end.

    python bench/bench_scale.py [--audits 100000] [--first 10000] [--dealers 1500] [--requests 30]

Takes about 10 minutes on 2 cores (most of it drawing and scoring 100,000 visits). A benchmark, not a test.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_api import (  # noqa: E402
    PASSWORD,
    Prepared,
    Server,
    _pg_admin,
    _server_env,
    _settings,
    request,
)

PG_DB = "auditapp_bench_scale"
INDEX_USE = re.compile(r"Index (?:Only )?Scan (?:Backward )?(?:using|on) (\S+)")
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"
PG_CONNINFO = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PROGRAMS = ("sales_visit", "phone_enquiry")
TARGET_P50_MS = 300.0
REGION_NAMES = ["华东一区", "华东二区", "华北一区", "华北二区", "华南一区", "华南二区", "华中区", "西南区",
                "西北区", "东北区", "山东区", "江苏区", "浙江区", "福建区", "广西区", "云贵区"]


@dataclass
class Network:
    app: Any
    checklists: dict[str, Any]           # key -> Checklist
    version_ids: dict[str, int]          # key -> checklist_versions.id
    dealers: list[int]
    dealer_region: dict[int, int]
    quality: dict[int, float]
    regions: list[int]
    waves: list[tuple[int, str, date, date]]  # id, code, starts_on, ends_on; oldest first
    shoppers: list[int]
    qa_id: int
    dealer_user_id: int
    next_version_id: int = 1
    next_dispute_id: int = 1
    counts: dict[str, int] = field(default_factory=lambda: {"audits": 0, "answers": 0, "score_versions": 0,
                                                            "disputes": 0, "revisions": 0})


# --- seeding --------------------------------------------------------------------------------------------

def create_network(args: argparse.Namespace, instance: Path) -> tuple[Network, Prepared]:
    _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    _pg_admin(f"CREATE DATABASE {PG_DB}")
    config_file = instance / "bench.cfg"
    config_file.write_text("# auditapp benchmark: configuration comes from the environment\n")
    import os

    os.environ["AUDITAPP_CONFIG"] = str(config_file)
    settings = _settings(instance, PG_URL)
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from auditapp import create_app
    from auditapp.checklists import load_checklist_file
    from auditapp.extensions import db
    from auditapp.models import ChecklistVersion, Dealer, Region, User, Wave
    from auditapp.services.checklists import store_checklists
    from auditapp.services.users import create_user

    app = create_app(settings)
    rng = random.Random(2026)
    with app.app_context():
        upgrade()
        session = db.session
        checklists = {c.key: c for c in (load_checklist_file(ROOT / "checklists" / "sales_visit.v2.yaml"),
                                         load_checklist_file(ROOT / "checklists" / "phone_enquiry.v2.yaml"))}
        store_checklists(session, checklists.values())
        version_ids = {v.key: v.id for v in session.query(ChecklistVersion)}
        regions = [Region(code=f"R{r + 1:02d}", name_zh=REGION_NAMES[r % len(REGION_NAMES)],
                          name_en=f"Region {r + 1}") for r in range(args.regions)]
        session.add_all(regions)
        session.flush()
        dealers = [Dealer(region_id=regions[d % args.regions].id, code=f"D{d + 1:05d}", name_zh=f"经销商{d + 1}",
                          name_en=f"Dealer {d + 1}", latitude=31.2 + rng.uniform(-3, 3),
                          longitude=121.4 + rng.uniform(-8, 3), address="中国") for d in range(args.dealers)]
        session.add_all(dealers)
        session.flush()
        today = date.today()
        first_month = date(today.year, today.month, 1) - timedelta(days=1)
        months = []
        month = date(first_month.year, first_month.month, 1)
        for _ in range(args.waves):
            months.append(month)
            month = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        months.reverse()
        waves = []
        for start in months:
            end = date(start.year + (start.month == 12), start.month % 12 + 1, 1) - timedelta(days=1)
            waves.append(Wave(code=f"{start.year}-{start.month:02d}", title_zh=f"{start.year}年{start.month}月",
                              title_en=f"{start:%B %Y}", starts_on=start, ends_on=end))
        session.add_all(waves)
        create_user(session, email="admin@scale.example", password=PASSWORD, role="admin", display_name="Admin")
        qa = create_user(session, email="qa@scale.example", password=PASSWORD, role="qa", display_name="QA")
        dealer_user = create_user(session, email="dealer@scale.example", password=PASSWORD, role="dealer",
                                  dealer_id=dealers[0].id, display_name="Dealer user")
        for region in regions[:2]:
            create_user(session, email=f"manager-{region.code.lower()}@scale.example", password=PASSWORD,
                        role="manager", region_ids=[region.id], display_name=f"Manager {region.code}")
        password_hash = qa.password_hash  # one hash for the bulk shoppers: nobody logs in as them
        session.execute(insert(User), [{"email": f"shopper{s:04d}@scale.example", "display_name": f"Shopper {s}",
                                        "password_hash": password_hash, "role": "shopper", "active": True}
                                       for s in range(args.shoppers)])
        session.flush()
        shoppers = [u.id for u in session.query(User).filter(User.role == "shopper")]
        session.commit()
        network = Network(app=app, checklists=checklists, version_ids=version_ids, dealers=[d.id for d in dealers],
                          dealer_region={d.id: d.region_id for d in dealers},
                          quality={d.id: min(0.97, max(0.2, rng.gauss(0.62, 0.14))) for d in dealers},
                          regions=[r.id for r in regions],
                          waves=[(w.id, w.code, w.starts_on, w.ends_on) for w in waves],
                          shoppers=shoppers, qa_id=qa.id, dealer_user_id=dealer_user.id)
        db.session.remove()
    prepared = Prepared("postgresql", PG_URL, instance, _server_env(settings, config_file), [], [])
    return network, prepared


def wave_plan(network: Network, wave_index: int, audits: int, rng: random.Random) -> list[tuple[int, str]]:
    """(dealer, program) of each audit of a wave: two thirds sales visits, one third calls."""
    dealers = network.dealers
    offset = rng.randrange(len(dealers))
    sales = round(audits * 2 / 3)
    plan = [(dealers[(offset + i) % len(dealers)], "sales_visit") for i in range(sales)]
    plan += [(dealers[(offset + i) % len(dealers)], "phone_enquiry") for i in range(audits - sales)]
    return plan


def last_wave_plan(network: Network) -> list[tuple[int, str]]:
    """The wave measured: 3 sales visits per dealer and one call each."""
    return [(d, "sales_visit") for d in network.dealers for _ in range(3)] + \
        [(d, "phone_enquiry") for d in network.dealers]


def seed_waves(network: Network, plans: list[tuple[int, list[tuple[int, str]]]], seed: int) -> float:
    """COPY the audits of `plans` [(wave index, [(dealer, program)])] with answers, score versions,
    disputes and audit figures. Returns the seconds it took."""
    import psycopg

    from auditapp.demo.answers import draw_answers
    from auditapp.scoring import score_audit
    from auditapp.services.disputes import passing_answer
    from auditapp.services.flags import comment_digest
    from auditapp.services.score_versions import figures_of

    started = time.perf_counter()
    rng = random.Random(seed)
    disputable = {key: [i.key for i in c.items.values() if i.disputable] for key, c in network.checklists.items()}
    with psycopg.connect(PG_CONNINFO) as conn, conn.cursor() as cur:
        audit_rows: list[tuple[Any, ...]] = []
        answer_rows: list[tuple[Any, ...]] = []
        version_rows: list[tuple[Any, ...]] = []
        figure_rows: list[tuple[Any, ...]] = []
        dispute_rows: list[tuple[Any, ...]] = []
        tables = [(audit_rows, AUDIT_COLUMNS), (answer_rows, ANSWER_COLUMNS), (version_rows, VERSION_COLUMNS),
                  (figure_rows, FIGURE_COLUMNS), (dispute_rows, DISPUTE_COLUMNS)]
        for wave_index, plan in plans:
            wave_id, _, starts_on, ends_on = network.waves[wave_index]
            recent = wave_index == len(network.waves) - 1
            for dealer_id, program in plan:
                checklist = network.checklists[program]
                audit_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                day = starts_on + timedelta(days=rng.randint(0, (ends_on - starts_on).days - 3))
                visited = datetime.combine(day, datetime.min.time(), SHANGHAI).replace(
                    hour=rng.randint(9, 17), minute=rng.choice([0, 15, 30, 45])).astimezone(UTC)
                ended = visited + timedelta(minutes=rng.choice([35, 42, 50]) if program == "sales_visit" else 9)
                submitted = ended + timedelta(hours=rng.choice([1, 2, 4]))
                published = submitted + timedelta(days=rng.randint(1, 3))
                quality = min(0.98, max(0.1, network.quality[dealer_id] + rng.gauss(0, 0.05)))
                answers = draw_answers(checklist, quality, rng, purchase=rng.random() < 0.25,
                                       photo_hash="0" * 64)
                audit_rows.append((audit_id, dealer_id, wave_id, network.version_ids[program],
                                   rng.choice(network.shoppers), "published", day - timedelta(days=3),
                                   day + timedelta(days=3), 1, visited, ended, 31.2, 121.4, 10.0, submitted,
                                   submitted, published, "[]", visited, published))
                for key, answer in answers.items():
                    answer_rows.append((audit_id, key, json.dumps(answer["value"]) if "value" in answer else None,
                                        bool(answer.get("na")), answer.get("comment"),
                                        comment_digest(answer.get("comment")),
                                        json.dumps(answer.get("attachments", []))))
                first = score_audit(checklist, answers, {}).to_dict()
                versions = [(first, {}, "approved by QA", published)]
                failed = [k for k in first["failed"] if k in disputable[program]]
                if failed and rng.random() < 0.04 * 1.6:  # ~4 % of all audits (60 % have a failed item)
                    item = rng.choice(failed)
                    filed = published + timedelta(days=1)
                    outcome = "open" if recent and rng.random() < 0.3 else rng.choice(
                        ["upheld", "rejected", "rejected"])
                    override = passing_answer(checklist.items[item]) if outcome == "upheld" else None
                    decided = filed + timedelta(days=2) if outcome != "open" else None
                    if override is not None:
                        assert decided is not None
                        revised = score_audit(checklist, answers, {item: override}).to_dict()
                        versions.append((revised, {item: override}, f"dispute #{network.next_dispute_id} "
                                         "upheld (QA): evidence shows the standard was met", decided))
                    dispute_rows.append((network.next_dispute_id, audit_id, dealer_id, item, outcome,
                                         "店内监控显示顾问已按标准执行，请复核。", "pass", "[]",
                                         network.dealer_user_id, filed,
                                         outcome if outcome != "open" else None,
                                         "复核录音后认定" if outcome != "open" else None,
                                         network.qa_id if outcome != "open" else None, decided,
                                         json.dumps(override) if override is not None else None,
                                         2 if override is not None else None, 1))
                    network.next_dispute_id += 1
                for number, (score, overrides, reason, at) in enumerate(versions, start=1):
                    version_rows.append((network.next_version_id, audit_id, number, score["overall"],
                                         score["overall_raw"], json.dumps(score), json.dumps(overrides), reason,
                                         network.qa_id, at))
                    network.next_version_id += 1
                latest = versions[-1][0]
                figure_rows.append((audit_id, wave_id, program, network.next_version_id - 1, len(versions),
                                    latest["overall"], first["overall"], json.dumps(figures_of(latest, checklist))))
                network.counts["revisions"] += len(versions) - 1
                if len(audit_rows) >= 2000:
                    _flush(cur, network, tables)
        _flush(cur, network, tables)
        cur.execute("SELECT setval('score_versions_id_seq', (SELECT MAX(id) FROM score_versions))")
        cur.execute("SELECT setval('disputes_id_seq', (SELECT MAX(id) FROM disputes))")
        conn.commit()
        conn.autocommit = True
        # Vacuumed now, so that autovacuum does not pass over millions of new rows while the API is measured.
        cur.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - started


AUDIT_COLUMNS = ("audits (id, dealer_id, wave_id, checklist_version_id, shopper_id, status, visit_window_start, "
                 "visit_window_end, revision, visit_started_at, visit_ended_at, checkin_latitude, checkin_longitude, "
                 "checkin_accuracy_m, device_time_at_submit, submitted_at, published_at, flags, created_at, "
                 "updated_at)")
ANSWER_COLUMNS = "answers (audit_id, item_key, value, na, comment, comment_digest, attachments)"
VERSION_COLUMNS = ("score_versions (id, audit_id, version, overall, overall_raw, score, overrides, reason, "
                   "created_by_id, created_at)")
FIGURE_COLUMNS = ("audit_figures (audit_id, wave_id, program, score_version_id, version, overall, original_overall, "
                  "figures)")
DISPUTE_COLUMNS = ("disputes (id, audit_id, dealer_id, item_key, status, claim, requested_outcome, evidence, "
                   "filed_by_id, filed_at, qa_outcome, qa_reason, qa_decided_by_id, qa_decided_at, override, "
                   "score_version, row_version)")


def _flush(cur: Any, network: Network, tables: list[tuple[list[tuple[Any, ...]], str]]) -> None:
    """COPY a batch of audits and what belongs to them, in the order of their foreign keys."""
    for rows, target in tables:
        with cur.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        name = target.split()[0]
        if name in network.counts:
            network.counts[name] += len(rows)
        rows.clear()


# --- measuring ------------------------------------------------------------------------------------------

@dataclass
class Timings:
    name: str
    first: list[float]  # the first request each worker answered: it read and worked out the wave
    rest: list[float]

    def p(self, q: float) -> float:
        values = sorted(self.rest)
        return values[min(len(values) - 1, math.ceil(q * len(values)) - 1)] if values else float("nan")


def login(port: int, email: str) -> str:
    status, body = request(port, "POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
    assert status == 200, body
    return json.loads(body)["access_token"]


def timed_get(port: int, token: str, path: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    status, body = request(port, "GET", path, headers={"Authorization": f"Bearer {token}"}, timeout=600)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {body[:400]!r}")
    return elapsed, body


def measure_endpoint(port: int, token: str, name: str, paths: list[str], workers: int) -> Timings:
    times = [timed_get(port, token, path)[0] for path in paths]
    return Timings(name, times[:workers], times[workers:])


def worker_peak_rss(server: Server) -> dict[int, int]:
    out = {}
    for pid in server.worker_pids():
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out[pid] = int(line.split()[1]) * 1024
        except OSError:
            pass
    return out


def measure_export(port: int, token: str, server: Server, wave: str, program: str) -> dict[str, Any]:
    import http.client

    before = worker_peak_rss(server)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    started = time.perf_counter()
    conn.request("GET", f"/api/v1/waves/{wave}/export.csv?program={program}&sheet=items",
                 headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    first_byte = time.perf_counter() - started
    size = rows = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
        rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"export: {response.status}")
    after = worker_peak_rss(server)
    growth = max((after[p] - before.get(p, after[p]) for p in after), default=0)
    return {"program": program, "seconds": elapsed, "first_byte": first_byte, "mb": size / 1e6, "rows": rows - 1,
            "peak_rss_mb": max(after.values(), default=0) / 1e6, "peak_growth_mb": growth / 1e6}


def run_stage(network: Network, prepared: Prepared, args: argparse.Namespace, label: str) -> dict[str, Any]:
    wave_code = network.waves[-1][1]
    server = Server(prepared, workers=args.workers)
    server.start()
    try:
        port = server.port
        admin = login(port, "admin@scale.example")
        rng = random.Random(7)
        dealers = rng.sample(network.dealers, args.requests + args.workers)
        query = f"wave={wave_code}&program=sales_visit"
        results = [
            measure_endpoint(port, admin, "dealer scorecard",
                             [f"/api/v1/dealers/{d}/scorecard?{query}" for d in dealers], args.workers),
            measure_endpoint(port, admin, "region leaderboard",
                             [f"/api/v1/regions/{r}/leaderboard?{query}" for r in network.regions * 2], args.workers),
            measure_endpoint(port, admin, "national worst gaps",
                             [f"/api/v1/waves/{wave_code}/figures?program=sales_visit"] * (10 + args.workers),
                             args.workers),
            measure_endpoint(port, admin, "dispute statistics",
                             [f"/api/v1/disputes/stats?{query}"] * (10 + args.workers), args.workers),
        ]
        dealer_token = login(port, "dealer@scale.example")
        own = f"/api/v1/dealers/{network.dealers[0]}/scorecard?{query}"
        results.append(measure_endpoint(port, dealer_token, "own scorecard (dealer user)",
                                        [own] * (10 + args.workers), args.workers))
        _, body = timed_get(port, admin, f"/api/v1/waves/{wave_code}/figures?program=sales_visit")
        nation = json.loads(body)
        exports = [measure_export(port, admin, server, wave_code, "phone_enquiry"),
                   measure_export(port, admin, server, wave_code, "sales_visit")]
    finally:
        server.stop()
    return {"label": label, "results": results, "exports": exports, "nation": nation}


def counts(network: Network) -> str:
    c = network.counts
    return (f"{c['audits']:,} audits, {c['answers']:,} answers, {c['score_versions']:,} score versions "
            f"({c['revisions']:,} revisions), {c['disputes']:,} disputes")


def print_stage(stage: dict[str, Any]) -> None:
    print(f"\n== {stage['label']} ==")
    print(f"{'endpoint':32} {'n':>3} {'cold ms':>16} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8}")
    for t in stage["results"]:
        cold = " / ".join(f"{v:.0f}" for v in t.first)
        print(f"{t.name:32} {len(t.rest):>3} {cold:>16} {t.p(0.5):8.1f} {t.p(0.9):8.1f} {max(t.rest):8.1f}")
    for e in stage["exports"]:
        print(f"export items sheet, {e['program']:14}: {e['rows']:,} rows, {e['mb']:.1f} MB in {e['seconds']:.1f} s "
              f"(first byte {e['first_byte']:.2f} s); worker peak RSS {e['peak_rss_mb']:.0f} MB, "
              f"grew {e['peak_growth_mb']:.0f} MB during the export")
    nation = stage["nation"]
    top = ", ".join(f"{g['item']} {g['mean_points_lost_total']:.2f}" for g in nation["gaps"][:3])
    print(f"national: mean {nation['score']['printed']} over {nation['score']['dealers']} dealers, "
          f"{nation['score']['audits']} audits; worst gaps (L + K): {top}")


def explain(network: Network) -> None:
    """EXPLAIN ANALYZE of each query a scorecard's load_wave runs on the last wave."""
    from sqlalchemy import event

    from auditapp.extensions import db
    from auditapp.services.figures import cache, load_wave

    app = network.app
    with app.app_context():
        cache.figures_cache.clear()
        engine = db.engine
        statements: list[tuple[str, Any]] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", record)
        try:
            load_wave(db.session(), network.waves[-1][1], app.config["MIN_RANKED_AUDITS"], "sales_visit",
                      comments_for=network.dealers[0])
        finally:
            event.remove(engine, "before_cursor_execute", record)
        db.session.rollback()
        print(f"\n== EXPLAIN ANALYZE of the {len(statements)} queries of one scorecard's load_wave ==")
        with engine.connect() as conn:
            for statement, parameters in statements:
                cursor = conn.connection.cursor()
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + statement, parameters)
                plan = [row[0] for row in cursor.fetchall()]
                head = " ".join(statement.split())[:150]
                total = next((line for line in plan if line.startswith("Execution Time")), "")
                used = sorted({match.group(1) for line in plan for match in INDEX_USE.finditer(line)})
                print(f"\n-- {head}…\n   {total}; indexes: {', '.join(used) or 'none'}")
                if "audit_figures" in statement and "JOIN score_versions" in statement:
                    print("\n".join("   " + line for line in plan))
            conn.rollback()
        db.session.remove()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audits", type=int, default=100_000)
    parser.add_argument("--first", type=int, default=10_000, help="audits in the first measurement")
    parser.add_argument("--dealers", type=int, default=1500)
    parser.add_argument("--regions", type=int, default=12)
    parser.add_argument("--waves", type=int, default=24)
    parser.add_argument("--shoppers", type=int, default=300)
    parser.add_argument("--requests", type=int, default=30, help="scorecards of different dealers per stage")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {PG_DB}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="auditapp-bench-scale-") as tmp:
        instance = Path(tmp)
        print(f"seeding {args.dealers} dealers in {args.regions} regions, {args.waves} waves, 2 programs …",
              flush=True)
        network, prepared = create_network(args, instance)
        last = last_wave_plan(network)
        before_last = max(0, args.first - len(last))
        seconds = seed_waves(network, [(args.waves - 1, last), (args.waves - 2, wave_plan(
            network, args.waves - 2, before_last, random.Random(1)))], seed=1)
        print(f"stage 1: {counts(network)} in {seconds:.0f} s", flush=True)
        stages = [run_stage(network, prepared, args, f"{network.counts['audits']:,} audits in the database")]
        rest = max(0, args.audits - network.counts["audits"])
        earlier = args.waves - 2
        plans = [(w, wave_plan(network, w, rest // earlier + (w < rest % earlier), random.Random(100 + w)))
                 for w in range(earlier)]
        seconds = seed_waves(network, plans, seed=2)
        print(f"stage 2: {counts(network)} in all (+{seconds:.0f} s)", flush=True)
        stages.append(run_stage(network, prepared, args, f"{network.counts['audits']:,} audits in the database"))
        print(f"\nwave measured: {network.waves[-1][1]}, program sales_visit: {args.dealers} dealers, "
              f"{3 * args.dealers} audits (and {args.dealers} phone audits of the other program)")
        for stage in stages:
            print_stage(stage)
        print("\n== time at the large database ÷ time at the small one (p50; cold = slower worker) ==")
        for small, large in zip(stages[0]["results"], stages[1]["results"], strict=True):
            print(f"{small.name:32} p50 ×{large.p(0.5) / small.p(0.5):.2f}   "
                  f"cold ×{max(large.first) / max(small.first):.2f}")
        for small_e, large_e in zip(stages[0]["exports"], stages[1]["exports"], strict=True):
            print(f"export {small_e['program']:25} ×{large_e['seconds'] / small_e['seconds']:.2f}")
        worst = max(t.p(0.5) for s in stages for t in s["results"][:2])
        print(f"\nverdict: scorecard and leaderboard p50 ≤ {TARGET_P50_MS:.0f} ms: "
              f"{'met' if worst <= TARGET_P50_MS else 'NOT met'} (worst p50 {worst:.0f} ms)")
        explain(network)
        if not args.keep:
            from auditapp.extensions import db

            with network.app.app_context():
                db.engine.dispose()
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
