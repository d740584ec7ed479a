"""The input rules of auditapp.limits, held at the API (issue 8, defects 1, 3, 4, 9): text without NUL or
unpaired surrogates, integers and dates within the columns' range, finite bounded numbers in answers, codes
that can name a file; a bad /sync entry refused alone. Each refusal is a 4xx in the standard body and
changes nothing; nothing stored can make a later GET fail."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from marshmallow import RAISE, Schema, fields
from sqlalchemy import select

from auditapp.api import fields as api_fields
from auditapp.api import schemas
from auditapp.models import Answer, Audit, Dealer, Region, Wave

STANDARD_KEYS = {"code", "status", "error", "message", "errors"}
LONE_SURROGATE = "\ud800"
HUGE = int("9" * 400)


def post_raw(client, path: str, headers: dict[str, str], payload: Any, method: str = "post"):
    """JSON as a client library writes it: a lone surrogate goes out as the escape \\ud800, which the
    server's parser turns back into an unpaired surrogate."""
    return getattr(client, method)(path, headers=headers, data=json.dumps(payload),
                                   content_type="application/json")


def visit() -> dict[str, Any]:
    ended = datetime.now(timezone.utc) - timedelta(minutes=5)
    return {"started_at": (ended - timedelta(minutes=30)).isoformat(), "ended_at": ended.isoformat(),
            "checkin": {"latitude": 31.2304, "longitude": 121.4737, "accuracy_m": 8.0},
            "device_time": datetime.now(timezone.utc).isoformat()}


def stored(db_session, audit) -> dict[str, Any]:
    db_session.expire_all()
    return {a.item_key: a.value for a in db_session.scalars(select(Answer).where(Answer.audit_id == audit.id))}


def status_of(db_session, audit) -> str:
    db_session.expire_all()
    return db_session.get(Audit, audit.id).status


def etag(client, headers, audit) -> str:
    return client.get(f"/api/v1/audits/{audit.id}", headers=headers).json["etag"]


@pytest.fixture
def admin(make_user, auth_for):
    return auth_for(make_user("admin"))


# --- defect 1: /sync isolated per entry -------------------------------------------------------------

BAD_DRAFT_ANSWERS = {
    "a 400-digit number": {"greet_seconds": {"value": HUGE}},
    "a NUL character": {"greeted": {"value": "yes", "comment": "tea\x00"}},
    "a lone surrogate": {"greeted": {"value": LONE_SURROGATE}},
    "a lone surrogate in a key": {LONE_SURROGATE: {"value": "yes"}},
}


@pytest.mark.parametrize("kind", sorted(BAD_DRAFT_ANSWERS))
def test_a_bad_sync_entry_is_refused_alone_and_the_entries_beside_it_are_kept(
        client, headers, make_audit, shopper, db_session, kind):
    before, bad, after = (make_audit(shopper=shopper) for _ in range(3))
    good = {"greeted": {"value": "no", "comment": "nobody came"}}
    r = post_raw(client, "/api/v1/sync", headers, {"audits": [
        {"audit_id": str(before.id), "action": "draft", "answers": good, "if_match": etag(client, headers, before)},
        {"audit_id": str(bad.id), "action": "draft", "answers": BAD_DRAFT_ANSWERS[kind],
         "if_match": etag(client, headers, bad)},
        {"audit_id": str(after.id), "action": "draft", "answers": good, "if_match": etag(client, headers, after)},
    ]})
    assert r.status_code == 200, r.get_data()
    results = r.json["results"]
    assert [x["status"] for x in results] == [200, 422, 200]
    assert set(results[1]["body"]) == STANDARD_KEYS and "answers" in results[1]["body"]["errors"]["json"]
    assert stored(db_session, before) == stored(db_session, after) == {"greeted": "no"}
    assert stored(db_session, bad) == {} and status_of(db_session, bad) == "assigned"
    for audit in (before, bad, after):
        assert client.get(f"/api/v1/audits/{audit.id}", headers=headers).status_code == 200


def test_a_bad_submit_in_a_batch_does_not_change_the_good_submit_beside_it(
        client, headers, make_audit, shopper, db_session):
    from fixtures.files import jpeg_bytes, sha256_of, upload

    good, bad = make_audit(shopper=shopper), make_audit(shopper=shopper)
    photo = jpeg_bytes()
    assert upload(client, headers, good.id, photo).status_code == 201
    answers = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 25},
               "written_quote": {"value": "yes", "attachments": [sha256_of(photo)]}, "pressure": {"value": 4}}
    r = post_raw(client, "/api/v1/sync", headers, {"audits": [
        {"audit_id": str(bad.id), "action": "submit", "idempotency_key": str(uuid.uuid4()), "visit": visit(),
         "answers": {**answers, "pressure": {"value": 4, "comment": "x\x00"}}},
        {"audit_id": str(good.id), "action": "submit", "idempotency_key": str(uuid.uuid4()), "visit": visit(),
         "answers": answers},
    ]})
    assert [x["status"] for x in r.json["results"]] == [422, 200]
    assert status_of(db_session, bad) == "assigned" and status_of(db_session, good) == "submitted"


def test_a_sync_entry_the_database_refuses_is_rolled_back_alone(make_audit, shopper, db_session):
    """The schemas refuse what a column cannot hold; should a value still reach the database and be
    refused there, that entry alone is answered 422 and its savepoint rolled back."""
    from sqlalchemy.exc import DataError

    from auditapp.services.flags import FlagLimits
    from auditapp.services.shopper import ShopperRequest, SyncEntry, View, sync

    kept, refused = make_audit(shopper=shopper), make_audit(shopper=shopper)

    def body(audit: Audit, _answers: Any) -> dict[str, Any]:
        if audit.id == refused.id:
            raise DataError("INSERT ...", {}, Exception("value out of range"))
        return {"id": str(audit.id)}

    def etag_of(audit: Audit) -> str:
        return f'"{audit.revision}"'

    request = ShopperRequest(user=shopper, received_at=datetime.now(timezone.utc),
                             limits=FlagLimits(50, 24, 10), view=View(body=body, etag=etag_of))
    results = sync(db_session, request, [
        SyncEntry(audit_id=refused.id, action="draft", answers={"greeted": {"value": "no"}}, if_match='"0"'),
        SyncEntry(audit_id=kept.id, action="draft", answers={"greeted": {"value": "yes"}}, if_match='"0"'),
    ])
    assert [(r.status, r.error.status if r.error else None) for r in results] == [(422, 422), (200, None)]
    assert stored(db_session, refused) == {} and stored(db_session, kept) == {"greeted": "yes"}


# --- defect 3: text ---------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["tea\x00", LONE_SURROGATE, f"a{LONE_SURROGATE}b"])
@pytest.mark.parametrize("where", ["value", "comment", "attachments", "nested"])
def test_bad_text_anywhere_in_the_answers_is_422_naming_the_field(client, headers, audit, db_session, bad, where):
    answer = {"value": "yes", "comment": bad} if where == "comment" else \
        {"value": "yes", "attachments": [bad]} if where == "attachments" else \
        {"value": {"deep": [bad]}} if where == "nested" else {"value": bad}
    r = post_raw(client, f"/api/v1/audits/{audit.id}/answers",
                 {**headers, "If-Match": etag(client, headers, audit)}, {"answers": {"greeted": answer}}, "put")
    assert r.status_code == 422, r.get_data()
    assert set(r.json) == STANDARD_KEYS and "greeted" in r.json["errors"]["json"]["answers"]
    assert stored(db_session, audit) == {}
    assert client.get(f"/api/v1/audits/{audit.id}", headers=headers).status_code == 200


@pytest.mark.parametrize("bad", ["x\x00y", LONE_SURROGATE])
def test_bad_text_in_names_and_notes_is_422_naming_the_field(client, admin, make_user, db_session, bad):
    r = post_raw(client, "/api/v1/regions", admin, {"code": "NORTH", "name_zh": "北", "name_en": bad})
    assert r.status_code == 422 and "name_en" in r.json["errors"]["json"], r.get_data()
    assert db_session.scalar(select(Region).where(Region.code == "NORTH")) is None
    user = make_user("qa")
    r = post_raw(client, f"/api/v1/users/{user.id}", admin, {"display_name": bad}, "patch")
    assert r.status_code == 422 and "display_name" in r.json["errors"]["json"]
    r = post_raw(client, "/api/v1/auth/token", {}, {"email": f"a{bad}@example.com", "password": bad})
    assert r.status_code == 422 and set(r.json["errors"]["json"]) == {"email", "password"}


def test_bad_text_in_query_and_path_parameters_is_422_naming_the_parameter(client, admin, make_dealer):
    dealer = make_dealer()
    r = client.get(f"/api/v1/dealers/{dealer.id}/scorecard?wave=2026%00", headers=admin)
    assert r.status_code == 422 and "wave" in r.json["errors"]["query"], r.get_data()
    r = client.get("/api/v1/checklists/mini%00/1", headers=admin)
    assert r.status_code == 422 and r.json["errors"] == {"path": {"key": ["must not contain the NUL character"]}}
    r = client.get(f"/api/v1/audits/{uuid.uuid4()}/attachments/{'0' * 63}%00", headers=admin)
    assert r.status_code == 422 and "sha256" in r.json["errors"]["path"]


def test_an_unknown_field_named_with_a_lone_surrogate_is_answered_in_valid_json(client, admin):
    r = post_raw(client, "/api/v1/regions", admin, {"code": "N", "name_zh": "北", "name_en": "N",
                                                    LONE_SURROGATE: 1})
    assert r.status_code == 422
    r.get_data().decode("utf-8")  # valid UTF-8: the unknown name comes back escaped, as it was sent
    assert LONE_SURROGATE in r.json["errors"]["json"]


def test_a_lone_surrogate_stored_before_the_rules_can_still_be_read(client, headers, audit, db_session):
    if db_session.get_bind().dialect.name != "sqlite":
        pytest.skip("only SQLite ever stored one (PostgreSQL refuses text that is not UTF-8)")
    db_session.add(Answer(audit_id=audit.id, item_key="greeted", value=LONE_SURROGATE, na=False,
                          comment=None, attachments=[]))
    db_session.commit()
    r = client.get(f"/api/v1/audits/{audit.id}", headers=headers)
    assert r.status_code == 200 and r.json["answers"]["greeted"]["value"] == LONE_SURROGATE


# --- defect 4: numbers and dates ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/regions/2147483648", "/api/v1/dealers/9223372036854775808",
                                  "/api/v1/users/" + "9" * 40, "/api/v1/checklists/mini/99999999999",
                                  "/api/v1/regions/2147483648/leaderboard?wave=2026-Q3"])
def test_ids_beyond_the_integer_columns_are_404(client, admin, path):
    r = client.get(path, headers=admin)
    assert r.status_code == 404 and set(r.json) == STANDARD_KEYS


@pytest.mark.parametrize("query", ["wave_id=2147483648", "dealer_id=-2147483649", "page=9223372036854775808",
                                   "dealer_id=" + "9" * 400])
def test_query_integers_beyond_the_columns_are_422(client, admin, query):
    r = client.get(f"/api/v1/audits?{query}", headers=admin)
    assert r.status_code == 422 and query.split("=")[0] in r.json["errors"]["query"], r.get_data()


def test_body_integers_beyond_the_columns_are_422(client, admin, make_region, db_session):
    r = post_raw(client, "/api/v1/dealers", admin, {"region_id": 2**31, "code": "D1", "name_zh": "经",
                                                    "name_en": "D"})
    assert r.status_code == 422 and "region_id" in r.json["errors"]["json"]
    r = post_raw(client, "/api/v1/users", admin, {"email": "x@example.com", "password": "a long password",
                                                  "role": "manager", "region_ids": [make_region().id, 2**63]})
    assert r.status_code == 422 and "region_ids" in r.json["errors"]["json"]
    assert db_session.scalar(select(Dealer).where(Dealer.code == "D1")) is None


@pytest.mark.parametrize("value", [HUGE, -HUGE, 2**53, 1e300], ids=["400 digits", "-400 digits", "2^53", "1e300"])
def test_a_number_answer_beyond_sane_bounds_is_422(client, headers, audit, db_session, value):
    r = post_raw(client, f"/api/v1/audits/{audit.id}/answers", {**headers, "If-Match": etag(client, headers, audit)},
                 {"answers": {"greeted": {"value": "yes"}, "greet_seconds": {"value": value}}}, "put")
    assert r.status_code == 422 and "greet_seconds" in r.json["errors"]["json"]["answers"], r.get_data()
    assert stored(db_session, audit) == {}


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_non_finite_number_answer_is_422(client, headers, audit, literal):
    body = '{"answers": {"greeted": {"value": "yes"}, "greet_seconds": {"value": ' + literal + '}}}'
    r = client.put(f"/api/v1/audits/{audit.id}/answers", data=body, content_type="application/json",
                   headers={**headers, "If-Match": etag(client, headers, audit)})
    assert r.status_code == 422 and "greet_seconds" in r.json["errors"]["json"]["answers"], r.get_data()


def test_dates_beyond_the_supported_years_are_422(client, admin, make_dealer, make_user, make_checklist_version,
                                                   make_wave, db_session):
    r = post_raw(client, "/api/v1/waves", admin, {"code": "2026-Q9", "title_zh": "期", "title_en": "W",
                                                  "starts_on": "2026-01-01", "ends_on": "9999-12-31"})
    assert r.status_code == 422 and "ends_on" in r.json["errors"]["json"]
    assert db_session.scalar(select(Wave).where(Wave.code == "2026-Q9")) is None
    version = make_checklist_version()
    r = post_raw(client, "/api/v1/audits", admin, {
        "dealer_id": make_dealer().id, "wave_id": make_wave().id, "shopper_id": make_user("shopper").id,
        "checklist": {"key": version.key, "version": version.version},
        "visit_window_start": "2026-08-01", "visit_window_end": "9999-12-31"})
    assert r.status_code == 422 and "visit_window_end" in r.json["errors"]["json"], r.get_data()


def test_visit_times_beyond_the_supported_years_are_422(client, headers, audit):
    r = post_raw(client, f"/api/v1/audits/{audit.id}/submit", {**headers, "Idempotency-Key": str(uuid.uuid4())},
                 {"answers": {}, "visit": {**visit(), "ended_at": "9999-12-31T23:59:59+00:00"}})
    assert r.status_code == 422 and "ended_at" in r.json["errors"]["json"]["visit"], r.get_data()


# --- defect 9: codes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["../..", "a/b", "north", "N\\1", "..", "X" * 33, "", "N 1"])
def test_codes_that_could_not_name_a_file_are_422(client, admin, make_region, make_wave, db_session, code):
    region = make_region()
    r = post_raw(client, "/api/v1/regions", admin, {"code": code, "name_zh": "北", "name_en": "N"})
    assert r.status_code == 422 and "code" in r.json["errors"]["json"]
    r = post_raw(client, "/api/v1/dealers", admin, {"region_id": region.id, "code": code, "name_zh": "经",
                                                    "name_en": "D"})
    assert r.status_code == 422 and "code" in r.json["errors"]["json"]
    r = post_raw(client, f"/api/v1/regions/{region.id}", admin, {"code": code}, "patch")
    assert r.status_code == 422 and "code" in r.json["errors"]["json"]
    r = post_raw(client, f"/api/v1/waves/{make_wave().id}", admin, {"code": code}, "patch")
    assert r.status_code == 422 and "code" in r.json["errors"]["json"]
    db_session.expire_all()
    assert db_session.get(Region, region.id).code == region.code


def test_codes_of_the_product_are_accepted(client, admin):
    r = post_raw(client, "/api/v1/waves", admin, {"code": "2026-Q4", "title_zh": "期", "title_en": "W",
                                                  "starts_on": "2026-10-01", "ends_on": "2026-12-31"})
    assert r.status_code == 201, r.get_data()


# --- the rules hold for every field, by construction -----------------------------------------------------

UNBOUNDED = (fields.String, fields.Integer, fields.Date, fields.DateTime, fields.Raw)
# Checked one entry at a time by SyncEntrySchema, so that a bad entry is refused in its own result.
ENTRIES_CHECKED_ALONE = {("SyncSchema", "audits")}


def _loaded_fields(schema: type[Schema]):
    for name, field in schema._declared_fields.items():
        if field.dump_only:
            continue
        yield name, field
        for inner in filter(None, [getattr(field, "inner", None), getattr(field, "key_field", None),
                                   getattr(field, "value_field", None)]):
            yield f"{name}[]", inner


def test_every_request_field_is_read_through_the_bounded_fields():
    """Request schemas (those refusing unknown fields) use the bounded fields for every value they load."""
    bounded = (api_fields.TextRule, api_fields.Int, api_fields.Day, api_fields.Moment, api_fields.FreeJson,
               fields.UUID)
    request_schemas = [s for s in vars(schemas).values() if isinstance(s, type) and issubclass(s, Schema)
                       and getattr(s.Meta, "unknown", None) == RAISE]
    assert schemas.AssignSchema in request_schemas and schemas.AuditListArgsSchema in request_schemas
    offenders = []
    for schema in request_schemas:
        for name, field in _loaded_fields(schema):
            if (schema.__name__, name.rstrip("[]")) in ENTRIES_CHECKED_ALONE or isinstance(field, bounded):
                continue
            if isinstance(field, UNBOUNDED) or type(field) is fields.Dict:
                offenders.append(f"{schema.__name__}.{name}: {type(field).__name__}")
    assert offenders == []
