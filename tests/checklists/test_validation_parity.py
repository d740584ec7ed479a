"""The shared table of answer-validation cases, against the server's validator. The phone app's
validator is held to the same table in the browser (tests/app/test_validation_parity.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditapp.checklists import checklist_from_document
from auditapp.checklists.answers import answer_problems

CASES_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "validation_cases.json"


def load_cases() -> dict:
    return json.loads(CASES_FILE.read_text(encoding="utf-8"))


TABLE = load_cases()


@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["name"] for c in TABLE["cases"]])
def test_server_validator_gives_the_shared_result(case):
    checklist = checklist_from_document(TABLE["checklist"])
    known = set(case["known_attachments"]) if "known_attachments" in case else None
    assert answer_problems(checklist, case["answers"], complete=case["complete"],
                           known_attachments=known) == case["problems"]


def test_the_table_covers_every_item_type_and_both_modes():
    types = {item["type"] for section in TABLE["checklist"]["sections"] for item in section["items"]}
    assert types == {"yes_no", "scale", "seconds", "minutes", "number", "choice", "text", "photo"}
    assert {c["complete"] for c in TABLE["cases"]} == {True, False}
    assert sum(1 for c in TABLE["cases"] if not c["problems"]) >= 3  # valid answers are accepted too
