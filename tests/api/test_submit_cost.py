"""What a 60-item submit costs in SQL, and that its response, built from what it wrote, reads as the stored
audit does."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

SECTIONS, ITEMS = 6, 10
LONG_COMMENT = "The salesperson explained the financing options in detail and offered a test drive at once"


def sixty_item_document() -> dict[str, Any]:
    """6 sections of 10 items: yes/no, scale and seconds in turn; the sixth item of a section may be N/A."""
    sections = []
    for s in range(SECTIONS):
        items = []
        for i in range(ITEMS):
            kind = ("yes_no", "scale", "seconds")[i % 3]
            item: dict[str, Any] = {"key": f"s{s}_i{i}", "text": {"zh": f"第{s}节第{i}项", "en": f"Item {s}.{i}"},
                                    "type": kind, "dimension": "reliability", "weight": 1}
            if kind == "seconds":
                item["bands"] = [{"upto": 30, "score": 1}, {"score": 0}]
            if i == 5:
                item["na_allowed"] = True
            items.append(item)
        sections.append({"key": f"section_{s}", "title": {"zh": f"环节{s}", "en": f"Section {s}"}, "weight": 1,
                         "items": items})
    return {"key": "sixty", "version": 1, "title": {"zh": "六十项", "en": "Sixty items"}, "min_visit_minutes": 20,
            "sections": sections}


def sixty_answers() -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for s in range(SECTIONS):
        for i in range(ITEMS):
            kind = ("yes_no", "scale", "seconds")[i % 3]
            answers[f"s{s}_i{i}"] = {"value": {"yes_no": "yes", "scale": 4, "seconds": 12.5}[kind]}
    # The shapes the stored form writes differently from the request: N/A with a null value, an empty
    # comment and an empty list of attachments are left out; a long comment is kept (and compared).
    answers["s0_i5"] = {"na": True, "value": None, "comment": "nobody there"}
    answers["s1_i0"] = {"value": "no", "comment": "", "attachments": []}
    answers["s2_i1"] = {"value": 2, "comment": LONG_COMMENT}
    return answers


def stored_form() -> dict[str, Any]:
    """sixty_answers() as the API shows stored answers (written out, not computed by the code under test)."""
    shown = sixty_answers()
    shown["s0_i5"] = {"na": True, "comment": "nobody there"}
    shown["s1_i0"] = {"value": "no"}
    return shown


@pytest.fixture
def sixty_item_audit(make_audit, make_checklist_version, shopper):
    today = date.today()
    return make_audit(shopper=shopper, checklist_version=make_checklist_version(sixty_item_document()),
                      visit_window_start=today - timedelta(days=7), visit_window_end=today + timedelta(days=7))


def visit_proof() -> dict[str, Any]:
    """A 30-minute visit checked in at the factory dealer's location, ended 5 minutes ago: no flag."""
    now = datetime.now(timezone.utc)
    ended = now - timedelta(minutes=5)
    return {"started_at": (ended - timedelta(minutes=30)).isoformat(), "ended_at": ended.isoformat(),
            "checkin": {"latitude": 31.2304, "longitude": 121.4737, "accuracy_m": 8.0},
            "device_time": now.isoformat()}


def statement_kind(statement: str) -> tuple[str, str]:
    """("SELECT", first table) / ("INSERT", table) ...: what a statement does, whatever the dialect."""
    words = statement.replace('"', "").split()
    verb = words[0].upper()
    if verb == "SELECT":
        return verb, words[[w.upper() for w in words].index("FROM") + 1]
    if verb in ("INSERT", "DELETE"):
        return verb, words[2]
    return verb, words[1]


def test_a_sixty_item_submit_runs_a_fixed_list_of_statements(client, headers, sixty_item_audit, count_queries):
    from auditapp.services.checklists import checklist_of

    audit_id = sixty_item_audit.id
    checklist_of(sixty_item_audit.checklist_version)  # parsed once per process, as a server worker has it
    with count_queries() as counter:
        r = client.post(f"/api/v1/audits/{audit_id}/submit", json={"answers": sixty_answers(), "visit": visit_proof()},
                        headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 200, r.json
    kinds = [statement_kind(s) for s in counter.statements if not s.lstrip().upper().startswith("BEGIN")]
    assert kinds == [
        ("SELECT", "api_tokens"),           # who asks
        ("SELECT", "audits"),               # the audit, locked (with its dealer and checklist version)
        ("SELECT", "idempotency_records"),  # a retry of an earlier submit?
        ("SELECT", "audit_events"),         # first submission (the late-submission flag)
        ("SELECT", "answers"),              # the long comment in other audits
        ("SELECT", "(SELECT"),              # the visits just before and after (the travel flag), one UNION
        ("DELETE", "answers"),
        ("INSERT", "answers"),              # all 60 in one executemany
        ("DELETE", "audit_flags"),          # no flag: nothing inserted
        ("UPDATE", "audits"),
        ("INSERT", "audit_events"),
        ("INSERT", "idempotency_records"),
    ]


def test_the_submit_response_shows_the_answers_as_stored(client, headers, sixty_item_audit):
    audit = sixty_item_audit
    r = client.post(f"/api/v1/audits/{audit.id}/submit", json={"answers": sixty_answers(), "visit": visit_proof()},
                    headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 200, r.json
    assert r.json["answers"] == stored_form()
    read = client.get(f"/api/v1/audits/{audit.id}", headers=headers)
    assert read.status_code == 200
    assert read.json["answers"] == r.json["answers"]
    assert read.json["etag"] == r.json["etag"] == r.headers["ETag"]
