"""QA returns an audit with notes on single items: checked against the checklist, stored, recorded in the
history, shown to the shopper (never to the dealer), kept through the resubmission, replaced at the next
return."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from fixtures.files import jpeg_bytes, sha256_of, upload
from sqlalchemy import select

from auditapp.models import Audit, AuditEvent


@pytest.fixture
def qa(make_user, auth_for):
    return auth_for(make_user("qa"))


@pytest.fixture
def submitted(client, headers, make_audit, shopper):
    """An audit the shopper submitted through the API (so that a resubmission is real too)."""
    today = datetime.now(timezone.utc).date()
    audit = make_audit(shopper=shopper, visit_window_start=today - timedelta(days=3),
                       visit_window_end=today + timedelta(days=3))
    assert submit(client, headers, audit).status_code == 200
    return audit


def submit(client, headers, audit):
    photo = jpeg_bytes()
    upload(client, headers, audit.id, photo)
    ended = datetime.now(timezone.utc) - timedelta(minutes=5)
    answers = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 20},
               "written_quote": {"value": "yes", "attachments": [sha256_of(photo)]}, "pressure": {"value": 4}}
    visit = {"started_at": (ended - timedelta(minutes=30)).isoformat(), "ended_at": ended.isoformat(),
             "checkin": {"latitude": 31.2304, "longitude": 121.4737, "accuracy_m": 5},
             "device_time": datetime.now(timezone.utc).isoformat()}
    return client.post(f"/api/v1/audits/{audit.id}/submit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                       json={"answers": answers, "visit": visit})


def give_back(client, qa, audit, **body):
    return client.post(f"/api/v1/audits/{audit.id}/return", headers=qa, json={"notes": "see the items", **body})


def returned_events(db_session, audit) -> list[AuditEvent]:
    db_session.expire_all()
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.audit_id == audit.id,
                                                            AuditEvent.kind == "returned").order_by(AuditEvent.id)))


def test_item_notes_are_stored_in_checklist_order_and_recorded_in_the_returned_event(client, qa, submitted,
                                                                                    db_session):
    # Given out of the checklist's order: pressure is in the second section, greeted in the first.
    notes = {"pressure": "说明施压的具体表现 / describe the pressure", "greeted": "Who greeted you, and when?"}
    r = give_back(client, qa, submitted, item_notes=notes)
    assert r.status_code == 200, r.json
    assert list(r.json["review_item_notes"].items()) == [("greeted", notes["greeted"]),
                                                          ("pressure", notes["pressure"])]
    (event,) = returned_events(db_session, submitted)
    assert event.after["item_notes"] == {"greeted": notes["greeted"], "pressure": notes["pressure"]}
    assert event.after["review_notes"] == "see the items" and event.before["item_notes"] is None


def test_the_shopper_sees_the_notes_in_the_audit_and_in_the_assignment_list(client, headers, qa, submitted):
    give_back(client, qa, submitted, item_notes={"written_quote": "The quote photo is blurred."})
    one = client.get(f"/api/v1/audits/{submitted.id}", headers=headers).json
    assert one["status"] == "returned" and one["review_item_notes"] == {"written_quote": "The quote photo is blurred."}
    (listed,) = client.get("/api/v1/audits", headers=headers).json["items"]
    assert listed["review_item_notes"] == {"written_quote": "The quote photo is blurred."}


def test_a_return_without_item_notes_shows_none(client, headers, qa, submitted):
    assert give_back(client, qa, submitted).status_code == 200
    assert client.get(f"/api/v1/audits/{submitted.id}", headers=headers).json["review_item_notes"] == {}


def test_a_note_on_an_item_outside_the_checklist_is_422_naming_it_and_changes_nothing(client, qa, submitted,
                                                                                    db_session):
    r = give_back(client, qa, submitted, item_notes={"greeted": "fine", "test_drive_offered": "not in mini"})
    assert r.status_code == 422
    assert r.json["error"] == "review.item_notes_unknown_items"
    assert list(r.json["errors"]["item_notes"]) == ["test_drive_offered"]
    assert "test_drive_offered" in r.json["message"]
    db_session.expire_all()
    stored = db_session.get(Audit, submitted.id)
    assert stored.status == "submitted" and stored.review_item_notes is None and stored.review_notes is None
    assert returned_events(db_session, submitted) == []


@pytest.mark.parametrize("notes, field", [
    ({"greeted": ""}, "greeted"),                       # an empty note says nothing
    ({"greeted": "a\x00b"}, "greeted"),                 # the Text rule: no NUL
    ({"greeted": "x" * 4001}, "greeted"),               # at most 4000 characters, as the overall note
    ({"greeted": 5}, "greeted"),                        # a note is text
])
def test_item_note_texts_follow_the_text_rules(client, qa, submitted, notes, field, db_session):
    r = give_back(client, qa, submitted, item_notes=notes)
    assert r.status_code == 422, r.json
    assert field in r.json["errors"]["json"]["item_notes"]
    db_session.expire_all()
    assert db_session.get(Audit, submitted.id).status == "submitted"


def test_item_notes_must_be_an_object(client, qa, submitted):
    r = give_back(client, qa, submitted, item_notes=["greeted"])
    assert r.status_code == 422 and "item_notes" in r.json["errors"]["json"]


def test_the_notes_stay_through_the_resubmission_and_the_next_return_replaces_them(client, headers, qa,
                                                                                  submitted, db_session):
    give_back(client, qa, submitted, item_notes={"greeted": "Who greeted you?", "pressure": "Explain"})
    again = submit(client, headers, submitted)
    assert again.status_code == 200 and again.json["status"] == "submitted"
    # QA re-reviewing sees what it asked at each item.
    assert client.get(f"/api/v1/audits/{submitted.id}", headers=qa).json["review_item_notes"] == {
        "greeted": "Who greeted you?", "pressure": "Explain"}
    r = give_back(client, qa, submitted, item_notes={"written_quote": "Still blurred"})
    assert r.json["review_item_notes"] == {"written_quote": "Still blurred"}
    first, second = returned_events(db_session, submitted)
    assert second.before["item_notes"] == {"greeted": "Who greeted you?", "pressure": "Explain"}
    assert second.after["item_notes"] == {"written_quote": "Still blurred"}
    assert give_back(client, qa, submit_and(client, headers, submitted)).json["review_item_notes"] == {}


def submit_and(client, headers, audit):
    assert submit(client, headers, audit).status_code == 200
    return audit


def test_a_dealer_never_sees_item_notes(client, qa, submitted, make_user, auth_for, db_session):
    give_back(client, qa, submitted, item_notes={"greeted": "Who greeted you?"})
    db_session.expire_all()
    stored = db_session.get(Audit, submitted.id)
    stored.status, stored.published_at = "published", datetime.now(timezone.utc)  # as if approved later
    db_session.commit()
    dealer = auth_for(make_user("dealer", dealer=stored.dealer))
    body = client.get(f"/api/v1/audits/{submitted.id}", headers=dealer).json
    assert "review_item_notes" not in body and "Who greeted you?" not in str(body)


def test_item_notes_are_documented_on_the_return_and_the_audit(client):
    spec = client.get("/api/openapi.json").json
    assert "item_notes" in spec["components"]["schemas"]["Return"]["properties"]
    assert "review_item_notes" in spec["components"]["schemas"]["Audit"]["properties"]
