"""Command line: `auditapp ...` (console script) or `flask --app auditapp ...`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import select

from .checklists import ChecklistError, load_checklist_file, load_directory, load_files
from .checklists.answers import answer_problems
from .errors import DomainError
from .extensions import db
from .models import Dealer, Region


checklists_cli = AppGroup("checklists", help="Validate and load checklist files.")
users_cli = AppGroup("users", help="Manage users.")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(checklists_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(score)
    app.cli.add_command(demo)
    app.cli.add_command(serve)


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app, add_version_option=False,
               help="auditapp: mystery-shopping audits for car dealer networks.")(prog_name="auditapp")


def _fail(message: str) -> None:
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
        results = store_checklists(db.session, checklists)
        db.session.commit()
    except ChecklistError as exc:
        _fail(str(exc))
    except DomainError as exc:
        db.session.rollback()
        _fail(f"{exc.message}: " + "; ".join(f"{k} {', '.join(v)}" for k, v in exc.errors.items()))
    for checklist, outcome in results:
        click.echo(f"{outcome:9} {checklist.key} v{checklist.version}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "qa", "manager", "dealer", "shopper"]))
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
        user = create_user(db.session, email=email, password=password, role=role, display_name=display_name,
                           dealer_id=dealer_id, region_ids=region_ids)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _fail(f"{exc.message}: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items()))
    click.echo(f"created {user.role} {user.email} (id {user.id})")


@click.command("score")
@click.argument("checklist_file", type=click.Path(exists=True, dir_okay=False))
@click.argument("answers_file", type=click.File("r", encoding="utf-8"))
def score(checklist_file: str, answers_file: click.utils.LazyFile) -> None:
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
@click.pass_context
@with_appcontext
def demo(ctx: click.Context) -> None:
    """Set up the embedded database, load the checklists and score the sample visit."""
    ctx.invoke(init_db)
    ctx.invoke(checklists_load, paths=())
    examples = Path(current_app.config["CHECKLIST_DIR"]).parent / "examples"
    sample = examples / "sales_visit_answers.json"
    if sample.exists():
        click.echo(f"\nscore of {sample.name}:")
        with sample.open(encoding="utf-8") as answers:
            ctx.invoke(score, checklist_file=str(Path(current_app.config["CHECKLIST_DIR"]) / "sales_visit.yaml"),
                       answers_file=answers)


def default_workers() -> int:
    """gunicorn's rule of thumb (2 × cores + 1), capped: each worker holds the app and a DB pool."""
    import os

    return min(2 * (os.cpu_count() or 1) + 1, 9)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Worker processes (default: 2 × cores + 1).")
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
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}",
                              "--workers", str(workers or default_workers()), "--timeout", "60",
                              "--access-logfile", "-", "auditapp:create_app()"])
