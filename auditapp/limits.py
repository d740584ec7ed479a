"""What input the system accepts, decided once: the API's schemas, URL converters and request checks,
and the report file names, all apply these rules (the README's "What the API promises" lists them)."""
from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timezone
from typing import Any

from .messages import Message

# PostgreSQL's `integer` (int4): every Integer column, and so every id, fits in it. SQLite would take
# more, but a value one database stores and the other refuses must be refused on both.
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1

# Numbers inside free-form JSON (answers, dispute values): exactly representable as a double, so every
# client, whatever its JSON library, reads back what it sent; and far beyond any real seconds or price.
JSON_NUMBER_LIMIT = 2**53 - 1

# Deeper JSON is no real document; parsers (Python's included) recurse per level.
JSON_MAX_DEPTH = 32

# Longer digit runs are refused as malformed JSON before parsing: Python's parser raises an error of its
# own on integers beyond 4300 digits, and anything near this long fails JSON_NUMBER_LIMIT anyway.
JSON_MAX_NUMBER_DIGITS = 1000

# Request headers: the app answers a longer header field (name and value) with 431 in the standard body;
# gunicorn is configured (auditapp serve) with room above these, so that its own plain HTML errors are
# left for requests far beyond them.
MAX_HEADER_FIELD_BYTES = 8190
MAX_HEADER_FIELDS = 100
# Room for the multipart envelope and the form fields around an upload of MAX_ATTACHMENT_BYTES.
MULTIPART_OVERHEAD = 64 * 1024
SERVER_HEADER_FIELD_BYTES = 4 * MAX_HEADER_FIELD_BYTES
SERVER_HEADER_FIELDS = 2 * MAX_HEADER_FIELDS
SERVER_REQUEST_LINE_BYTES = 8190  # gunicorn's maximum

# Dates of audits and waves; far enough out for any program, near enough for date arithmetic.
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)
DATETIME_MIN = datetime.combine(DATE_MIN, time.min, tzinfo=timezone.utc)
DATETIME_MAX = datetime.combine(DATE_MAX, time.max, tzinfo=timezone.utc)

# Dealer, region and wave codes: they become folder and file names of rendered reports.
CODE_PATTERN = r"^[A-Z0-9_-]{1,32}$"
CODE_RULE = "1 to 32 of A-Z, 0-9, '_' and '-'"
_CODE = re.compile(CODE_PATTERN)

# In a Python str from JSON, a paired surrogate has already become one code point: any left is unpaired.
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str) -> Message | None:
    """Why a text cannot be accepted (None when it can): the databases cannot store NUL (PostgreSQL) or
    unpaired surrogates (no UTF-8 encoding, so it could never be sent back)."""
    if "\x00" in value:
        return Message("field.nul_character")
    if _SURROGATE.search(value):
        return Message("field.unpaired_surrogates")
    return None


def has_surrogates(value: str) -> bool:
    return _SURROGATE.search(value) is not None


def is_code(value: str) -> bool:
    return isinstance(value, str) and _CODE.fullmatch(value) is not None


def number_problem(value: float) -> Message | None:
    if isinstance(value, float) and not math.isfinite(value):
        return Message("field.not_finite")
    if abs(value) > JSON_NUMBER_LIMIT:
        return Message("field.number_between", min=-JSON_NUMBER_LIMIT, max=JSON_NUMBER_LIMIT)
    return None


def json_problems(value: Any) -> dict[str, Any] | list[str]:
    """Problems of a free-form JSON value (texts and numbers anywhere inside it), shaped like marshmallow's
    errors: a list of messages for the value itself, or a dict by key/index for what is inside.
    Bad keys are reported on their object, never echoed (they could not be sent back)."""
    if isinstance(value, str):
        problem = text_problem(value)
        return [problem] if problem else []
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        problem = number_problem(value)
        return [problem] if problem else []
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, inner in value.items():
            problem = text_problem(key) if isinstance(key, str) else None
            if problem:
                found.setdefault("_schema", []).append(Message("field.key_problem", problem=problem))
                continue
            inner_problems = json_problems(inner)
            if inner_problems:
                found[key] = inner_problems
        return found
    if isinstance(value, list):
        return {str(index): problems for index, inner in enumerate(value)
                if (problems := json_problems(inner))}
    return []


def json_text_problem(body: bytes) -> Message | None:
    """Why a JSON text is refused before it is parsed: nesting deeper than JSON_MAX_DEPTH (a parser
    recurses per level, which is what this guards) or a number longer than JSON_MAX_NUMBER_DIGITS.
    Found in one scan without recursion; what is inside strings does not count."""
    depth = 0
    for token in _JSON_TOKENS.finditer(body):
        found = token.group()
        if found in (b"[", b"{"):
            depth += 1
            if depth > JSON_MAX_DEPTH:
                return Message("request.json_too_deep", max=JSON_MAX_DEPTH)
        elif found in (b"]", b"}"):
            depth -= 1
        elif found[:1] != b'"':
            return Message("request.json_number_too_long", max=JSON_MAX_NUMBER_DIGITS)
    return None


# Strings (an unterminated one runs to the end, so no text is scanned twice), brackets, and digit runs
# too long (matched from their first digit only): one linear pass whatever the body.
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.)*+"?|[\[\]{}]|(?<![0-9])[0-9]{%d,}' % (JSON_MAX_NUMBER_DIGITS + 1))

# Bulk assignment plans (services/assignment_plans.py): a wave of a large network is a few thousand
# visits; a plan beyond these is a mistake (or should be split), and is refused before any row is read.
MAX_PLAN_ROWS = 5000
MAX_PLAN_BYTES = 1024 * 1024
