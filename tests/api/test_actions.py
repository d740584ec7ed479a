"""Corrective action plans over HTTP: raised when QA approves an audit, planned and submitted by the
dealer, returned and accepted by the manager, listed with filters and overdue marks, wave close, bad
input refused with nothing changed, and the actions in the scorecard and leaderboard responses."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest
from fixtures.files import jpeg_bytes, sha256_of
from sqlalchemy import select

from auditapp.models import Action, ActionEvent, Answer

FAILED_QUOTE = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 20}, "written_quote": {"value": "no"},
                "pressure": {"value": 5}}


@pytest.fixture
def setup(db_session, make_region, make_dealer, make_wave, make_user, make_audit, make_checklist_version, auth_for):
    region = make_region()
    dealer = make_dealer(region=region)
    wave = make_wave()
    version = make_checklist_version()
    users = {"qa": make_user("qa"), "manager": make_user("manager", regions=[region]),
             "dealer": make_user("dealer", dealer=dealer), "other_dealer": make_user("dealer", dealer=make_dealer())}
    now = datetime.now(timezone.utc)
    audit = make_audit(dealer=dealer, wave=wave, checklist_version=version, status="submitted", submitted_at=now,
                       visit_started_at=now - timedelta(hours=2), visit_ended_at=now - timedelta(hours=1))
    for key, answer in FAILED_QUOTE.items():
        db_session.add(Answer(audit_id=audit.id, item_key=key, value=answer["value"]))
    db_session.commit()
    return {"dealer": dealer, "wave": wave, "version": version, "audit": audit, "region": region,
            **{f"{name}_headers": auth_for(user) for name, user in users.items()}, "users": users}


def _approve(client, setup):
    response = client.post(f"/api/v1/audits/{setup['audit'].id}/approve", json={}, headers=setup["qa_headers"])
    assert response.status_code == 200, response.get_json()


def _only_action(client, setup) -> dict:
    listed = client.get("/api/v1/actions", headers=setup["dealer_headers"]).get_json()
    assert len(listed) == 1
    return listed[0]


def _upload(client, setup) -> str:
    data = jpeg_bytes()
    response = client.post(f"/api/v1/audits/{setup['audit'].id}/attachments", headers=setup["dealer_headers"],
                           data={"sha256": sha256_of(data), "file": (io.BytesIO(data), "training.jpg", "image/jpeg")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return sha256_of(data)


def test_approval_raises_the_action_and_the_dealer_plans_it_through_to_acceptance(client, setup, db_session):
    _approve(client, setup)  # written_quote failed: with nothing else failed it is the dealer's top gap
    action = _only_action(client, setup)
    assert (action["item"], action["origin"], action["status"]) == ("written_quote", "top_gap", "open")
    assert action["item_text"] == {"zh": "书面报价", "en": "Written quote"}
    # written_quote: global weight 1/3 · 3/4 = 1/4, not met → 25 points lost
    assert action["evidence"]["points_lost_total"] == pytest.approx(25.0)
    assert [v["audit_id"] for v in action["evidence"]["visits"]] == [str(setup["audit"].id)]
    assert "shopper" not in str(action)
    path = f"/api/v1/actions/{action['id']}"

    plan = {"root_cause": "Quotes were given verbally", "measures": "A printed quote for every customer",
            "responsible": "Sales manager Li", "due_on": action["due_limit"], "evidence": [_upload(client, setup)]}
    saved = client.patch(path, json=plan, headers=setup["dealer_headers"])
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["status"] == "planned"
    assert saved.get_json()["implementation_files"] == [{"sha256": plan["evidence"][0],
                                                         "audit_id": str(setup["audit"].id)}]
    assert client.post(f"{path}/submit", headers=setup["dealer_headers"]).get_json()["status"] == "submitted"

    returned = client.post(f"{path}/return", json={"note": "Attach a signed quote"}, headers=setup["manager_headers"])
    assert returned.get_json()["status"] == "returned"
    assert returned.get_json()["review"]["note"] == "Attach a signed quote"
    assert client.patch(path, json={"measures": "Signed printed quotes"},
                        headers=setup["dealer_headers"]).get_json()["status"] == "planned"
    client.post(f"{path}/submit", headers=setup["dealer_headers"])
    accepted = client.post(f"{path}/accept", json={}, headers=setup["manager_headers"])
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assert accepted.get_json()["verification"] is None

    again = client.post(f"{path}/accept", json={}, headers=setup["manager_headers"])
    assert again.status_code == 409 and again.get_json()["error"] == "action.not_submitted"
    events = client.get(f"{path}/events", headers=setup["manager_headers"]).get_json()
    assert [e["kind"] for e in events] == ["action_raised", "plan_saved", "submitted", "returned", "plan_saved",
                                          "submitted", "accepted"]


def test_bad_input_is_refused_and_changes_nothing(client, setup, db_session):
    _approve(client, setup)
    action = _only_action(client, setup)
    path = f"/api/v1/actions/{action['id']}"
    late = (date.fromisoformat(action["due_limit"]) + timedelta(days=1)).isoformat()
    for body, status, field in (({"due_on": late}, 422, "due_on"),
                                ({"due_on": "2026-13-01"}, 422, "due_on"),
                                ({"evidence": ["f" * 64]}, 422, "evidence"),
                                ({"evidence": ["not a hash"]}, 422, "evidence"),
                                ({"root_cause": ""}, 422, "root_cause"),
                                ({"status": "accepted"}, 422, "status"),
                                ({}, 422, "_schema")):
        response = client.patch(path, json=body, headers={**setup["dealer_headers"], "Accept-Language": "zh"})
        assert response.status_code == status, (body, response.get_json())
        assert field in str(response.get_json()["errors"]), response.get_json()
        assert response.headers["Content-Language"] == "zh"
    assert client.get(path, headers=setup["dealer_headers"]).get_json()["plan"]["root_cause"] is None
    assert len(db_session.scalars(select(ActionEvent).where(ActionEvent.action_id == action["id"])).all()) == 1
    late_body = client.patch(path, json={"due_on": late}, headers={**setup["dealer_headers"], "Accept-Language": "zh"})
    assert late_body.get_json()["message"] == "完成日期超出允许的期限"
    early = client.post(f"{path}/submit", headers=setup["dealer_headers"])
    assert early.status_code == 409 and early.get_json()["error"] == "action.plan_incomplete"
    assert set(early.get_json()["errors"]) == {"root_cause", "measures", "responsible", "due_on"}
    short_note = client.post(f"{path}/return", json={"note": "no"}, headers=setup["manager_headers"])
    assert short_note.status_code == 422


def test_list_filters_and_overdue_marks(client, setup, db_session):
    _approve(client, setup)
    action_id = _only_action(client, setup)["id"]
    headers = setup["manager_headers"]
    assert [a["id"] for a in client.get(f"/api/v1/actions?wave={setup['wave'].code}&status=open",
                                        headers=headers).get_json()] == [action_id]
    assert client.get("/api/v1/actions?status=accepted", headers=headers).get_json() == []
    assert client.get("/api/v1/actions?overdue=true", headers=headers).get_json() == []
    assert client.get("/api/v1/actions", headers=setup["other_dealer_headers"]).get_json() == []
    assert client.get(f"/api/v1/actions/{action_id}", headers=setup["other_dealer_headers"]).status_code == 404
    # Pushed back in time: raised 40 days ago, so its 30-day limit has passed.
    action = db_session.get(Action, action_id)
    action.due_limit = date.today() - timedelta(days=10)
    db_session.commit()
    overdue = client.get("/api/v1/actions?overdue=true", headers=headers).get_json()
    assert [a["id"] for a in overdue] == [action_id] and overdue[0]["overdue"] is True
    assert client.get("/api/v1/actions?status=bogus", headers=headers).status_code == 422


def test_raise_by_hand_and_close_a_wave(client, setup, db_session):
    _approve(client, setup)
    body = {"dealer_id": setup["dealer"].id, "wave": setup["wave"].code, "program": setup["version"].key,
            "item": "pressure", "note": "Seen during the regional visit"}
    raised = client.post("/api/v1/actions", json=body, headers=setup["manager_headers"])
    assert raised.status_code == 201, raised.get_json()
    assert (raised.get_json()["origin"], raised.get_json()["raised_by_hand"]) == ("manual", True)
    assert client.post("/api/v1/actions", json=body, headers=setup["manager_headers"]).status_code == 409
    bad = client.post("/api/v1/actions", json={**body, "item": "nope"}, headers=setup["manager_headers"])
    assert bad.status_code == 422 and bad.get_json()["error"] == "action.unknown_item"

    closed = client.post(f"/api/v1/waves/{setup['wave'].code}/close", headers=setup["qa_headers"])
    assert closed.status_code == 200
    again = client.post(f"/api/v1/waves/{setup['wave'].code}/close", headers=setup["qa_headers"])
    assert again.get_json()["closed_at"] == closed.get_json()["closed_at"]
    assert again.get_json()["actions_raised"] == 0
    assert client.post("/api/v1/waves/NOPE/close", headers=setup["qa_headers"]).status_code == 404


def test_scorecard_and_leaderboard_carry_the_actions(client, setup):
    _approve(client, setup)
    card = client.get(f"/api/v1/dealers/{setup['dealer'].id}/scorecard?wave={setup['wave'].code}",
                      headers=setup["dealer_headers"]).get_json()
    assert [a["item"] for a in card["actions"]["open"]] == ["written_quote"]
    assert card["actions"]["overdue"] == 0 and card["actions"]["verified"] == []
    board = client.get(f"/api/v1/regions/{setup['region'].id}/leaderboard?wave={setup['wave'].code}",
                       headers=setup["manager_headers"]).get_json()
    row = board["action_plans"]["dealers"][0]
    assert (row["dealer"]["code"], row["actions"], row["open"], row["accepted"]) == (setup["dealer"].code, 1, 1, 0)
    assert board["action_plans"]["totals"]["actions"] == 1
