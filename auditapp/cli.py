"""Command line: `auditapp ...` (console script) or `flask --app auditapp ...`."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn, TextIO

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import select

from .checklists import ChecklistError, load_checklist_file, load_directory, load_files
from .checklists.answers import answer_problems
from .constants import EXPORT_SHEETS, REPORT_LANGUAGES, ROLES
from .errors import DomainError
from .extensions import db
from .messages import Message
from .models import Dealer, Region

checklists_cli = AppGroup("checklists", help="Validate and load checklist files.")
users_cli = AppGroup("users", help="Manage users.")
reports_cli = AppGroup("reports", help="Render and send the PDF reports of a wave.")
fonts_cli = AppGroup("fonts", help="The prepared report font.")
outbox_cli = AppGroup("outbox", help="Deliver queued webhooks and alert emails.")
storage_cli = AppGroup("storage", help="The stored files (attachments, PDFs) the database refers to.")
scores_cli = AppGroup("scores", help="Checks of the stored scores.")
assignments_cli = AppGroup("assignments", help="Assign a wave's visits.")
actions_cli = AppGroup("actions", help="Corrective action plans.")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(checklists_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(fonts_cli)
    app.cli.add_command(score)
    app.cli.add_command(demo)
    app.cli.add_command(serve)
    app.cli.add_command(worker)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(scores_cli)
    app.cli.add_command(assignments_cli)
    app.cli.add_command(actions_cli)
    app.cli.add_command(export)


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app, add_version_option=False,
               help="auditapp: mystery-shopping audits for car dealer networks.")(prog_name="auditapp")


def _commit() -> None:
    """Commit, then run the side effects (mail) the committed work queued: a command has no response
    to hurry, so they run now, and a failed one is logged without undoing the commit."""
    from .services import side_effects

    db.session.commit()
    side_effects.run_committed(db.session())


def _fail(message: str) -> NoReturn:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema to the latest migration."""
    from flask_migrate import upgrade

    upgrade()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


def _read_checklists(paths: tuple[str, ...]) -> list:
    directory = Path(current_app.config["CHECKLIST_DIR"])
    base = directory.parent
    if paths:
        files = [p for path in map(Path, paths) for p in (sorted(path.glob("*.yaml")) if path.is_dir() else [path])]
        return load_files(files, base=Path.cwd())
    return load_directory(directory, base=base)


@checklists_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
def checklists_validate(paths: tuple[str, ...]) -> None:
    """Check checklist files (default: every file in the checklist folder)."""
    try:
        checklists = _read_checklists(paths)
    except ChecklistError as exc:
        _fail(str(exc))
    for checklist in checklists:
        items = sum(len(s.items) for s in checklist.sections)
        click.echo(f"ok  {checklist.key} v{checklist.version}: {len(checklist.sections)} sections, {items} items")


@checklists_cli.command("load")
@click.argument("paths", nargs=-1, type=click.Path())
def checklists_load(paths: tuple[str, ...]) -> None:
    """Validate and store checklist versions; a stored version can never change."""
    from .services.checklists import store_checklists

    try:
        checklists = _read_checklists(paths)
        results = store_checklists(db.session(), checklists)
        _commit()
    except ChecklistError as exc:
        _fail(str(exc))
    except DomainError as exc:
        db.session.rollback()
        _fail(f"{exc.message}: " + "; ".join(f"{k} {', '.join(v)}" for k, v in exc.errors.items()))
    for checklist, outcome in results:
        click.echo(f"{outcome:9} {checklist.key} v{checklist.version}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--dealer", "dealer_code", help="Dealer code (role dealer).")
@click.option("--region", "region_codes", multiple=True, help="Region code (role manager; repeatable).")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
def users_create(email: str, role: str, display_name: str, dealer_code: str | None,
                 region_codes: tuple[str, ...], password_stdin: bool) -> None:
    """Create a user; the password is read from standard input so it stays out of shell history."""
    from .services.users import create_user

    password = sys.stdin.readline().rstrip("\r\n")
    dealer_id = None
    if dealer_code:
        dealer_id = db.session.scalar(select(Dealer.id).where(Dealer.code == dealer_code))
        if dealer_id is None:
            _fail(f"no dealer with code {dealer_code}")
    region_ids = []
    for code in region_codes:
        region_id = db.session.scalar(select(Region.id).where(Region.code == code))
        if region_id is None:
            _fail(f"no region with code {code}")
        region_ids.append(region_id)
    try:
        user = create_user(db.session(), email=email, password=password, role=role, display_name=display_name,
                           dealer_id=dealer_id, region_ids=region_ids)
        _commit()
    except DomainError as exc:
        db.session.rollback()
        _fail(f"{exc.message}: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items()))
    click.echo(f"created {user.role} {user.email} (id {user.id})")


@users_cli.command("set-password")
@click.option("--email", required=True)
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
def users_set_password(email: str, password_stdin: bool) -> None:
    """Set a user's password (read from standard input); every session of the user ends."""
    from .services.users import find_user, set_password

    password = sys.stdin.readline().rstrip("\r\n")
    user = find_user(db.session(), email)
    if user is None:
        _fail(f"no user with email {email}")
    try:
        set_password(user, password)
        _commit()
    except DomainError as exc:
        db.session.rollback()
        _fail(f"{exc.message}: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items()))
    click.echo(f"password set for {user.email}; their sessions were ended")


@click.command("score")
@click.argument("checklist_file", type=click.Path(exists=True, dir_okay=False))
@click.argument("answers_file", type=click.File("r", encoding="utf-8"))
def score(checklist_file: str, answers_file: TextIO) -> None:
    """Print the score of an answers file (DESIGN 4 JSON) against a checklist file."""
    from .scoring import score_audit

    try:
        checklist = load_checklist_file(checklist_file)
    except ChecklistError as exc:
        _fail(str(exc))
    try:
        submission = json.load(answers_file)
    except json.JSONDecodeError as exc:
        _fail(f"{answers_file.name}: not valid JSON: {exc}")
    if not isinstance(submission, dict) or not isinstance(submission.get("answers"), dict):
        _fail(f"{answers_file.name}: expected {{\"checklist\": {{...}}, \"answers\": {{...}}}}")
    named = submission.get("checklist") or {}
    if named and (named.get("key"), named.get("version")) != (checklist.key, checklist.version):
        _fail(f"{answers_file.name} is for {named.get('key')} v{named.get('version')}, "
              f"not {checklist.key} v{checklist.version}")
    overrides = submission.get("overrides") or {}
    problems = answer_problems(checklist, submission["answers"], complete=True)
    problems.update({f"overrides.{k}": v for k, v in answer_problems(checklist, overrides, complete=False).items()})
    if problems:
        _fail("\n".join(f"{answers_file.name}: {key}: {'; '.join(msgs)}" for key, msgs in problems.items()))
    result = score_audit(checklist, submission["answers"], overrides)
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))


@click.command("demo")
@click.option("--out", "out_dir", default="demo-reports", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo's PDF reports.")
@click.option("--lang", "langs", multiple=True, type=click.Choice(REPORT_LANGUAGES), default=["both"],
              show_default=True)
@click.pass_context
def demo(ctx: click.Context, out_dir: str, langs: tuple[str, ...]) -> None:
    """Set up the database, seed a realistic program (4 regions, 36 dealers, 2 waves), publish and render it."""
    from .demo.seed import DEMO_PASSWORD, WAVES, demo_seeded, seed_demo

    ctx.invoke(init_db)
    ctx.invoke(checklists_load, paths=())
    _print_sample_score()
    if demo_seeded(db.session()):
        click.echo("\ndemo program already seeded: rendering what changed")
    else:
        click.echo("\nseeding the demo program (assign, upload evidence, submit, QA approve)...")
        summary = seed_demo(db.session(), current_app.config)
        _commit()
        click.echo(f"{summary.regions} regions, {summary.dealers} dealers, waves {', '.join(summary.waves)}, "
                   f"{summary.audits} audits published")
        click.echo(f"logins (password '{DEMO_PASSWORD}'): " +
                   "; ".join(f"{role} {email}" for role, email in summary.logins.items()))
    result = render_wave(WAVES[-1][0], Path(out_dir), langs, progress=True)
    click.echo(f"{result['rendered']} reports rendered, {result['skipped']} unchanged, "
               f"in {result['seconds']:.1f} s")
    click.echo(f"\nthe demo's reports are in {result['folder'].resolve()}")


def _print_sample_score() -> None:
    from .scoring import score_audit

    directory = Path(current_app.config["CHECKLIST_DIR"])
    sample = directory.parent / "examples" / "sales_visit_answers.json"
    if not sample.exists():
        return
    result = score_audit(load_checklist_file(directory / "sales_visit.yaml"),
                         json.loads(sample.read_text(encoding="utf-8"))["answers"])
    worst = sorted(result.points_lost.items(), key=lambda kv: -kv[1])[:3]
    click.echo(f"sample visit (examples/{sample.name}): overall {result.overall:.1f}, before knock-outs "
               f"{result.overall_raw:.1f}; most points lost: " + ", ".join(f"{k} {v:.1f}" for k, v in worst) +
               f" (full score: auditapp score checklists/sales_visit.yaml examples/{sample.name})")


def default_workers(database_uri: str | None = None) -> int:
    """gunicorn's rule of thumb (2 × cores + 1), capped: each worker holds the app and a DB pool.

    On SQLite, cores + 1: its writers take turns on the file's write lock, and workers beyond that
    only take CPU from the one holding the lock, which lengthens every writer's turn (measured with
    bench/bench_api.py: on 2 cores, 3 workers answered submits faster, at p99, than 5 did)."""
    import os

    cores = os.cpu_count() or 1
    if database_uri is not None and database_uri.startswith("sqlite"):
        return min(cores + 1, 9)
    return min(2 * cores + 1, 9)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=int,
              help="Worker processes (default: 2 × cores + 1; on SQLite, cores + 1).")
@click.option("--no-upgrade", is_flag=True, help="Do not bring the schema up to date before starting.")
@with_appcontext
def serve(host: str, port: int, workers: int | None, no_upgrade: bool) -> None:
    """Run the API with gunicorn (the schema is upgraded first, so the embedded default just works)."""
    import os

    if not no_upgrade:
        from flask_migrate import upgrade

        upgrade()
    click.echo(f"serving on http://{host}:{port} (API docs: http://{host}:{port}/api/docs)")
    # A fresh process: this command runs inside an app context, and workers forked from it would reuse
    # that context for every request, so no request would ever end its database session.
    workers = workers or default_workers(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_folder(Path(current_app.instance_path), port))
    options = gunicorn_options(host, port, workers)
    if current_app.config["LOG_FORMAT"] == "json":
        # The app writes one JSON line per request with its id (api/operations.py) instead.
        at = options.index("--access-logfile")
        del options[at:at + 2]
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", *options, "auditapp:create_app()"])


def metrics_folder(instance: Path, port: int) -> Path:
    """An empty folder for the workers' metric files (prometheus_client's multiprocess mode): emptied at
    every start, since files of an earlier run would be added to this one's figures."""
    import shutil

    folder = instance / "metrics" / str(port)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def gunicorn_options(host: str, port: int, workers: int) -> list[str]:
    """gunicorn's own limits sit above the app's (auditapp.limits), so that a client over the app's limits
    gets the standard error body; only requests far beyond them meet gunicorn's plain HTML errors."""
    from .limits import SERVER_HEADER_FIELD_BYTES, SERVER_HEADER_FIELDS, SERVER_REQUEST_LINE_BYTES

    return ["--bind", f"{host}:{port}", "--workers", str(workers), "--timeout", "60",
            "--limit-request-line", str(SERVER_REQUEST_LINE_BYTES),
            "--limit-request-fields", str(SERVER_HEADER_FIELDS),
            "--limit-request-field_size", str(SERVER_HEADER_FIELD_BYTES),
            "--access-logfile", "-",
            # gunicorn's access line, ending with the request's id (auditapp/logs.py) to match the app's lines.
            "--access-logformat", '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s',
            "--config", "python:auditapp.gunicorn_hooks"]


@click.command("worker", context_settings={"ignore_unknown_options": True})
@click.option("--concurrency", "-c", type=int, default=None, help="Worker processes (default: one per core).")
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def worker(concurrency: int | None, celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker for the report and mail jobs (BROKER_URL must name the broker); further
    arguments go to `celery worker` as they are (e.g. --loglevel=debug)."""
    from .jobs import broker_configured, celery

    if not broker_configured(current_app.config):
        _fail("no broker: set AUDITAPP_BROKER_URL (e.g. redis://127.0.0.1:6379/0); without one, jobs run "
              "in-process and no worker is needed")
    import logging

    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its progress lines, one per render step
    argv = ["worker", "--loglevel=info"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    celery.worker_main([*argv, *celery_args])


@reports_cli.command("render")
@click.option("--wave", "wave_code", required=True, help="Wave code, e.g. 2026-Q3.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the PDFs.")
@click.option("--lang", "langs", multiple=True, type=click.Choice(REPORT_LANGUAGES), default=["both"],
              show_default=True, help="Language(s); repeatable.")
@click.option("--processes", type=int, default=None, help="Parallel renderers (default: one per core).")
@click.option("--email", is_flag=True, help="Send each region's managers their region report and dealer scorecards.")
def reports_render(wave_code: str, out_dir: str, langs: tuple[str, ...], processes: int | None, email: bool) -> None:
    """Render every dealer scorecard and region report of a wave (unchanged reports are skipped); with a
    broker configured, as one job per report for the workers (`auditapp worker`), waiting for them."""
    from .jobs import broker_configured

    summary = render_wave(wave_code, Path(out_dir), langs, processes=processes, progress=True)
    click.echo(f"{summary['rendered']} rendered, {summary['skipped']} unchanged, in {summary['seconds']:.1f} s "
               f"-> {out_dir}")
    if email:
        sent = email_wave(summary["sources"], summary["files"])
        queued = broker_configured(current_app.config)
        click.echo(f"{sent} emails {'queued for the workers' if queued else 'sent'}")


def render_wave(wave_code: str, out_dir: Path, langs: tuple[str, ...] | list[str], *, processes: int | None = None,
                progress: bool = False) -> dict:
    """Render what changed since the last run, store it with its score versions, copy all into out_dir."""
    import shutil
    import time

    from tqdm import tqdm

    from .jobs import broker_configured
    from .limits import CODE_RULE, is_code
    from .models import Wave, utcnow
    from .reports.batch import RenderJob, render_all
    from .reports.fonts import RECIPE_VERSION
    from .services.disputes import DisputePolicy
    from .services.figures import load_wave, wave_programs
    from .services.reports import (
        UnsafeFileName,
        open_rendering,
        rendered,
        store_rendering,
        templates_digest,
        wave_sources,
    )

    config = current_app.config
    started = time.perf_counter()
    if not is_code(wave_code):
        _fail(f"not a wave code: {wave_code!r} (codes are {CODE_RULE})")
    templates = templates_digest(config["REPORT_TEMPLATE_DIR"], f"font recipe {RECIPE_VERSION}")
    wave = db.session.scalar(select(Wave).where(Wave.code == wave_code))
    if wave is None:
        _fail(f"no wave {wave_code!r}")
    # Every program of the wave: one set of reports each, never a mix (DESIGN 2).
    policy, now = DisputePolicy.from_config(config), utcnow()
    sources = [source for program in wave_programs(db.session(), wave)
               for source in wave_sources(load_wave(db.session(), wave_code, config["MIN_RANKED_AUDITS"], program,
                                                    dispute_policy=policy),
                                          langs=langs, templates=templates, policy=policy, now=now)]
    if not sources:
        _fail(f"wave {wave_code} has no published audit: nothing to render")
    try:  # before rendering anything: a stored code that cannot name a file stops the run
        names = {source.key: source.file_name for source in sources}
    except UnsafeFileName as exc:
        _fail(f"{exc}; correct it through the API first")
    files = rendered(db.session(), sources, config["REPORT_DIR"])
    todo = [s for s in sources if s.key not in files]
    by_key = {s.key: s for s in todo}
    bar = tqdm(total=len(todo), unit="report", disable=not progress or not todo, desc=f"rendering {wave_code}")

    def advance(_key: str) -> None:
        bar.update()

    if broker_configured(config):
        _commit()  # the workers read the score versions this process sees
        files.update(_render_on_workers(todo, advance))
    else:
        for key, pdf in render_all([RenderJob(s.key, s.kind, s.data, s.lang) for s in todo], config, processes,
                                   on_done=advance):
            files[key] = store_rendering(db.session(), by_key[key], pdf, config["REPORT_DIR"])
            _commit()  # each report is kept as soon as it exists: an interrupted run resumes
    bar.close()
    for source in sources:
        target = out_dir / wave_code / names[source.key]
        target.parent.mkdir(parents=True, exist_ok=True)
        with open_rendering(config["REPORT_DIR"], files[source.key].sha256) as stored, target.open("wb") as out:
            shutil.copyfileobj(stored, out)
    return {"rendered": len(todo), "skipped": len(sources) - len(todo), "seconds": time.perf_counter() - started,
            "sources": sources, "files": files, "folder": out_dir / wave_code}


def _render_on_workers(todo: list, advance) -> dict:
    """One task per report on the broker; waits for all of them, advancing the bar as each finishes.
    The stored renderings by key; a report whose task failed (after its retries) stops the command."""
    import time

    from celery.result import AsyncResult

    from .jobs import render_report
    from .models import ReportFile
    from .services.reports import source_payload

    pending: dict[str, AsyncResult] = {s.key: render_report.delay(source_payload(s)) for s in todo}
    done: dict[str, str] = {}
    failed: dict[str, str] = {}
    while pending:
        for key, result in list(pending.items()):
            if result.ready():
                del pending[key]
                if result.successful():
                    done[key] = result.result["sha256"]
                else:
                    failed[key] = repr(result.result)
                advance(key)
        if pending:
            time.sleep(0.2)
    if failed:
        _fail("\n".join(f"{key}: {error}" for key, error in sorted(failed.items())))
    db.session.commit()  # a new transaction: the one before may hold a snapshot from before the workers wrote
    by_digest = {s.content_digest: s.key for s in todo}
    rows = db.session.scalars(select(ReportFile).where(ReportFile.content_digest.in_(by_digest)))
    return {by_digest[row.content_digest]: row for row in rows}


def email_wave(sources: list, files: dict) -> int:
    """One email per manager of each region: the region report and the scorecards of its dealers."""
    from .jobs import broker_configured, send_mail
    from .models import User, manager_regions
    from .services.mail import mail_from_payload, report_mail_payload, send_all

    config = current_app.config
    by_region: dict[int, list] = {}
    for source in sources:
        by_region.setdefault(source.region.id, []).append(source)
    managers = db.session.execute(
        select(manager_regions.c.region_id, User.email).join(User, User.id == manager_regions.c.user_id)
        .where(User.active.is_(True), User.role == "manager")).all()
    mails = []
    for region_id, email in managers:
        region_sources = sorted(by_region.get(region_id, []), key=lambda s: (s.dealer is not None, s.key))
        if not region_sources:
            continue
        region = region_sources[0].region
        wave = region_sources[0].data["wave"]
        reports = [(source.file_name.split("/")[-1], files[source.key].sha256) for source in region_sources]
        dealers = len({s.dealer.id for s in region_sources if s.dealer is not None})
        body = (f"{region.name_zh} {wave['title']['zh']} 暗访报告：区域报告及{dealers}家经销商评分卡见附件。\n\n"
                f"{region.name_en}, {wave['title']['en']}: the region report and the scorecards of "
                f"{dealers} dealers are attached.\n")
        mails.append(report_mail_payload(
            email, f"[auditapp] {wave['code']} {region.name_zh} / {region.name_en}: "
                   f"区域报告与经销商评分卡 / region report and dealer scorecards", body, reports))
    if broker_configured(config):  # one job per mail: a failed one is retried alone
        for mail in mails:
            send_mail.delay(mail)
        return len(mails)
    return send_all(config, [mail_from_payload(mail, config) for mail in mails])


@fonts_cli.command("build")
def fonts_build() -> None:
    """Build the report font from the system's Noto Sans CJK into FONT_CACHE_DIR (a no-op when up to date)."""
    import time

    from .reports.fonts import FontUnavailable, ensure_report_fonts

    started = time.perf_counter()
    try:
        fonts = ensure_report_fonts(Path(current_app.config["FONT_CACHE_DIR"]))
    except FontUnavailable as exc:
        _fail(f"{exc} (scripts/setup.sh installs fonts-noto-cjk)")
    click.echo(f"report fonts ready in {time.perf_counter() - started:.1f} s: {fonts.regular.parent}")


@click.command("export")
@click.option("--wave", "wave_code", required=True, help="Wave code, e.g. 2026-Q3.")
@click.option("--program", help="Checklist key, e.g. sales_visit (required when the wave ran more than one).")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False),
              help="The file to write: .xlsx (every sheet) or .csv (one sheet, see --sheet).")
@click.option("--sheet", type=click.Choice(EXPORT_SHEETS), help="The sheet of a .csv export.")
@with_appcontext
def export(wave_code: str, program: str | None, out_file: str, sheet: str | None) -> None:
    """Export a wave's published results of one program for Excel, everything as the agency sees it."""
    from .services.access import AGENCY_SCOPE
    from .services.disputes import DisputePolicy
    from .services.exports import Cell, Sheet, WaveExport, csv_chunks, write_xlsx

    target = Path(out_file)
    kind = target.suffix.lower()
    if kind not in (".xlsx", ".csv"):
        _fail(f"{out_file}: the file name must end in .xlsx or .csv")
    if kind == ".csv" and sheet is None:
        _fail(f"a .csv holds one sheet: name it with --sheet ({', '.join(EXPORT_SHEETS)})")
    if kind == ".xlsx" and sheet is not None:
        _fail("--sheet is for .csv files: an .xlsx export holds every sheet")
    config = current_app.config
    try:
        wave_export = WaveExport(db.session(), wave_code, program, AGENCY_SCOPE, min_ranked=config["MIN_RANKED_AUDITS"],
                                 dispute_policy=DisputePolicy.from_config(config))
    except DomainError as exc:
        _fail(str(exc))
    partial = target.with_name(target.name + ".partial")  # never a half-written file under the real name
    if sheet is None:
        counts = write_xlsx(wave_export.sheets(), str(partial))
    else:
        chosen, written = wave_export.sheet(sheet), [0]

        def counted() -> Iterator[list[Cell]]:
            for cells in chosen.rows():
                written[0] += 1
                yield cells

        with partial.open("wb") as file:
            for chunk in csv_chunks(Sheet(chosen.name, chosen.columns, counted)):
                file.write(chunk)
        counts = {sheet: written[0]}
    partial.replace(target)
    click.echo(f"{wave_export.wave_code} {wave_export.program}: "
               + ", ".join(f"{name} {n} rows" for name, n in counts.items()) + f" -> {target}")


@assignments_cli.command("import")
@click.option("--wave", "wave_code", required=True, help="Code of the wave the plan assigns.")
@click.option("--lang", type=click.Choice(("zh", "en")), help="Language of the messages (default: the configured).")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False))
def assignments_import(wave_code: str, lang: str | None, plan_file: str) -> None:
    """Assign a wave's visits from a CSV plan (columns: dealer, shopper, window_start, window_end,
    checklist, optional version). Every row is checked; one bad row refuses the plan and nothing is
    assigned: the problems are printed with their row numbers (the header is row 1)."""
    from .services.assignment_plans import PlanRefused, import_plan

    language = lang or current_app.config["DEFAULT_LANGUAGE"]
    try:
        result = import_plan(db.session(), None, wave_code, Path(plan_file).read_bytes(),
                             rotation_days=current_app.config["ROTATION_DAYS"])
        _commit()
    except PlanRefused as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(problem.located().render(language), err=True)
        _fail(exc.message.render(language))
    except DomainError as exc:
        db.session.rollback()
        _fail(exc.message.render(language))
    click.echo(Message("plan.assigned", count=len(result.audits), wave=result.wave.code).render(language))


@storage_cli.command("manifest")
def storage_manifest() -> None:
    """List every object the database refers to (namespace, key, SHA-256, size), tab-separated, and check
    that the configured store has each: exit 1 naming those it lacks (the backup's object listing)."""
    from .services.backup import missing_objects, referenced_objects
    from .storage import store_for

    objects = list(referenced_objects(db.session()))
    for item in objects:
        click.echo(f"{item.namespace}\t{item.key}\t{item.sha256}\t{'' if item.size is None else item.size}")
    stores = {namespace: store_for(current_app.config, namespace) for namespace in ("attachments", "reports")}
    missing = missing_objects(objects, stores)
    for item in missing:
        click.echo(f"missing from storage: {item.namespace} {item.key}", err=True)
    click.echo(f"{len(objects)} objects, {len(missing)} missing", err=True)
    if missing:
        raise SystemExit(1)


@scores_cli.command("verify")
def scores_verify() -> None:
    """Recompute every audit's current score from its answers and overrides; exit 1 if any differs."""
    from .services.backup import verify_scores

    check = verify_scores(db.session())
    for name in check.differing:
        click.echo(f"differs from its recomputation: {name}", err=True)
    click.echo(f"{check.checked} scores recomputed, {len(check.differing)} differ")
    if check.differing:
        raise SystemExit(1)


@actions_cli.command("remind")
@click.option("--wait", default=300.0, show_default=True, type=click.FloatRange(min=1),
              help="With a broker: seconds to wait for the worker that runs the pass.")
def actions_remind(wait: float) -> None:
    """Send the action-plan reminders due now (due soon, overdue): the pass the beat runs once a day.
    Without a broker it runs here; with one, on a worker, and the command waits for its counts.
    Running it again sends nothing twice."""
    from celery.exceptions import TimeoutError as TaskTimeout

    from .jobs import action_reminders, broker_configured, reminder_pass

    if broker_configured(current_app.config):
        try:
            counts = action_reminders.delay().get(timeout=wait)
        except TaskTimeout:
            _fail(f"no worker ran the pass within {wait:g} s (is `auditapp worker` running?); it stays queued")
    else:
        counts = reminder_pass()
    click.echo(f"{counts['reminders']} reminders sent ({counts['due_soon']} due soon, {counts['overdue']} overdue) "
               f"in {counts['mails']} emails to the users of {counts['dealers']} dealers")
    if counts["dealers_without_users"]:
        click.echo(f"{counts['dealers_without_users']} dealers have no active user to remind: their reminders "
                   f"wait for one", err=True)


@outbox_cli.command("run")
@click.option("--loop", is_flag=True, help="Keep passing until interrupted (for systemd or a sidecar).")
@click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds between passes with --loop.")
@with_appcontext
def outbox_run(loop: bool, interval: float) -> None:
    """Attempt every due webhook delivery and alert email once (a pass), or keep passing with --loop.

    Safe beside the server's own passes and other runners: each row is claimed by one runner at a time."""
    import time

    from .services.outbox import BATCH, run_due

    config, engine = current_app.config, db.engine
    try:
        while True:
            totals = {"delivered": 0, "pending": 0, "failed": 0}
            while True:  # a full batch means more may be due
                counts = run_due(engine, config)
                totals = {k: totals[k] + counts[k] for k in totals}
                if sum(counts.values()) < BATCH:
                    break
            if not loop or any(totals.values()):
                click.echo(f"delivered {totals['delivered']}, to retry {totals['pending']}, "
                           f"given up {totals['failed']}")
            if not loop:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("stopped")


if __name__ == "__main__":
    main()
