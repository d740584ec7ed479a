"""Assigning a wave's visits in bulk from a CSV plan: every row checked, all or nothing.

The plan is a CSV file as Excel ("CSV UTF-8") or WPS saves it: UTF-8 with or without a byte-order mark,
comma separated, CRLF or LF line ends, a header row naming the columns in English:

    dealer        dealer code                                   required
    shopper       the shopper's email                           required
    window_start  first day of the visit window, YYYY-MM-DD      required (YYYY/M/D, Excel's zh-CN short
    window_end    last day of the visit window                  required  date, is read as well)
    checklist     checklist key, e.g. sales_visit               required
    version       checklist version                             optional: the latest loaded version

The wave is not a column: the request names it (the plan of one wave, uploaded on that wave), so a plan
cannot spread over waves and a typo in a column cannot put visits into the wrong one. Any other column
(a `wave` column, a dealer name kept for the reader...) is refused, naming the columns that exist:
a column the system would silently ignore is one the planner believes is used.

Every row is checked with the rules of `assignments.assign` (known dealer, active shopper, loaded
checklist version, window in order and within the date limits, the rotation rule against the audits
stored and against the plan's other rows) and duplicates are refused. Problems carry the spreadsheet's
row number (the header is row 1) and the column. One bad row refuses the whole plan and nothing is
written; a good plan creates every audit in the caller's one transaction. Lookups are batched: the
statements run do not grow with the number of rows.
"""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidInput, NotFound
from ..limits import DATE_MAX, DATE_MIN, INT_MAX, MAX_PLAN_BYTES, MAX_PLAN_ROWS, text_problem
from ..messages import Message
from ..models import Audit, ChecklistVersion, Dealer, User, Wave
from .assignments import is_assignable_shopper, new_assignment, record_assigned, rotation_clash
from .users import normalise_email

REQUIRED_COLUMNS = ("dealer", "shopper", "window_start", "window_end", "checklist")
COLUMNS = (*REQUIRED_COLUMNS, "version")
HEADER_ROW = 1
# Problems of the file as a whole (its encoding, size, number of rows) have no row: this key holds them.
FILE = "_file"
# Problems of a row as a whole (a duplicate, extra cells) have no column: this key holds them.
WHOLE_ROW = "_row"

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_SLASHED_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")


@dataclass(frozen=True)
class PlanProblem:
    row: int | None  # the spreadsheet's row number (header = 1); None for the file as a whole
    column: str | None  # None for the row as a whole
    message: Message

    def located(self) -> Message:
        """The problem with where it is, as one sentence (the command line prints these)."""
        if self.row is None:
            return Message("plan.problem_in_file", problem=self.message)
        if self.column is None:
            return Message("plan.problem_in_row", row=self.row, problem=self.message)
        return Message("plan.problem_in_cell", row=self.row, column=self.column, problem=self.message)


class PlanRefused(InvalidInput):
    """A plan with problems: `errors` by row number, then column; `problems` in reading order."""

    def __init__(self, problems: list[PlanProblem]) -> None:
        errors: dict[str, Any] = {}
        for problem in problems:
            if problem.row is None:
                errors.setdefault(FILE, []).append(problem.message)
            else:
                errors.setdefault(str(problem.row), {}).setdefault(problem.column or WHOLE_ROW, []).append(
                    problem.message)
        super().__init__("plan.refused", errors, count=len(problems))
        self.problems = problems


@dataclass(frozen=True)
class PlanRow:
    """A row as read: cells stripped, by column name."""
    row: int
    cells: dict[str, str]


@dataclass(frozen=True)
class Assignment:
    """A row that passed every check, ready to be created."""
    row: int
    dealer_id: int
    shopper_id: int
    checklist_version_id: int
    start: date
    end: date


@dataclass(frozen=True)
class PlanResult:
    wave: Wave
    audits: list[Audit]  # in the plan's row order
    rows: list[int]  # the plan's row of each audit


def import_plan(session: Session, actor: User | None, wave_code: str, data: bytes, *,
                rotation_days: int) -> PlanResult:
    """Check the plan and create every audit in it, or raise PlanRefused and create none."""
    wave = session.scalar(select(Wave).where(Wave.code == wave_code))
    if wave is None:
        raise NotFound("admin.no_such_wave")
    rows, problems = read_plan(data)
    assignments: list[Assignment] = []
    if not problems:
        assignments, problems = check_rows(session, rows, rotation_days=rotation_days)
    if problems:
        raise PlanRefused(problems)
    audits = [new_assignment(session, dealer_id=a.dealer_id, wave_id=wave.id,
                             checklist_version_id=a.checklist_version_id, shopper_id=a.shopper_id,
                             visit_window_start=a.start, visit_window_end=a.end) for a in assignments]
    session.flush()
    record_assigned(session, actor, audits)
    session.flush()
    return PlanResult(wave=wave, audits=audits, rows=[a.row for a in assignments])


def read_plan(data: bytes) -> tuple[list[PlanRow], list[PlanProblem]]:
    """The plan's data rows by column, or the problems of the file and its header (then no rows)."""
    if len(data) > MAX_PLAN_BYTES:
        return [], [PlanProblem(None, None, Message("plan.file_too_large", max=MAX_PLAN_BYTES))]
    try:
        text = data.decode("utf-8-sig")  # the BOM Excel writes, if any, is dropped with the decoding
    except UnicodeDecodeError:
        return [], [PlanProblem(None, None, Message("plan.not_utf8"))]
    problem = text_problem(text)
    if problem is not None:
        return [], [PlanProblem(None, None, problem)]
    records: list[tuple[int, list[str]]] = []
    try:
        # A spreadsheet row is a CSV record (a quoted cell may hold line breaks): count records, not lines.
        for number, record in enumerate(csv.reader(io.StringIO(text, newline=""), strict=True), start=HEADER_ROW):
            records.append((number, [cell.strip() for cell in record]))
    except csv.Error:
        return [], [PlanProblem(len(records) + HEADER_ROW, None, Message("plan.not_csv"))]
    # Excel leaves rows of empty cells below a table that once was longer: they are not rows of the plan.
    records = [(number, cells) for number, cells in records if any(cells)]
    if not records:
        return [], [PlanProblem(HEADER_ROW, None, Message("plan.empty"))]
    (header_row, header), body = records[0], records[1:]
    while header and not header[-1]:  # a trailing comma, or a sheet once wider than its table
        header.pop()
    problems = _header_problems(header_row, header)
    if problems:
        return [], problems
    if not body:
        return [], [PlanProblem(None, None, Message("plan.no_rows"))]
    if len(body) > MAX_PLAN_ROWS:
        return [], [PlanProblem(None, None, Message("plan.too_many_rows", max=MAX_PLAN_ROWS, count=len(body)))]
    columns = [name.lower() for name in header]
    rows = []
    for number, cells in body:
        if len(cells) > len(columns) and any(cells[len(columns):]):
            problems.append(PlanProblem(number, None, Message("plan.extra_cells")))
        rows.append(PlanRow(number, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(columns)}))
    return rows, problems


def _header_problems(header_row: int, header: list[str]) -> list[PlanProblem]:
    names = [name.lower() for name in header]
    if len(names) == 1 and names[0] not in COLUMNS:
        for separator, shown in ((";", "';'"), ("\t", "tab"), ("，", "'，'")):
            if separator in names[0]:
                return [PlanProblem(header_row, None, Message("plan.not_comma_separated", separator=shown))]
    problems = []
    seen: set[str] = set()
    for name in names:
        if name not in COLUMNS:
            problems.append(PlanProblem(header_row, name or None,
                                        Message("plan.unknown_column", columns=", ".join(COLUMNS))))
        elif name in seen:
            problems.append(PlanProblem(header_row, name, Message("plan.duplicate_column")))
        seen.add(name)
    problems += [PlanProblem(header_row, name, Message("plan.missing_column"))
                 for name in REQUIRED_COLUMNS if name not in seen]
    return problems


def check_rows(session: Session, rows: list[PlanRow], *,
               rotation_days: int) -> tuple[list[Assignment], list[PlanProblem]]:
    """Every row against the rules of a single assignment; the lookups are one query per kind."""
    problems: list[PlanProblem] = []

    def refuse(row: PlanRow, column: str | None, message: Message) -> None:
        problems.append(PlanProblem(row.row, column, message))

    dealers = _dealers(session, {row.cells["dealer"] for row in rows})
    shoppers = _users(session, {normalise_email(row.cells["shopper"]) for row in rows})
    versions = _versions(session, {row.cells["checklist"] for row in rows})
    candidates: list[Assignment] = []
    for row in rows:
        for column in REQUIRED_COLUMNS:
            if not row.cells[column]:
                refuse(row, column, Message("plan.value_required"))
        dealer_id = shopper_id = version_id = None
        start = end = None
        code = row.cells["dealer"]
        if code:
            dealer_id = dealers.get(code)
            if dealer_id is None:
                refuse(row, "dealer", Message("plan.unknown_dealer", code=code))
        email = normalise_email(row.cells["shopper"])
        if email:
            shopper = shoppers.get(email)
            if shopper is None:
                refuse(row, "shopper", Message("plan.unknown_shopper", email=email))
            elif shopper.role != "shopper":
                refuse(row, "shopper", Message("plan.not_a_shopper", email=email, role=shopper.role))
            elif not is_assignable_shopper(shopper):
                refuse(row, "shopper", Message("plan.inactive_shopper", email=email))
            else:
                shopper_id = shopper.id
        key, version_text = row.cells["checklist"], row.cells.get("version", "")
        version: int | None = None
        if version_text:
            version = _whole_number(version_text)
            if version is None:
                refuse(row, "version", Message("plan.bad_version"))
        if key and (version is not None or not version_text):
            loaded = versions.get(key, {})
            if not loaded:
                refuse(row, "checklist", Message("plan.unknown_checklist", key=key))
            elif version is not None and version not in loaded:
                refuse(row, "version", Message("checklist.not_loaded", key=key, version=version))
            else:
                version_id = loaded[version if version is not None else max(loaded)]
        for column in ("window_start", "window_end"):
            text = row.cells[column]
            if not text:
                continue
            day, message = _day(text)
            if message is not None:
                refuse(row, column, message)
            elif column == "window_start":
                start = day
            else:
                end = day
        if start is not None and end is not None and end < start:
            refuse(row, "window_end", Message("plan.window_order", start=start.isoformat()))
            end = None
        if dealer_id is not None and shopper_id is not None and version_id is not None and start and end:
            candidates.append(Assignment(row.row, dealer_id, shopper_id, version_id, start, end))
    problems += _duplicates_and_rotation(session, candidates, rotation_days)
    problems.sort(key=lambda p: (p.row or 0, COLUMNS.index(p.column) if p.column in COLUMNS else len(COLUMNS)))
    return candidates, problems


def _duplicates_and_rotation(session: Session, candidates: list[Assignment],
                             rotation_days: int) -> list[PlanProblem]:
    """The rotation rule between each row and the stored audits, then between the plan's own rows (a row
    is measured against the earlier rows of the plan, so a clash is reported once, on the later row)."""
    problems = []
    stored = _stored_windows(session, candidates, rotation_days)
    earlier: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
    for row in candidates:
        pair = (row.shopper_id, row.dealer_id)
        same = next((o for o in earlier[pair] if (o.checklist_version_id, o.start, o.end)
                     == (row.checklist_version_id, row.start, row.end)), None)
        clash_stored = next((w for w in stored[pair] if rotation_clash(w[0], w[1], row.start, row.end,
                                                                        rotation_days)), None)
        clash_plan = next((o for o in earlier[pair] if rotation_clash(o.start, o.end, row.start, row.end,
                                                                       rotation_days)), None)
        if same is not None:
            problems.append(PlanProblem(row.row, None, Message("plan.duplicate_row", row=same.row)))
        elif clash_stored is not None:
            problems.append(PlanProblem(row.row, "shopper", Message(
                "assignment.rotation_clash", days=rotation_days, start=clash_stored[0].isoformat(),
                end=clash_stored[1].isoformat())))
        elif clash_plan is not None:
            problems.append(PlanProblem(row.row, "shopper", Message(
                "plan.rotation_in_plan", row=clash_plan.row, days=rotation_days, start=clash_plan.start.isoformat(),
                end=clash_plan.end.isoformat())))
        earlier[pair].append(row)
    return problems


def _stored_windows(session: Session, candidates: list[Assignment],
                    rotation_days: int) -> dict[tuple[int, int], list[tuple[date, date]]]:
    """The visit windows already stored for the plan's (shopper, dealer) pairs, near enough to matter."""
    found: dict[tuple[int, int], list[tuple[date, date]]] = defaultdict(list)
    if not candidates:
        return found
    pairs = {(c.shopper_id, c.dealer_id) for c in candidates}
    first, last = min(c.start for c in candidates), max(c.end for c in candidates)
    query = (select(Audit.shopper_id, Audit.dealer_id, Audit.visit_window_start, Audit.visit_window_end)
             .where(Audit.shopper_id.in_(sorted({s for s, _ in pairs})),
                    Audit.dealer_id.in_(sorted({d for _, d in pairs})),
                    rotation_clash(Audit.visit_window_start, Audit.visit_window_end, first, last, rotation_days))
             .order_by(Audit.visit_window_start))
    for shopper_id, dealer_id, start, end in session.execute(query):
        if (shopper_id, dealer_id) in pairs:
            found[(shopper_id, dealer_id)].append((start, end))
    return found


def _dealers(session: Session, codes: Iterable[str]) -> dict[str, int]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    query = select(Dealer.code, Dealer.id).where(Dealer.code.in_(sorted(codes)))
    return {code: ident for code, ident in session.execute(query)}  # noqa: C416 (rows, not pairs, to dict())


def _users(session: Session, emails: Iterable[str]) -> dict[str, User]:
    emails = {e for e in emails if e}
    if not emails:
        return {}
    return {user.email: user for user in session.scalars(select(User).where(User.email.in_(sorted(emails))))}


def _versions(session: Session, keys: Iterable[str]) -> dict[str, dict[int, int]]:
    """Loaded versions by checklist key: {key: {version: id}}."""
    keys = {k for k in keys if k}
    found: dict[str, dict[int, int]] = defaultdict(dict)
    if keys:
        for key, version, ident in session.execute(select(
                ChecklistVersion.key, ChecklistVersion.version, ChecklistVersion.id)
                .where(ChecklistVersion.key.in_(sorted(keys)))):
            found[key][version] = ident
    return found


def _whole_number(text: str) -> int | None:
    # Excel writes a number typed as 2 as "2"; one formatted with decimals as "2.0".
    whole = text[:-2] if text.endswith(".0") else text
    if not whole.isascii() or not whole.isdigit():
        return None
    number = int(whole)
    return number if 1 <= number <= INT_MAX else None


def _day(text: str) -> tuple[date | None, Message | None]:
    match = _ISO_DATE.match(text) or _SLASHED_DATE.match(text)
    if match is None:
        return None, Message("plan.bad_date")
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        return None, Message("plan.bad_date")
    if not DATE_MIN <= day <= DATE_MAX:
        return None, Message("input.range_between", min=DATE_MIN.isoformat(), max=DATE_MAX.isoformat())
    return day, None


def plan_template() -> str:
    """The header row of a plan (what the upload page offers to download)."""
    return ",".join(COLUMNS) + "\r\n"
