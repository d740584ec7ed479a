"""Load benchmark: the shopper submit endpoint under concurrent clients, against the real server.

For each database (SQLite file, PostgreSQL database `auditapp_bench`, or the database --postgresql URL
names, whose schema is dropped and made again) it prepares a fresh database
(migrations, a generated 60-item checklist, a region, dealers, a wave, one shopper per client and
enough assigned audits that every submit hits a fresh audit), starts `auditapp serve` (gunicorn) on
a free port of 127.0.0.1, logs every shopper in, and then drives load from separate client processes
(threads with one http.client connection each, no think time):

  * GET /health for --seconds (the floor: framework + gunicorn cost of a trivial JSON response),
  * POST /api/v1/audits/{id}/submit for --seconds (60 answers, visit proof, a new Idempotency-Key).

It prints requests/s and latency percentiles per endpoint and database, the first error bodies
(any non-200 is an error), and a one-line verdict against the target: p99 of a submit < 100 ms at
32 concurrent clients.

    python bench/bench_api.py [--database sqlite|postgresql|both] [--clients 32] [--seconds 20]
                              [--workers N] [--client-procs 4] [--server serve|gunicorn]
                              [--postgresql postgresql+psycopg://postgres@127.0.0.1/db]

Below the table it shows where the machine's CPU went during each measurement (server workers,
client processes, PostgreSQL, everything else): the machine may be shared, so read the figures
together with the "other processes" share.

This is a benchmark, not a test: nothing here runs under pytest.
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "auditapp_bench"
PG_BENCH_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
PASSWORD = "bench password 123"
TARGET_P99_MS = 100.0
TARGET_CLIENTS = 32
DEALER_LOCATION = (31.2304, 121.4737)
SECTIONS, ITEMS_PER_SECTION = 6, 10
REQUEST_TIMEOUT_S = 30.0
MAX_ERROR_SAMPLES = 5


# --- the checklist and the answers ------------------------------------------------------------------

def checklist_document() -> dict[str, Any]:
    """6 sections x 10 items: yes_no, scale, seconds (banded) and choice in turn; a few knock-outs,
    N/A-able items and show_if conditions, as the real checklists have."""
    dimensions = ("reliability", "responsiveness", "assurance", "empathy", "tangibles")
    sections = []
    for s in range(SECTIONS):
        items = []
        for i in range(ITEMS_PER_SECTION):
            key = f"s{s}_i{i}"
            item: dict[str, Any] = {
                "key": key, "text": {"zh": f"第{s + 1}节第{i + 1}项", "en": f"Section {s + 1} item {i + 1}"},
                "dimension": dimensions[(s + i) % len(dimensions)], "weight": 1 + (i % 3),
            }
            kind = ("yes_no", "scale", "seconds", "choice")[i % 4]
            item["type"] = kind
            if kind == "seconds":
                item["bands"] = [{"upto": 30, "score": 1}, {"upto": 60, "score": 0.5}, {"score": 0}]
                item["max"] = 3600
            elif kind == "choice":
                item["options"] = [
                    {"key": "good", "text": {"zh": "好", "en": "Good"}, "score": 1},
                    {"key": "fair", "text": {"zh": "一般", "en": "Fair"}, "score": 0.5},
                    {"key": "poor", "text": {"zh": "差", "en": "Poor"}, "score": 0}]
            if i == 0:
                item["critical"] = "section"
            if i == 5:
                item["na_allowed"] = True
            if i == 4:  # shown when the section's first (yes_no) item is "yes"
                item["show_if"] = {"item": f"s{s}_i0", "equals": "yes"}
            items.append(item)
        sections.append({"key": f"section_{s}", "title": {"zh": f"环节{s + 1}", "en": f"Section {s + 1}"},
                         "weight": 1 + s, "items": items})
    return {"key": "bench_visit", "version": 1, "title": {"zh": "压测检查表", "en": "Benchmark checklist"},
            "min_visit_minutes": 20, "sections": sections}


def answers_for(n: int, tag: str = "") -> dict[str, Any]:
    """A complete, valid set of 60 answers; a few carry comments (long enough to be compared across
    audits by the identical-comment flag, and different per submission as real comments are)."""
    answers: dict[str, Any] = {}
    for s in range(SECTIONS):
        for i in range(ITEMS_PER_SECTION):
            key = f"s{s}_i{i}"
            kind = ("yes_no", "scale", "seconds", "choice")[i % 4]
            if i == 5:
                answers[key] = {"na": True}
                continue
            value: Any = {"yes_no": "yes" if (s + i + n) % 5 else "no", "scale": 1 + (s + i + n) % 5,
                          "seconds": (s * 7 + i * 11 + n) % 90, "choice": ("good", "fair", "poor")[(s + n) % 3]}[kind]
            if i == 0:
                value = "yes"
            answers[key] = {"value": value}
    for s in range(0, SECTIONS, 2):
        answers[f"s{s}_i1"]["comment"] = f"销售顾问态度热情，主动介绍了车型配置 (visit {tag or n}, section {s})"
    answers["s1_i3"]["comment"] = "ok"
    return answers


# --- database preparation (in this process) -------------------------------------------------------------

@dataclass
class Prepared:
    name: str
    url: str
    instance: Path
    env: dict[str, str]
    shoppers: list[str]                 # emails, one per client
    audits: list[list[str]]             # audit ids per shopper, in order
    setup_seconds: float = 0.0


def _settings(instance: Path, url: str) -> dict[str, str]:
    """The configuration of both the server (as environment) and this process (as overrides)."""
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + uuid.uuid4().hex,
            "ATTACHMENT_DIR": str(instance / "attachments"), "REPORT_DIR": str(instance / "reports"),
            "FONT_CACHE_DIR": str(instance / "fonts")}


def _server_env(settings: dict[str, str], config_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AUDITAPP_") and k not in ("DATABASE_URL", "FLASK_APP")}
    env["DATABASE_URL"] = settings["SQLALCHEMY_DATABASE_URI"]
    env["AUDITAPP_CONFIG"] = str(config_file)  # an empty file: no stray instance/auditapp.cfg applies
    for key in ("SECRET_KEY", "ATTACHMENT_DIR", "REPORT_DIR", "FONT_CACHE_DIR"):
        env[f"AUDITAPP_{key}"] = settings[key]
    env["PYTHONUNBUFFERED"] = "1"
    # The server runs this checkout's code, as this process does (the `auditapp` command alone would
    # import whichever checkout the environment was installed from).
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def _pg_admin(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def drop_pg_database() -> None:
    _pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")


def reset_pg_schema(url: str) -> None:
    """An existing database made empty (for a database this script may not create or drop)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def prepare(name: str, clients: int, audits_per_client: int, workdir: Path, pg_url: str | None = None) -> Prepared:
    started = time.perf_counter()
    instance = workdir / f"instance-{name}"
    instance.mkdir()
    config_file = instance / "bench.cfg"
    config_file.write_text("# auditapp benchmark: configuration comes from the environment\n")
    if name == "sqlite":
        url = f"sqlite:///{instance / 'auditapp.db'}"
    elif pg_url:
        reset_pg_schema(pg_url)
        url = pg_url
    else:
        drop_pg_database()
        _pg_admin(f"CREATE DATABASE {PG_BENCH_DB}")
        url = PG_BENCH_URL
    settings = _settings(instance, url)
    os.environ["AUDITAPP_CONFIG"] = str(config_file)

    from flask_migrate import upgrade

    from auditapp import create_app
    from auditapp.checklists import checklist_from_document
    from auditapp.extensions import db
    from auditapp.models import Dealer, Region, Wave
    from auditapp.services.assignments import assign
    from auditapp.services.checklists import store_checklists
    from auditapp.services.users import create_user

    app = create_app(settings)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url, app.config["SQLALCHEMY_DATABASE_URI"]
    shoppers: list[str] = []
    audits: list[list[str]] = [[] for _ in range(clients)]
    with app.app_context():
        upgrade()
        session = db.session
        checklist = checklist_from_document(checklist_document(), "bench checklist")
        store_checklists(session, [checklist])
        region = Region(code="BENCH", name_zh="压测区", name_en="Bench region")
        session.add(region)
        session.flush()
        # One dealer per audit slot: shopper c visits dealer j once, so the rotation rule never bites.
        dealers = [Dealer(region_id=region.id, code=f"B{j:05d}", name_zh=f"压测经销商{j}", name_en=f"Bench dealer {j}",
                          latitude=DEALER_LOCATION[0], longitude=DEALER_LOCATION[1], address="上海市")
                   for j in range(audits_per_client)]
        session.add_all(dealers)
        today = date.today()
        wave = Wave(code="BENCH-W1", title_zh="压测期", title_en="Bench wave",
                    starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=30))
        session.add(wave)
        admin = create_user(session, email="admin@bench.example", password=PASSWORD, role="admin",
                            display_name="Bench admin")
        users = []
        for c in range(clients):
            email = f"shopper{c:03d}@bench.example"
            users.append(create_user(session, email=email, password=PASSWORD, role="shopper",
                                     display_name=f"Shopper {c}"))
            shoppers.append(email)
        session.commit()
        spec = {"key": checklist.key, "version": checklist.version}
        for j, dealer in enumerate(dealers):
            for c, user in enumerate(users):
                audit = assign(session, admin, dealer_id=dealer.id, wave_id=wave.id, checklist=spec,
                               shopper_id=user.id, visit_window_start=today - timedelta(days=7),
                               visit_window_end=today + timedelta(days=7),
                               rotation_days=app.config["ROTATION_DAYS"])
                audits[c].append(str(audit.id))
            if j % 25 == 24:
                session.commit()
        session.commit()
        db.session.remove()
        db.engine.dispose()
    env = _server_env(settings, config_file)
    return Prepared(name, url, instance, env, shoppers, audits, time.perf_counter() - started)


def database_check(prepared: Prepared) -> dict[str, int]:
    """What the database holds after the run (to compare with the 200s the clients counted)."""
    from sqlalchemy import func, select

    from auditapp import create_app
    from auditapp.extensions import db
    from auditapp.models import Answer, Audit, IdempotencyRecord

    os.environ["AUDITAPP_CONFIG"] = prepared.env["AUDITAPP_CONFIG"]
    app = create_app(_settings(prepared.instance, prepared.url))
    with app.app_context():
        s = db.session
        out = {"submitted": s.scalar(select(func.count()).select_from(Audit).where(Audit.status == "submitted")),
               "idempotency_records": s.scalar(select(func.count()).select_from(IdempotencyRecord)),
               "answers": s.scalar(select(func.count()).select_from(Answer))}
        db.session.remove()
        db.engine.dispose()
    return out


# --- the server -----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """`auditapp serve` (gunicorn master) in its own session; stopped by its pid, always."""

    def __init__(self, prepared: Prepared, workers: int, how: str = "serve") -> None:
        self.port = free_port()
        self.log_path = prepared.instance / "server.log"
        bin_dir = Path(sys.executable).parent
        if how == "serve":
            self.command = [str(bin_dir / "auditapp"), "serve", "--host", HOST, "--port", str(self.port),
                            "--workers", str(workers)]
        else:  # the same gunicorn settings as `serve`, on the project's wsgi.py (no CLI app context)
            self.command = [str(bin_dir / "gunicorn"), "--bind", f"{HOST}:{self.port}", "--workers", str(workers),
                            "--timeout", "60", "--access-logfile", "-", "wsgi:app"]
        self.env = prepared.env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        # The access log goes to stdout: into a file, so the terminal never slows the server down.
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, cwd=str(ROOT))
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, _ = request(self.port, "GET", "/health", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /health within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown of the master and its workers
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the session we created for it: only its own workers
            proc.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False)
        except OSError:
            return []
        return [int(p) for p in out.stdout.split()]


def request(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
            timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json", **(headers or {})} if data is not None else dict(headers or {})
        conn.request(method, path, body=data, headers=hdrs)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


LOGIN_TIMEOUT_S = 10.0


def login_all(port: int, emails: list[str]) -> list[str]:
    tokens = []
    for email in emails:
        try:
            status, body = request(port, "POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD},
                                   timeout=LOGIN_TIMEOUT_S)
        except TimeoutError:
            raise RuntimeError(
                f"login of {email} got no answer within {LOGIN_TIMEOUT_S:g} s: a worker is waiting for the SQLite "
                f"write lock that an earlier request's transaction still holds (`auditapp serve` forks its workers "
                f"inside the CLI's app context, so the session outlives each request); "
                f"--server gunicorn avoids it") from None
        if status != 200:
            raise RuntimeError(f"login of {email} failed: {status} {body[:300]!r}")
        tokens.append(json.loads(body)["access_token"])
    return tokens


# --- CPU accounting (Linux /proc): where the machine's CPU went during a measurement ------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK, sum(fields[:8]) / CLK_TCK


def process_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, ValueError, IndexError):
            pass
    return total


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


@dataclass
class CpuUse:
    """Cores used on average during a measurement (1.0 = one core busy for the whole time)."""
    cores: int
    wall: float = 0.0  # seconds measured
    machine: float = 0.0
    server: float = 0.0
    clients: float = 0.0
    postgres: float = 0.0

    @property
    def others(self) -> float:
        return max(0.0, self.machine - self.server - self.clients - self.postgres)


class CpuMeter:
    def __init__(self, server_pids: Callable[[], list[int]]) -> None:
        self.server_pids = server_pids

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.machine0 = machine_cpu()[0]
        self.server0 = process_cpu(self.server_pids())
        self.pg_pids = postgres_pids()
        self.pg0 = process_cpu(self.pg_pids)

    def stop(self, client_cpu: float) -> CpuUse:
        wall = max(time.monotonic() - self.t0, 1e-9)
        return CpuUse(cores=os.cpu_count() or 1, wall=wall, machine=(machine_cpu()[0] - self.machine0) / wall,
                      server=(process_cpu(self.server_pids()) - self.server0) / wall,
                      clients=client_cpu / wall, postgres=(process_cpu(self.pg_pids) - self.pg0) / wall)


# --- the clients (separate processes) -------------------------------------------------------------------

@dataclass
class ThreadResult:
    latencies_ms: list[float] = field(default_factory=list)  # every request started inside the window
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    consumed: int = 0           # audits used (submits sent)
    exhausted: bool = False     # ran out of audits before the window closed
    first_start: float = math.inf
    last_end: float = 0.0


def _visit_json(now: datetime) -> dict[str, Any]:
    ended = now - timedelta(minutes=5)
    return {"started_at": (ended - timedelta(minutes=32)).isoformat(), "ended_at": ended.isoformat(),
            "checkin": {"latitude": DEALER_LOCATION[0] + 0.0001, "longitude": DEALER_LOCATION[1], "accuracy_m": 8.0},
            "device_time": now.isoformat()}


def _client_thread(port: int, kind: str, token: str, audits: list[str], start_at: float, end_at: float,
                   max_requests: int, result: ThreadResult) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    auth = {"Authorization": f"Bearer {token}"}
    # Each request's body is built before its clock starts: the latency is the server's answer only.
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    n = 0
    while n < max_requests:
        if time.time() >= end_at:
            break
        if kind == "health":
            method, path, data, headers = "GET", "/health", None, {}
        else:
            if result.consumed >= len(audits):
                result.exhausted = True
                break
            audit_id = audits[result.consumed]
            result.consumed += 1
            body = {"answers": answers_for(result.consumed, audit_id[:13]),
                    "visit": _visit_json(datetime.now(timezone.utc))}
            data = json.dumps(body, ensure_ascii=False).encode()
            method, path = "POST", f"/api/v1/audits/{audit_id}/submit"
            headers = {**auth, "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
        wall = time.time()
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            status, payload = -1, f"{type(exc).__name__}: {exc}".encode()
            conn.close()  # reconnects on the next request
        latency = (time.perf_counter() - t0) * 1000
        result.latencies_ms.append(latency)
        result.first_start = min(result.first_start, wall)
        result.last_end = max(result.last_end, time.time())
        if status != 200:
            result.errors += 1
            if len(result.error_samples) < MAX_ERROR_SAMPLES:
                result.error_samples.append(f"{method} {path} -> {status}: {payload[:500].decode(errors='replace')}")
        n += 1
    conn.close()


def run_client_process(port: int, kind: str, jobs: list[tuple[str, list[str]]], start_at: float, end_at: float,
                       max_requests: int) -> tuple[list[ThreadResult], float]:
    """One client process: a thread per (token, audits) job, all starting at `start_at` (wall clock).
    Returns the threads' results and the CPU seconds this process used."""
    cpu0 = time.process_time()
    results = [ThreadResult() for _ in jobs]
    threads = [threading.Thread(target=_client_thread, daemon=True,
                                args=(port, kind, token, audits, start_at, end_at, max_requests, result))
               for (token, audits), result in zip(jobs, results)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, end_at - time.time()) + REQUEST_TIMEOUT_S + 5)
    return results, time.process_time() - cpu0


@dataclass
class Measurement:
    kind: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    error_samples: list[str]
    exhausted: int
    cpu: CpuUse | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class LoadDriver:
    """Client processes, each with its share of the client threads (shopper token + audit queue)."""

    def __init__(self, pool: ProcessPoolExecutor, procs: int, port: int, tokens: list[str],
                 audits: list[list[str]], meter: CpuMeter) -> None:
        self.pool, self.procs, self.port, self.meter = pool, procs, port, meter
        self.tokens, self.audits = tokens, audits
        self.used = [0] * len(tokens)  # audits already submitted, per client

    def run(self, kind: str, seconds: float, max_requests: int = 1_000_000, lead: float = 1.0) -> Measurement:
        clients = len(self.tokens)
        shares = [list(range(p, clients, self.procs)) for p in range(self.procs)]
        start_at = time.time() + lead
        end_at = start_at + seconds
        futures = []
        for share in shares:
            jobs = [(self.tokens[c], self.audits[c][self.used[c]:]) for c in share]
            futures.append(self.pool.submit(run_client_process, self.port, kind, jobs, start_at, end_at,
                                            max_requests))
        results: list[ThreadResult] = []
        client_cpu = 0.0
        time.sleep(max(0.0, start_at - time.time()))
        self.meter.start()
        for share, future in zip(shares, futures):
            got, cpu = future.result(timeout=lead + seconds + REQUEST_TIMEOUT_S + 60)
            client_cpu += cpu
            for c, result in zip(share, got):
                self.used[c] += result.consumed
            results.extend(got)
        latencies = [x for r in results for x in r.latencies_ms]
        ends = [r.last_end for r in results if r.last_end]
        starts = [r.first_start for r in results if r.first_start < math.inf]
        elapsed = (max(ends) - min(starts)) if ends and starts else 0.0
        cpu_use = self.meter.stop(client_cpu)
        return Measurement(kind, len(latencies), elapsed, latencies, sum(r.errors for r in results),
                           [s for r in results for s in r.error_samples][:MAX_ERROR_SAMPLES],
                           sum(r.exhausted for r in results), cpu_use)


# --- one database ---------------------------------------------------------------------------------------

@dataclass
class DatabaseRun:
    name: str
    health: Measurement
    submit: Measurement
    check: dict[str, int]
    setup_seconds: float
    submits_ok_total: int


def run_database(name: str, args: argparse.Namespace, pool: ProcessPoolExecutor, workdir: Path) -> DatabaseRun:
    print(f"\n[{name}] preparing: {args.clients} shoppers x {args.audits_per_client} audits, "
          f"{SECTIONS * ITEMS_PER_SECTION}-item checklist ...", flush=True)
    from auditapp.cli import default_workers

    prepared = prepare(name, args.clients, args.audits_per_client, workdir, args.postgresql)
    print(f"[{name}] prepared in {prepared.setup_seconds:.1f} s ({prepared.url})", flush=True)
    workers = args.workers or default_workers(prepared.url)
    server = Server(prepared, workers, args.server)
    try:
        server.start()
        print(f"[{name}] server ({args.server}) up on port {server.port}: {workers} workers, pids "
              f"{server.proc.pid if server.proc else '?'} + {server.worker_pids()}", flush=True)
        tokens = login_all(server.port, prepared.shoppers)
        pids = [server.proc.pid] if server.proc else []
        meter = CpuMeter(lambda: pids + server.worker_pids())
        driver = LoadDriver(pool, args.client_procs, server.port, tokens, prepared.audits, meter)
        # Warm-up (not counted): every worker imports, connects and parses the checklist once.
        warm_h = driver.run("health", 1.0)
        warm_s = driver.run("submit", 1.0, max_requests=2)
        ok_before = warm_s.requests - warm_s.errors
        if warm_h.errors or warm_s.errors:
            samples = (warm_h.error_samples + warm_s.error_samples)[:MAX_ERROR_SAMPLES]
            print(f"[{name}] warm-up errors: {warm_h.errors + warm_s.errors}\n  " + "\n  ".join(samples), flush=True)
        print(f"[{name}] measuring GET /health for {args.seconds:g} s ...", flush=True)
        health = driver.run("health", args.seconds)
        print(f"[{name}] measuring POST submit for {args.seconds:g} s ...", flush=True)
        submit = driver.run("submit", args.seconds)
        if args.profile_pause:
            input(f"[{name}] server still up on port {server.port}; press Enter to stop it ")
    finally:
        server.stop()
    if submit.exhausted:
        print(f"[{name}] WARNING: {submit.exhausted} clients ran out of audits: raise --audits-per-client",
              flush=True)
    check = database_check(prepared)
    return DatabaseRun(name, health, submit, check, prepared.setup_seconds, ok_before + submit.requests - submit.errors)


# --- report ---------------------------------------------------------------------------------------------

def table(runs: list[DatabaseRun], clients: int) -> str:
    head = (f"{'database':<11} {'endpoint':<8} {'clients':>7} {'requests':>8} {'req/s':>8} "
            f"{'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}")
    lines = [head, "-" * len(head)]
    for run in runs:
        for label, m in (("submit", run.submit), ("/health", run.health)):
            lines.append(f"{run.name:<11} {label:<8} {clients:>7} {m.requests:>8} {m.rate:>8.1f} "
                         f"{m.pct(50):>8.1f} {m.pct(90):>8.1f} {m.pct(99):>8.1f} {m.pct(100):>8.1f} {m.errors:>6}")
    return "\n".join(lines)


def verdict(runs: list[DatabaseRun], clients: int) -> str:
    parts = []
    for run in runs:
        p99 = run.submit.pct(99)
        ok = p99 < TARGET_P99_MS and run.submit.errors == 0
        parts.append(f"{run.name} {'MET' if ok else 'MISSED'} (p99 {p99:.1f} ms, {run.submit.errors} errors)")
    note = "" if clients == TARGET_CLIENTS else f" [measured at {clients} clients, target is at {TARGET_CLIENTS}]"
    return (f"target: submit p99 < {TARGET_P99_MS:.0f} ms at {TARGET_CLIENTS} concurrent clients: "
            + "; ".join(parts) + note)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def workers_text(args: argparse.Namespace) -> str:
    if args.workers:
        return str(args.workers)
    from auditapp.cli import default_workers

    return f"{default_workers('sqlite:')} (SQLite) / {default_workers('postgresql:')} (PostgreSQL)"


def main() -> int:

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (one shopper each)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each measurement")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: the serve command's default for the database)")
    parser.add_argument("--server", choices=("serve", "gunicorn"), default="serve",
                        help="serve: `auditapp serve`; gunicorn: `gunicorn wsgi:app` with the same settings")
    parser.add_argument("--client-procs", type=int, default=4, help="client processes the clients are spread over")
    parser.add_argument("--audits-per-client", type=int, default=None,
                        help="assigned audits per shopper (default: enough for 250 submits/s)")
    parser.add_argument("--keep-workdir", action="store_true",
                        help="keep the temporary instance folders (server logs, SQLite file) for inspection")
    parser.add_argument("--postgresql", default=None,
                        help="an existing PostgreSQL database URL whose schema may be dropped (default: create "
                             f"and drop the database {PG_BENCH_DB})")
    parser.add_argument("--profile-pause", action="store_true",
                        help="keep the server up after the run until Enter (to attach a profiler)")
    args = parser.parse_args()
    if not 1 <= args.clients <= 256 or not 0 < args.seconds <= 600 or not 1 <= args.client_procs <= 32:
        parser.error("keep --clients in 1..256, --seconds in (0, 600], --client-procs in 1..32")
    args.client_procs = min(args.client_procs, args.clients)
    if args.audits_per_client is None:
        args.audits_per_client = math.ceil(250 * args.seconds / args.clients) + 10
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]

    print(f"bench_api: {args.clients} clients ({args.client_procs} processes), {args.seconds:g} s per measurement, "
          f"{workers_text(args)} gunicorn workers ({args.server}), {os.cpu_count()} CPUs, "
          f"load average {load_average()}",
          flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="auditapp-bench-"))
    runs: list[DatabaseRun] = []
    failures: list[str] = []
    try:
        with ProcessPoolExecutor(max_workers=args.client_procs, mp_context=get_context("spawn")) as pool:
            for name in databases:
                try:
                    runs.append(run_database(name, args, pool, workdir))
                except RuntimeError as exc:  # the server or a login failed: report it, go on with the next
                    failures.append(f"{name}: FAILED: {exc}")
                    print(f"[{name}] FAILED: {exc}", flush=True)
                finally:
                    if name == "postgresql":
                        if args.postgresql:
                            reset_pg_schema(args.postgresql)
                        else:
                            drop_pg_database()
    finally:
        if args.keep_workdir:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nload average after: {load_average()}")
    print(f"{SECTIONS * ITEMS_PER_SECTION}-item submits, {args.clients} concurrent clients "
          f"({args.client_procs} processes, keep-alive where the server allows), {workers_text(args)} workers "
          f"({args.server}), "
          f"{args.seconds:g} s each\n")
    print(table(runs, args.clients))
    for run in runs:
        for m in (run.submit, run.health):
            if m.errors:
                print(f"\n{run.name} {m.kind}: {m.errors} errors; first bodies:")
                for sample in m.error_samples:
                    print("  " + sample)
        c = run.check
        consistent = c["submitted"] == c["idempotency_records"] == run.submits_ok_total
        print(f"{run.name}: database holds {c['submitted']} submitted audits, {c['idempotency_records']} "
              f"idempotency records, {c['answers']} answers; clients counted {run.submits_ok_total} "
              f"successful submits ({'consistent' if consistent else 'MISMATCH'})")
    print(f"\nCPU during each measurement, in cores busy on average (this machine has {os.cpu_count()}):")
    for run in runs:
        for label, m in (("submit", run.submit), ("/health", run.health)):
            c = m.cpu
            if c is None:
                continue
            per_request = c.server * c.wall / m.requests * 1000 if m.requests else math.nan
            print(f"  {run.name:<11} {label:<8} machine {c.machine:4.2f}: server {c.server:4.2f} "
                  f"({per_request:.1f} ms CPU per request), clients {c.clients:4.2f}, "
                  f"postgres (all) {c.postgres:4.2f}, "
                  f"other processes {c.others:4.2f}")
    for failure in failures:
        print(failure)
    print("\n" + verdict(runs, args.clients) + "".join(f"; {f.split(':')[0]} NOT MEASURED" for f in failures))
    failed = bool(failures) or any(r.submit.errors or r.health.errors or r.submit.exhausted for r in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
