"""The API contract check (issue 8): schemathesis over every operation of /api/openapi.json, once with a token
of each role, against a real gunicorn server on a freshly seeded database.

Checks: no server error (5xx), every status code documented, every body matching its documented schema and
content type. Bounded and deterministic (fixed seed, derandomised generation, a fixed number of examples per
operation), so that CI gets the same verdict each time.

    .venv/bin/python scripts/contract_check.py                        # SQLite in a temporary folder
    .venv/bin/python scripts/contract_check.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

The roles run one after the other against one seeded database, the admin last. Exits non-zero when any
run finds a failure; the failures are printed by schemathesis above the summary.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The admin runs last: its requests may deactivate users or change their passwords.
ROLES = ("qa", "manager", "dealer", "shopper", "admin")
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
WAVE = "2026-Q3"
RUNNER_ID = 1_999_999_999


@dataclass
class Seeded:
    """What the seeding made: a token per role, and the identifiers schemathesis should use often."""
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, list] = field(default_factory=dict)


def reset_database(url: str, instance: Path) -> str:
    """An empty database: a fresh SQLite file, or PostgreSQL's public schema dropped and made again."""
    if url.startswith("sqlite"):
        path = instance / f"contract-{secrets.token_hex(4)}.db"
        return f"sqlite:///{path}"
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def app_config(url: str, instance: Path) -> dict[str, str]:
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "contract check",
            "ATTACHMENT_DIR": str(instance / "attachments"), "REPORT_DIR": str(instance / "reports"),
            "FONT_CACHE_DIR": os.environ.get("AUDITAPP_FONT_CACHE_DIR", str(ROOT / "instance" / "fonts")),
            # Nothing listens there: notification mails fail at once and are logged, as when SMTP is down.
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "9"}


def seed(url: str, instance: Path) -> Seeded:
    """A small program through the services the API uses: the demo's two waves of published audits, plus
    the shopper's audits in every other status and disputes in every state."""
    from flask_migrate import upgrade
    from sqlalchemy import select, update

    from auditapp import create_app
    from auditapp.checklists.loader import load_directory
    from auditapp.demo.answers import draw_answers
    from auditapp.demo.seed import PROGRAMS, _png, seed_demo
    from auditapp.errors import DomainError
    from auditapp.extensions import db
    from auditapp.models import Action, ApiToken, Attachment, Audit, Dealer, Region, User, Wave, utcnow
    from auditapp.services import assignments, attachments, disputes, review
    from auditapp.services import shopper as shopper_flow
    from auditapp.services.auth import token_hash
    from auditapp.services.checklists import checklist_of, get_version, store_checklists
    from auditapp.services.flags import FlagLimits
    from auditapp.services.users import create_user
    from auditapp.workdays import parse_holidays

    config = {key: (int(value) if key == "SMTP_PORT" else value) for key, value in app_config(url, instance).items()}
    app = create_app(config)
    with app.app_context():
        upgrade()
        session = db.session
        # The showroom program of the checked wave: the shopper's new audits are assigned on it.
        CHECKLIST = {"key": "sales_visit", "version": PROGRAMS[WAVE]["sales_visit"]}
        store_checklists(session, load_directory(app.config["CHECKLIST_DIR"], base=ROOT))
        seed_demo(session, app.config, regions=2, dealers_per_region=3)
        session.flush()
        users = {role: session.scalars(select(User).where(User.role == role).order_by(User.id)).first()
                 for role in ROLES}
        shopper, qa, dealer_user = users["shopper"], users["qa"], users["dealer"]
        wave = session.scalar(select(Wave).where(Wave.code == WAVE))
        checklist = checklist_of(get_version(session, CHECKLIST["key"], CHECKLIST["version"]))
        rng = random.Random(8)
        store = attachments.FileStore(app.config["ATTACHMENT_DIR"])
        view = shopper_flow.View(body=lambda audit, _answers: {"id": str(audit.id), "status": audit.status},
                                 etag=lambda audit: f'"{audit.id.hex}-{audit.revision}"')
        today = utcnow().date()

        def answers_for(audit: Audit) -> dict:
            answers = draw_answers(checklist, 0.8, rng)
            for answer in answers.values():
                if answer.get("attachments"):
                    photo = _png(f"contract-{audit.id}-{rng.random()}")
                    sha = hashlib.sha256(photo).hexdigest()
                    attachments.upload(session, shopper, audit.id, stream=io.BytesIO(photo), sha256=sha,
                                       filename="evidence.png", store=store,
                                       max_bytes=app.config["MAX_ATTACHMENT_BYTES"])
                    answer["attachments"] = [sha]
            return answers

        def submitted(audit: Audit, dealer: Dealer) -> None:
            start = datetime.now(timezone.utc) - timedelta(hours=3)
            visit = {"started_at": start, "ended_at": start + timedelta(minutes=45), "device_time": start,
                     "checkin": {"latitude": dealer.latitude, "longitude": dealer.longitude, "accuracy_m": 10.0}}
            request = shopper_flow.ShopperRequest(user=shopper, received_at=utcnow(),
                                                  limits=FlagLimits.from_config(app.config), view=view)
            shopper_flow.submit(session, request, audit.id, answers_for(audit), visit, str(uuid.uuid4()))

        dealers = list(session.scalars(select(Dealer).order_by(Dealer.id)))
        own: dict[str, Audit] = {}
        for status, dealer in zip(("assigned", "in_progress", "submitted", "returned"), dealers):
            audit = assignments.assign(session, qa, dealer_id=dealer.id, wave_id=wave.id, checklist=CHECKLIST,
                                       shopper_id=shopper.id, visit_window_start=today - timedelta(days=2),
                                       visit_window_end=today + timedelta(days=5),
                                       rotation_days=app.config["ROTATION_DAYS"])
            if status == "in_progress":
                request = shopper_flow.ShopperRequest(user=shopper, received_at=utcnow(),
                                                      limits=FlagLimits.from_config(app.config), view=view)
                draft = dict(list(answers_for(audit).items())[:3])
                shopper_flow.save_draft(session, request, audit.id, draft, view.etag(audit))
            if status in ("submitted", "returned"):
                submitted(audit, dealer)
            if status == "returned":
                review.return_to_shopper(session, qa, audit, "The test drive photo is missing")
            own[status] = audit

        # Disputes on the dealer user's published audits: open, rejected, escalated, upheld.
        policy = disputes.DisputePolicy(window_days=app.config["DISPUTE_WINDOW_DAYS"],
                                        decision_days=app.config["DECISION_DAYS"],
                                        holidays=parse_holidays(app.config["PUBLIC_HOLIDAYS"]))
        published = list(session.scalars(select(Audit).where(Audit.dealer_id == dealer_user.dealer_id,
                                                              Audit.status == "published").order_by(Audit.id)))
        disputable = [item.key for item in checklist.items.values() if item.disputable]
        filed = []
        for audit in published:
            if len(filed) == 4:
                break
            for key in disputable:
                try:
                    filed.append(disputes.file_dispute(
                        session, dealer_user, audit.id, item_key=key, requested_outcome="pass", evidence=[],
                        claim="The consultant did greet us within a minute: see the showroom camera",
                        policy=policy))
                    break
                except DomainError:  # refused before anything is written: the item passes, or was hidden
                    continue
        session.flush()
        if len(filed) > 1:
            disputes.decide(session, qa, filed[1].id, outcome="rejected", reason="The recording shows otherwise")
        if len(filed) > 2:
            disputes.decide(session, qa, filed[2].id, outcome="rejected", reason="The recording shows otherwise")
            disputes.escalate(session, dealer_user, filed[2].id, note="Please look at the camera footage",
                              policy=policy)
        if len(filed) > 3:
            disputes.decide(session, qa, filed[3].id, outcome="upheld", reason="The camera confirms the claim")

        # The admin's run edits users by id, its own included (a new password would revoke its token): its
        # token belongs to an admin whose id the generated requests do not reach.
        runner = create_user(session, email="contract.check@example.com", password=secrets.token_hex(16),
                             role="admin", display_name="Contract check")
        session.execute(update(User).where(User.id == runner.id).values(id=RUNNER_ID))
        session.expire_all()
        users["admin"] = session.get(User, RUNNER_ID)
        expires = utcnow() + timedelta(hours=2)
        seeded = Seeded()
        for role, user in users.items():
            token = secrets.token_urlsafe(32)
            session.add(ApiToken(token_hash=token_hash(token), user_id=user.id, expires_at=expires))
            seeded.tokens[role] = token
        session.flush()
        seeded.ids = {
            "audit_ids": [str(a.id) for a in own.values()] + [str(a.id) for a in published[:4]],
            "dispute_ids": [d.id for d in filed],
            "dealer_ids": [d.id for d in dealers],
            "region_ids": list(session.scalars(select(Region.id))),
            "wave_ids": list(session.scalars(select(Wave.id))),
            "user_ids": list(session.scalars(select(User.id).order_by(User.id)))[:6],
            "wave_codes": list(session.scalars(select(Wave.code))),
            "checklist_keys": [CHECKLIST["key"]],
            # The wave runs several programs: the figures answer 422 unless one is named.
            "programs": sorted(PROGRAMS[WAVE]),
            "sha256s": [],
            # Corrective actions raised when the seeded audits were published.
            "action_ids": list(session.scalars(select(Action.id).order_by(Action.id)))[:6],
        }
        seeded.ids["sha256s"] = list(session.scalars(select(Attachment.sha256).where(
            Attachment.audit_id.in_([a.id for a in list(own.values()) + published[:4]]))))[:4]
        session.commit()
        db.engine.dispose()
    return seeded


def schemathesis_config(seeded: Seeded) -> str:
    """Half of the identifiers and wave codes schemathesis sends are real ones, so that operations reach their
    code paths instead of answering 404 for everything."""
    lines = []
    for name, values in seeded.ids.items():
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    bindings = {"path.audit_id": "audit_ids", "path.dispute_id": "dispute_ids", "path.dealer_id": "dealer_ids",
                "path.region_id": "region_ids", "path.user_id": "user_ids", "path.key": "checklist_keys",
                "query.program": "programs",
                "path.sha256": "sha256s", "query.wave": "wave_codes", "query.dealer_id": "dealer_ids",
                "query.wave_id": "wave_ids", "query.region_id": "region_ids", "query.audit_id": "audit_ids",
                "body.dealer_id": "dealer_ids", "body.wave_id": "wave_ids", "body.region_id": "region_ids",
                "body.shopper_id": "user_ids", "body.audits[*].audit_id": "audit_ids",
                "path.action_id": "action_ids", "path.code": "wave_codes"}
    lines.append("[parameters]")
    for key, name in bindings.items():
        if seeded.ids.get(name):
            lines.append(f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}')
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, instance: Path, port: int, log: Path) -> subprocess.Popen:
    """gunicorn as `auditapp serve` runs it (the same options), with two workers."""
    from auditapp.cli import gunicorn_options

    env = {**os.environ, **{f"AUDITAPP_{k}": v for k, v in app_config(url, instance).items()}}
    env.pop("DATABASE_URL", None)
    env["PYTHONPATH"] = str(ROOT)
    options = [o if o != "-" else str(log.with_suffix(".access")) for o in gunicorn_options("127.0.0.1", port, 2)]
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", *options, "auditapp:create_app()"], cwd=ROOT,
                              env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server did not start:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit(f"the server did not answer within 60 s:\n{log.read_text()}")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@dataclass
class RoleResult:
    role: str
    exit_code: int
    seconds: float
    operations: int
    failures: int
    server_errors: int


def run_role(role: str, token: str, port: int, config: Path, report: Path, args: argparse.Namespace) -> RoleResult:
    began = time.monotonic()
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
        "run", f"http://127.0.0.1:{port}/api/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        # Logging out revokes the very token every other request of the run carries: after it, all answer 401.
        "--exclude-path", "/api/v1/auth/logout",
        "--checks", ",".join(CHECKS), "--phases", args.phases,
        "--max-examples", str(args.max_examples), "--generation-deterministic",
        "--workers", str(args.workers), "--request-timeout", "30",
        "--continue-on-failure", "--output-truncate", "true", "--warnings", "off",
        "--report", "junit", "--report-junit-path", str(report),
    ]
    print(f"\n=== {role}: schemathesis on http://127.0.0.1:{port} ===", flush=True)
    exit_code = subprocess.call(command, cwd=report.parent)  # schemathesis keeps a cache in its working folder
    operations, failures, server_errors = summarise(report)
    return RoleResult(role, exit_code, time.monotonic() - began, operations, failures, server_errors)


ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>[^ ?]*)[^"]*" (?P<status>\d{3}) ')


def never_succeeded(document: dict, access_log: Path) -> list[str]:
    """Operations of the document that no request reached with a 2xx: their code paths went untested."""
    operations = {(method.upper(), template): re.compile(
        "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$")
        for template, item in document["paths"].items() for method in item if method != "parameters"}
    succeeded = set()
    for line in access_log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = ACCESS_LINE.search(line)
        if match and match["status"].startswith("2"):
            succeeded.update(key for key, pattern in operations.items()
                             if key[0] == match["method"] and pattern.match(match["path"]))
    return sorted(f"{method} {template}" for method, template in operations if (method, template) not in succeeded)


SERVER_ERROR = "ST101"  # schemathesis's code of a failed not_a_server_error check


def summarise(report: Path) -> tuple[int, int, int]:
    """Operations tested, operations failing a check, and those answering a server error, from the JUnit report."""
    if not report.exists():
        return 0, 0, 0
    cases = ElementTree.parse(report).getroot().iter("testcase")
    operations = failures = server_errors = 0
    for case in cases:
        operations += 1
        codes = {code.strip() for failure in case.iter("failure")
                 for code in (failure.get("message") or "").split(",")}
        failures += bool(codes) or case.find("error") is not None
        server_errors += SERVER_ERROR in codes
    return operations, failures, server_errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=os.environ.get("TEST_DATABASE_URL", "sqlite"),
                        help="sqlite (a temporary file) or a PostgreSQL URL whose public schema may be dropped")
    parser.add_argument("--roles", default=",".join(ROLES),
                        help="in this order: the admin last, as its requests may take tokens away")
    parser.add_argument("--max-examples", type=int, default=25,
                        help="test cases per operation in the fuzzing phase (the coverage phase is fixed)")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from auditapp.config import normalise_database_url

    database = "sqlite" if args.database == "sqlite" else normalise_database_url(args.database)
    results = []
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="auditapp-contract-") as folder:
        instance = Path(folder)
        url = reset_database(database, instance)
        seeded = seed(url, instance)
        print(f"seeded in {time.monotonic() - began:.0f} s", flush=True)
        config = instance / "schemathesis.toml"
        config.write_text(schemathesis_config(seeded), encoding="utf-8")
        port = free_port()
        server_log = instance / "server.log"
        server = start_server(url, instance, port, server_log)
        try:
            for role in args.roles.split(","):
                results.append(run_role(role, seeded.tokens[role], port, config, instance / f"{role}.xml",
                                        args))
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=10) as response:
                document = json.load(response)
        finally:
            stop_server(server)
        untested = never_succeeded(document, server_log.with_suffix(".access"))
        if any(r.server_errors for r in results):
            print("--- server log (tail) ---\n" + "\n".join(server_log.read_text().splitlines()[-80:]))
    kind = "SQLite" if database.startswith("sqlite") else "PostgreSQL"
    print(f"\n=== contract check on {kind}: checks {', '.join(CHECKS)} ===")
    print(f"{'role':10} {'result':8} {'operations':>10} {'failing':>8} {'5xx':>5} {'seconds':>8}")
    for r in results:
        verdict = "ok" if r.exit_code == 0 else "FAILED"
        print(f"{r.role:10} {verdict:8} {r.operations:>10} {r.failures:>8} {r.server_errors:>5} {r.seconds:>8.0f}")
    if untested:
        print("no 2xx answer, for any role, from: " + ", ".join(untested))
    failed = [r.role for r in results if r.exit_code != 0]
    print("contract check passed" if not failed else f"contract check FAILED for: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
