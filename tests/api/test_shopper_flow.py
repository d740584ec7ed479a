"""The shopper flow over HTTP: drafts with ETags, submit with Idempotency-Key, returned audits, sync, access."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fixtures.files import jpeg_bytes, sha256_of, upload
from sqlalchemy import func, select

from auditapp.models import Answer, Audit, AuditEvent, IdempotencyRecord


def now() -> datetime:
    return datetime.now(timezone.utc)


def visit(**changes: Any) -> dict[str, Any]:
    """A plausible visit: 30 minutes, ended 5 minutes ago, checked in at the factory dealer's location."""
    ended = now() - timedelta(minutes=5)
    proof = {"started_at": (ended - timedelta(minutes=30)).isoformat(), "ended_at": ended.isoformat(),
             "checkin": {"latitude": 31.2304, "longitude": 121.4737, "accuracy_m": 8.0},
             "device_time": now().isoformat()}
    proof.update(changes)
    return proof


def complete_answers(quote_sha: str, **changes: Any) -> dict[str, Any]:
    answers = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 25},
               "written_quote": {"value": "yes", "attachments": [quote_sha]}, "pressure": {"value": 4}}
    answers.update(changes)
    return answers


@pytest.fixture
def quote(client, headers, audit) -> str:
    """A photo of the written quote, uploaded to the audit."""
    data = jpeg_bytes()
    assert upload(client, headers, audit.id, data).status_code == 201
    return sha256_of(data)


def etag(client, headers, audit) -> str:
    return client.get(f"/api/v1/audits/{audit.id}", headers=headers).json["etag"]


def put_answers(client, headers, audit, answers, if_match: str | None):
    extra = {"If-Match": if_match} if if_match is not None else {}
    return client.put(f"/api/v1/audits/{audit.id}/answers", headers={**headers, **extra}, json={"answers": answers})


def submit(client, headers, audit, body, key: str | None = None):
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.post(f"/api/v1/audits/{audit.id}/submit", headers={**headers, **extra}, json=body)


def reload(db_session, audit) -> Audit:
    db_session.expire_all()
    return db_session.get(Audit, audit.id)


def stored_answers(db_session, audit) -> dict[str, dict[str, Any]]:
    db_session.expire_all()
    return {a.item_key: a.to_json() for a in db_session.scalars(select(Answer).where(Answer.audit_id == audit.id))}


def events(db_session, audit, kind: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.audit_id == audit.id)
    if kind:
        query = query.where(AuditEvent.kind == kind)
    return list(db_session.scalars(query.order_by(AuditEvent.id)))


def idempotency_records(db_session, audit) -> int:
    return db_session.scalar(select(func.count()).select_from(IdempotencyRecord)
                             .where(IdempotencyRecord.audit_id == audit.id))


# --- drafts -------------------------------------------------------------------------------------------

def test_draft_save_returns_the_audit_with_a_new_etag(client, headers, audit, db_session):
    first = etag(client, headers, audit)
    answers = {"greeted": {"value": "yes", "comment": "at the door"}, "pressure": {"na": True}}
    r = put_answers(client, headers, audit, answers, first)
    assert r.status_code == 200, r.json
    assert r.json["answers"] == answers
    assert r.json["status"] == "in_progress"
    assert r.headers["ETag"] == r.json["etag"] != first
    assert etag(client, headers, audit) == r.headers["ETag"]
    assert stored_answers(db_session, audit) == answers


def test_a_draft_replaces_all_answers_and_the_new_etag_allows_the_next_save(client, headers, audit, db_session):
    r = put_answers(client, headers, audit, {"greeted": {"value": "yes"}, "pressure": {"value": 2}},
                    etag(client, headers, audit))
    r = put_answers(client, headers, audit, {"greeted": {"value": "no"}}, r.headers["ETag"])
    assert r.status_code == 200, r.json
    assert stored_answers(db_session, audit) == {"greeted": {"value": "no"}}
    # Only the first save is a change of state.
    started = events(db_session, audit, "started")
    assert [(e.before, e.after) for e in started] == [({"status": "assigned"}, {"status": "in_progress"})]


def test_a_stale_etag_is_412_and_changes_nothing(client, headers, audit, db_session):
    stale = etag(client, headers, audit)
    current = put_answers(client, headers, audit, {"greeted": {"value": "yes"}}, stale).headers["ETag"]
    r = put_answers(client, headers, audit, {"greeted": {"value": "no"}, "pressure": {"value": 1}}, stale)
    assert r.status_code == 412
    assert r.json["code"] == 412 and "stale" in r.json["message"]
    assert stored_answers(db_session, audit) == {"greeted": {"value": "yes"}}
    assert etag(client, headers, audit) == current


@pytest.mark.parametrize("if_match", [None, "", "*"])
def test_a_draft_without_a_usable_if_match_is_428(client, headers, audit, db_session, if_match):
    r = put_answers(client, headers, audit, {"greeted": {"value": "yes"}}, if_match)
    assert r.status_code == 428
    assert "If-Match" in r.json["message"]
    assert stored_answers(db_session, audit) == {}
    assert reload(db_session, audit).status == "assigned"


@pytest.mark.parametrize("answers, item, problem", [
    ({"greeted": {"value": 1}}, "greeted", "yes"),                          # wrong type
    ({"greet_seconds": {"value": "fast"}}, "greet_seconds", "number"),      # wrong type
    ({"pressure": {"value": 6}}, "pressure", "1 to 5"),                     # out of range
    ({"pressure": {"value": 0}}, "pressure", "1 to 5"),                     # out of range
    ({"greeted": {"na": True}}, "greeted", "N/A"),                          # N/A where not allowed
    ({"coffee": {"value": "yes"}}, "coffee", "unknown item"),               # unknown item
    ({"greeted": {"value": "yes", "note": "x"}}, "greeted", "unknown field"),
    ({"greeted": "yes"}, "greeted", "object"),
    ({"greet_seconds": [25]}, "greet_seconds", "object"),
    ({"pressure": 3}, "pressure", "object"),
])
def test_invalid_answers_are_422_per_item_and_nothing_is_stored(client, headers, audit, db_session, answers,
                                                                 item, problem):
    before = etag(client, headers, audit)
    r = put_answers(client, headers, audit, {"pressure": {"value": 3}, **answers}, before)
    assert r.status_code == 422
    assert r.json["status"] == "Unprocessable Entity"
    assert list(r.json["errors"]["answers"]) == [item]
    assert any(problem in message for message in r.json["errors"]["answers"][item])
    assert stored_answers(db_session, audit) == {}
    assert etag(client, headers, audit) == before


def test_a_draft_may_cite_only_attachments_uploaded_to_this_audit(client, headers, audit, make_audit, shopper,
                                                                   db_session):
    other = make_audit(shopper=shopper)
    data = jpeg_bytes()
    assert upload(client, headers, other.id, data).status_code == 201
    r = put_answers(client, headers, audit, {"card_photo": {"attachments": [sha256_of(data)]}},
                    etag(client, headers, audit))
    assert r.status_code == 422
    assert "not uploaded" in r.json["errors"]["answers"]["card_photo"][0]
    assert upload(client, headers, audit.id, data).status_code == 201
    r = put_answers(client, headers, audit, {"card_photo": {"attachments": [sha256_of(data)]}},
                    etag(client, headers, audit))
    assert r.status_code == 200, r.json


def test_a_draft_after_submit_is_409(client, headers, audit, quote, db_session):
    assert submit(client, headers, audit, {"answers": complete_answers(quote), "visit": visit()},
                  str(uuid.uuid4())).status_code == 200
    r = put_answers(client, headers, audit, {"greeted": {"value": "no"}}, etag(client, headers, audit))
    assert r.status_code == 409
    assert "already submitted" in r.json["message"]
    assert stored_answers(db_session, audit)["greeted"] == {"value": "yes"}


def test_a_returned_audit_takes_drafts_and_stays_returned(client, headers, make_audit, shopper, db_session):
    returned = make_audit(shopper=shopper, status="returned", review_notes="photo of the quote is blurred")
    r = put_answers(client, headers, returned, {"greeted": {"value": "yes"}}, etag(client, headers, returned))
    assert r.status_code == 200, r.json
    assert r.json["status"] == "returned"


# --- submit -------------------------------------------------------------------------------------------

def test_submit_stores_answers_visit_proof_and_the_server_receive_time(client, headers, audit, quote, db_session):
    proof = visit(device_time="2026-08-03T10:00:00+08:00")
    answers = complete_answers(quote, pressure={"na": True, "comment": "no salesperson pushed"})
    before = now()
    r = submit(client, headers, audit, {"answers": answers, "visit": proof}, str(uuid.uuid4()))
    after = now()
    assert r.status_code == 200, r.json
    assert r.json["status"] == "submitted" and r.json["answers"] == answers
    assert r.headers["ETag"] == r.json["etag"]
    stored = reload(db_session, audit)
    assert stored.status == "submitted"
    assert before <= stored.submitted_at <= after
    assert stored.visit_started_at == datetime.fromisoformat(proof["started_at"])
    assert stored.visit_ended_at == datetime.fromisoformat(proof["ended_at"])
    assert (stored.checkin_latitude, stored.checkin_longitude, stored.checkin_accuracy_m) == (31.2304, 121.4737, 8.0)
    assert stored.device_time_at_submit == datetime(2026, 8, 3, 2, 0, tzinfo=timezone.utc)
    assert stored_answers(db_session, audit) == answers
    [event] = events(db_session, audit, "submitted")
    assert (event.before, event.after["status"]) == ({"status": "assigned"}, "submitted")


def test_a_retry_with_the_same_key_and_body_returns_the_original_response(client, headers, audit, quote,
                                                                          db_session):
    key, body = str(uuid.uuid4()), {"answers": complete_answers(quote), "visit": visit()}
    first = submit(client, headers, audit, body, key)
    assert first.status_code == 200, first.json
    again = submit(client, headers, audit, body, key.upper())  # the same UUID, written differently
    assert again.status_code == 200
    assert again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert idempotency_records(db_session, audit) == 1
    assert len(events(db_session, audit, "submitted")) == 1


def test_the_same_key_with_a_different_body_is_409(client, headers, audit, quote, db_session):
    key, body = str(uuid.uuid4()), {"answers": complete_answers(quote), "visit": visit()}
    assert submit(client, headers, audit, body, key).status_code == 200
    changed = {**body, "answers": complete_answers(quote, pressure={"value": 1})}
    r = submit(client, headers, audit, changed, key)
    assert r.status_code == 409
    assert "Idempotency-Key" in r.json["message"]
    assert stored_answers(db_session, audit)["pressure"] == {"value": 4}
    assert idempotency_records(db_session, audit) == 1


def test_a_new_key_for_a_submitted_audit_is_409_already_submitted(client, headers, audit, quote, db_session):
    body = {"answers": complete_answers(quote), "visit": visit()}
    assert submit(client, headers, audit, body, str(uuid.uuid4())).status_code == 200
    r = submit(client, headers, audit, body, str(uuid.uuid4()))
    assert r.status_code == 409
    assert "already submitted" in r.json["message"]
    assert len(events(db_session, audit, "submitted")) == 1


@pytest.mark.parametrize("key, status", [(None, 428), ("", 428), ("not-a-uuid", 400), ("1234", 400)])
def test_submit_needs_a_uuid_idempotency_key(client, headers, audit, quote, db_session, key, status):
    r = submit(client, headers, audit, {"answers": complete_answers(quote), "visit": visit()}, key)
    assert r.status_code == status
    assert "Idempotency-Key" in r.json["message"]
    assert reload(db_session, audit).status == "assigned"


def test_a_missing_required_item_is_422_and_nothing_is_stored(client, headers, audit, quote, db_session):
    answers = complete_answers(quote)
    del answers["pressure"]
    r = submit(client, headers, audit, {"answers": answers, "visit": visit()}, str(uuid.uuid4()))
    assert r.status_code == 422
    assert r.json["errors"]["answers"] == {"pressure": ["required: answer it or mark it N/A"]}
    stored = reload(db_session, audit)
    assert (stored.status, stored.submitted_at, stored.visit_started_at) == ("assigned", None, None)
    assert stored_answers(db_session, audit) == {}
    assert idempotency_records(db_session, audit) == 0
    assert events(db_session, audit, "submitted") == []


def test_missing_required_evidence_is_422_and_nothing_is_stored(client, headers, audit, quote, db_session):
    answers = complete_answers(quote, written_quote={"value": "yes"})
    r = submit(client, headers, audit, {"answers": answers, "visit": visit()}, str(uuid.uuid4()))
    assert r.status_code == 422
    assert list(r.json["errors"]["answers"]) == ["written_quote"]
    assert "evidence" in r.json["errors"]["answers"]["written_quote"][0]
    assert reload(db_session, audit).status == "assigned"
    assert idempotency_records(db_session, audit) == 0


def test_evidence_not_uploaded_to_the_audit_is_422(client, headers, audit, db_session):
    answers = complete_answers(sha256_of(b"never uploaded"))
    r = submit(client, headers, audit, {"answers": answers, "visit": visit()}, str(uuid.uuid4()))
    assert r.status_code == 422
    assert "not uploaded" in r.json["errors"]["answers"]["written_quote"][0]


# An answer that is not an object once crashed the visibility rule of a submit when it answered an item
# that controls another's show_if ("greeted" controls "greet_seconds"): a 500 instead of a 422.
@pytest.mark.parametrize("bad", ["yes", ["yes"], 1, True])
@pytest.mark.parametrize("item", ["greeted", "pressure"])
def test_an_answer_that_is_not_an_object_is_422_on_submit_naming_the_item(client, headers, audit, quote, db_session,
                                                                          item, bad):
    answers = complete_answers(quote, **{item: bad})
    r = submit(client, headers, audit, {"answers": answers, "visit": visit()}, str(uuid.uuid4()))
    assert r.status_code == 422, r.json
    assert set(r.json) == {"code", "status", "error", "message", "errors"}
    assert list(r.json["errors"]["answers"]) == [item]
    assert "object" in r.json["errors"]["answers"][item][0]
    assert reload(db_session, audit).status == "assigned"
    assert stored_answers(db_session, audit) == {}
    assert idempotency_records(db_session, audit) == 0


def test_a_hidden_item_is_not_required(client, headers, audit, quote, db_session):
    answers = complete_answers(quote, greeted={"value": "no"})
    del answers["greet_seconds"]  # shown only when greeted = yes
    r = submit(client, headers, audit, {"answers": answers, "visit": visit()}, str(uuid.uuid4()))
    assert r.status_code == 200, r.json


def test_a_key_that_failed_validation_can_be_used_again_with_the_fixed_body(client, headers, audit, quote):
    key = str(uuid.uuid4())
    answers = complete_answers(quote)
    del answers["greeted"]
    assert submit(client, headers, audit, {"answers": answers, "visit": visit()}, key).status_code == 422
    r = submit(client, headers, audit, {"answers": complete_answers(quote), "visit": visit()}, key)
    assert r.status_code == 200, r.json


def test_a_visit_ending_before_it_starts_is_422(client, headers, audit, quote):
    proof = visit(started_at=now().isoformat(), ended_at=(now() - timedelta(hours=1)).isoformat())
    r = submit(client, headers, audit, {"answers": complete_answers(quote), "visit": proof}, str(uuid.uuid4()))
    assert r.status_code == 422
    assert "ended_at" in r.json["errors"]["json"]["visit"]


def test_a_returned_audit_is_edited_and_resubmitted_with_its_history_kept(client, headers, make_audit, shopper,
                                                                         db_session):
    returned = make_audit(shopper=shopper)
    data = jpeg_bytes()
    assert upload(client, headers, returned.id, data).status_code == 201
    body = {"answers": complete_answers(sha256_of(data)), "visit": visit()}
    first = submit(client, headers, returned, body, str(uuid.uuid4()))
    assert first.status_code == 200
    stored = reload(db_session, returned)
    stored.status, stored.review_notes = "returned", "the quote photo is blurred"  # as QA returns it
    db_session.commit()  # as a request would: a later failing request rolls back only its own work
    sharper = jpeg_bytes()
    assert upload(client, headers, returned.id, sharper).status_code == 201
    r = put_answers(client, headers, returned, complete_answers(sha256_of(sharper)), etag(client, headers, returned))
    assert r.status_code == 200 and r.json["status"] == "returned"
    again = submit(client, headers, returned, {"answers": complete_answers(sha256_of(sharper)), "visit": visit()},
                   str(uuid.uuid4()))
    assert again.status_code == 200, again.json
    assert again.json["status"] == "submitted"
    assert stored_answers(db_session, returned)["written_quote"]["attachments"] == [sha256_of(sharper)]
    history = [(e.before["status"], e.after["status"]) for e in events(db_session, returned, "submitted")]
    assert history == [("assigned", "submitted"), ("returned", "submitted")]
    assert idempotency_records(db_session, returned) == 2


# --- sync ---------------------------------------------------------------------------------------------

def test_sync_keeps_the_good_entries_and_reports_the_bad_one(client, headers, make_audit, shopper, db_session):
    drafted, bad, good = make_audit(shopper=shopper), make_audit(shopper=shopper), make_audit(shopper=shopper)
    photos = {}
    for target in (bad, good):
        photos[target.id] = jpeg_bytes()
        assert upload(client, headers, target.id, photos[target.id]).status_code == 201
    incomplete = complete_answers(sha256_of(photos[bad.id]))
    del incomplete["written_quote"]
    good_answers = complete_answers(sha256_of(photos[good.id]))
    r = client.post("/api/v1/sync", headers=headers, json={"audits": [
        {"audit_id": str(drafted.id), "action": "draft", "answers": {"greeted": {"value": "yes"}},
         "if_match": etag(client, headers, drafted)},
        {"audit_id": str(bad.id), "action": "submit", "answers": incomplete, "visit": visit(),
         "idempotency_key": str(uuid.uuid4())},
        {"audit_id": str(good.id), "action": "submit", "answers": good_answers, "visit": visit(),
         "idempotency_key": str(uuid.uuid4())},
    ]})
    assert r.status_code == 200, r.json
    results = r.json["results"]
    assert [(x["audit_id"], x["status"]) for x in results] == [
        (str(drafted.id), 200), (str(bad.id), 422), (str(good.id), 200)]
    assert results[0]["body"]["answers"] == {"greeted": {"value": "yes"}}
    assert results[0]["etag"] == etag(client, headers, drafted)
    assert results[1]["body"]["code"] == 422
    assert results[1]["body"]["errors"]["answers"] == {"written_quote": ["required"]}
    assert "etag" not in results[1]
    assert results[2]["body"]["status"] == "submitted"
    assert stored_answers(db_session, drafted) == {"greeted": {"value": "yes"}}
    assert reload(db_session, drafted).status == "in_progress"
    assert stored_answers(db_session, bad) == {} and reload(db_session, bad).status == "assigned"
    assert stored_answers(db_session, good) == good_answers and reload(db_session, good).status == "submitted"


def test_sync_refuses_an_answer_that_is_not_an_object_in_its_entry_only(client, headers, make_audit, shopper,
                                                                        db_session):
    bare, good = make_audit(shopper=shopper), make_audit(shopper=shopper)
    photo = jpeg_bytes()
    for target in (bare, good):
        assert upload(client, headers, target.id, photo).status_code == 201
    good_answers = complete_answers(sha256_of(photo))
    r = client.post("/api/v1/sync", headers=headers, json={"audits": [
        {"audit_id": str(bare.id), "action": "submit", "answers": {**good_answers, "greeted": "yes"},
         "visit": visit(), "idempotency_key": str(uuid.uuid4())},
        {"audit_id": str(bare.id), "action": "draft", "answers": {"greeted": ["yes"]},
         "if_match": etag(client, headers, bare)},
        {"audit_id": str(good.id), "action": "submit", "answers": good_answers, "visit": visit(),
         "idempotency_key": str(uuid.uuid4())},
    ]})
    assert r.status_code == 200, r.json
    results = r.json["results"]
    assert [x["status"] for x in results] == [422, 422, 200]
    for result in results[:2]:
        assert list(result["body"]["errors"]["answers"]) == ["greeted"]
        assert "object" in result["body"]["errors"]["answers"]["greeted"][0]
    assert stored_answers(db_session, bare) == {} and reload(db_session, bare).status == "assigned"
    assert reload(db_session, good).status == "submitted"


def test_sync_answers_each_entry_as_its_single_request_would(client, headers, audit, make_audit, shopper,
                                                             make_user, quote, db_session):
    others_audit = make_audit(shopper=make_user("shopper"))
    key, body = str(uuid.uuid4()), {"answers": complete_answers(quote), "visit": visit()}
    single = submit(client, headers, audit, body, key)
    assert single.status_code == 200
    drafted = make_audit(shopper=shopper)
    r = client.post("/api/v1/sync", headers=headers, json={"audits": [
        {"audit_id": str(audit.id), "action": "submit", "idempotency_key": key, **body},      # a retry
        {"audit_id": str(drafted.id), "action": "draft", "answers": {"greeted": {"value": "no"}}},
        {"audit_id": str(drafted.id), "action": "draft", "answers": {}, "if_match": '"stale-0"'},
        {"audit_id": str(others_audit.id), "action": "draft", "answers": {},
         "if_match": etag(client, headers, drafted)},
        {"audit_id": str(drafted.id), "action": "submit", "answers": {}, "idempotency_key": str(uuid.uuid4())},
        {"audit_id": str(drafted.id), "action": "submit", "answers": {}, "visit": visit()},
        {"audit_id": "not-a-uuid", "action": "draft", "answers": {}},
        {"audit_id": str(drafted.id), "action": "erase", "answers": {}},
    ]})
    assert r.status_code == 200, r.json
    results = r.json["results"]
    assert [x["status"] for x in results] == [200, 428, 412, 404, 422, 428, 422, 422]
    assert results[0]["body"] == single.json
    assert results[4]["body"]["errors"] == {"json": {"visit": ["Missing data for required field."]}}
    assert results[6]["audit_id"] is None and "audit_id" in results[6]["body"]["errors"]["json"]
    assert "action" in results[7]["body"]["errors"]["json"]
    assert all(set(x["body"]) == {"code", "status", "error", "message", "errors"} for x in results[1:])
    assert idempotency_records(db_session, audit) == 1
    assert reload(db_session, drafted).status == "assigned"


def test_sync_entries_for_the_same_audit_run_in_order(client, headers, audit, quote, db_session):
    r = client.post("/api/v1/sync", headers=headers, json={"audits": [
        {"audit_id": str(audit.id), "action": "draft", "answers": {"greeted": {"value": "no"}},
         "if_match": etag(client, headers, audit)},
        {"audit_id": str(audit.id), "action": "submit", "answers": complete_answers(quote), "visit": visit(),
         "idempotency_key": str(uuid.uuid4())},
    ]})
    assert [x["status"] for x in r.json["results"]] == [200, 200]
    assert reload(db_session, audit).status == "submitted"
    assert r.json["results"][1]["etag"] == etag(client, headers, audit)


def test_two_drafts_of_the_same_audit_in_one_sync_answer_each_with_its_own_answers(client, headers, audit):
    first, second = {"greeted": {"value": "no"}}, {"greeted": {"value": "yes"}, "pressure": {"value": 2}}
    r = client.post("/api/v1/sync", headers=headers, json={"audits": [
        {"audit_id": str(audit.id), "action": "draft", "answers": first, "if_match": etag(client, headers, audit)},
        {"audit_id": str(audit.id), "action": "draft", "answers": second, "if_match": f'"{audit.id.hex}-1"'},
    ]})
    assert [x["status"] for x in r.json["results"]] == [200, 200], r.json
    assert [x["body"]["answers"] for x in r.json["results"]] == [first, second]
    assert client.get(f"/api/v1/audits/{audit.id}", headers=headers).json["answers"] == second


def test_sync_rolls_back_an_entry_that_fails_after_writing_and_keeps_the_others(make_audit, shopper, db_session):
    from auditapp.errors import Conflict
    from auditapp.services.flags import FlagLimits
    from auditapp.services.shopper import ShopperRequest, SyncEntry, View, sync

    kept, failed = make_audit(shopper=shopper), make_audit(shopper=shopper)

    def body(audit: Audit, _answers: Any) -> dict[str, Any]:
        if audit.id == failed.id:
            raise Conflict("request.concurrent_change")
        return {"id": str(audit.id)}

    request = ShopperRequest(user=shopper, received_at=now(), limits=FlagLimits(50, 24, 10),
                             view=View(body=body, etag=lambda audit: f'"{audit.revision}"'))
    results = sync(db_session, request, [
        SyncEntry(failed.id, "draft", {"greeted": {"value": "no"}}, if_match='"0"'),
        SyncEntry(kept.id, "draft", {"greeted": {"value": "yes"}}, if_match='"0"'),
    ])
    assert [(r.status, r.etag) for r in results] == [(409, None), (200, '"1"')]
    assert stored_answers(db_session, failed) == {}
    assert (reload(db_session, failed).status, reload(db_session, failed).revision) == ("assigned", 0)
    assert events(db_session, failed) == []
    assert stored_answers(db_session, kept) == {"greeted": {"value": "yes"}}


def test_sync_refuses_an_empty_or_oversized_batch(client, headers, audit):
    assert client.post("/api/v1/sync", headers=headers, json={"audits": []}).status_code == 422
    entry = {"audit_id": str(audit.id), "action": "draft", "answers": {}}
    assert client.post("/api/v1/sync", headers=headers, json={"audits": [entry] * 51}).status_code == 422


# --- who may ------------------------------------------------------------------------------------------

def _calls(audit, quote: str):
    body = {"answers": complete_answers(quote), "visit": visit()}
    return [
        ("put", f"/api/v1/audits/{audit.id}/answers", {"json": {"answers": {}}, "headers": {"If-Match": "x"}}),
        ("post", f"/api/v1/audits/{audit.id}/submit", {"json": body,
                                                       "headers": {"Idempotency-Key": str(uuid.uuid4())}}),
    ]


def test_another_shopper_gets_404(client, audit, quote, make_user, auth_for, db_session):
    other = auth_for(make_user("shopper"))
    for method, path, kwargs in _calls(audit, quote):
        r = getattr(client, method)(path, headers={**other, **kwargs.pop("headers")}, **kwargs)
        assert r.status_code == 404, (path, r.json)
    r = client.post("/api/v1/sync", headers=other, json={"audits": [
        {"audit_id": str(audit.id), "action": "draft", "answers": {}, "if_match": "x"}]})
    assert r.json["results"][0]["status"] == 404
    assert reload(db_session, audit).status == "assigned"


@pytest.mark.parametrize("role", ["dealer", "manager", "qa", "admin"])
def test_other_roles_get_403(client, audit, quote, make_user, auth_for, db_session, role):
    dealer = db_session.get(Audit, audit.id).dealer
    user = make_user(role, dealer=dealer if role == "dealer" else None,
                     regions=[dealer.region] if role == "manager" else [])
    audit.status = "published"  # even a published audit of their own dealer or region
    db_session.commit()  # as a request would: a later failing request rolls back only its own work
    auth = auth_for(user)
    for method, path, kwargs in _calls(audit, quote):
        r = getattr(client, method)(path, headers={**auth, **kwargs.pop("headers")}, **kwargs)
        assert r.status_code == 403, (path, r.json)
    r = client.post("/api/v1/sync", headers=auth, json={"audits": [
        {"audit_id": str(audit.id), "action": "draft", "answers": {}, "if_match": "x"}]})
    assert r.status_code == 403
