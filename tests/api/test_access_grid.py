"""Who sees what (DESIGN 7): every endpoint × every role × an object in and out of the caller's scope.

"own" is an object inside the caller's scope (their region, dealer or assignment); "other" one outside it.
A new endpoint must be added to ENDPOINTS: `test_every_endpoint_is_in_the_grid` fails otherwise.
"""
from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fixtures.files import jpeg_bytes, sha256_of
from sqlalchemy import select

from auditapp.models import Answer, Audit, Dispute, User, WebhookSubscription
from auditapp.services.score_versions import store_score_version

ROLES = ("anonymous", "admin", "qa", "manager", "dealer", "shopper")


@dataclass
class World:
    objects: dict[str, Any]
    tokens: dict[str, dict[str, str]]
    photo: dict[str, str]  # audit name → sha256 of a photo uploaded to it

    def __getitem__(self, name: str) -> Any:
        return self.objects[name]


@pytest.fixture
def world(app, db_session, make_region, make_dealer, make_wave, make_user, make_audit, make_checklist_version,
          auth_for) -> World:
    from auditapp.services.attachments import FileStore, upload

    r1, r2 = make_region(), make_region()
    d1, d2 = make_dealer(region=r1), make_dealer(region=r2)
    wave = make_wave()
    version = make_checklist_version()
    s1, s2 = make_user("shopper"), make_user("shopper")
    users = {"admin": make_user("admin"), "qa": make_user("qa"), "manager": make_user("manager", regions=[r1]),
             "dealer": make_user("dealer", dealer=d1), "shopper": s1}
    objects: dict[str, Any] = {"r1": r1, "r2": r2, "d1": d1, "d2": d2, "wave": wave, "version": version,
                               "s1": s1, "s2": s2}
    photo: dict[str, str] = {}
    store = FileStore(app.config["ATTACHMENT_DIR"])
    for scope, dealer, shopper in (("own", d1, s1), ("other", d2, s2)):
        for state in ("published", "assigned", "submitted"):
            audit = make_audit(dealer=dealer, wave=wave, shopper=shopper, checklist_version=version)
            data = jpeg_bytes()
            upload(db_session, shopper, audit.id, stream=io.BytesIO(data), sha256=sha256_of(data),
                   filename="quote.jpg", store=store, max_bytes=10**7)
            photo[f"{state}_{scope}"] = sha256_of(data)
            if state != "assigned":
                answers = complete_answers(sha256_of(data))
                if state == "published":  # two failed items, so that there is something to dispute
                    answers.update(greet_seconds={"value": 45}, written_quote={"value": "no"})
                for key, answer in answers.items():
                    db_session.add(Answer(audit_id=audit.id, item_key=key, value=answer.get("value"),
                                          attachments=answer.get("attachments", [])))
                visited = datetime.now(timezone.utc) - timedelta(hours=3)  # inside the dispute window
                audit.status, audit.submitted_at, audit.visit_started_at = state, visited, visited
                if state == "published":
                    audit.published_at = visited
                    db_session.flush()
                    store_score_version(db_session, audit, None, "test")
                    objects[f"open_dispute_{scope}"] = _dispute(db_session, audit, "greet_seconds", "open", users)
                    objects[f"rejected_dispute_{scope}"] = _dispute(db_session, audit, "written_quote", "rejected",
                                                                    users)
            objects[f"{state}_{scope}"] = audit
    # Webhook subscriptions (admin only: "own" and "other" are simply two of them); subscribed to an
    # event none of the requests here sends, so that the grid queues no deliveries.
    for scope in ("own", "other"):
        objects[f"webhook_{scope}"] = WebhookSubscription(url=f"https://{scope}.example.com/hook",
                                                          secret="a secret of sixteen+", events=["action.changed"])
        db_session.add(objects[f"webhook_{scope}"])
    _corrective_actions(db_session, objects, version.key)
    db_session.commit()
    tokens = {role: auth_for(user) for role, user in users.items()}
    tokens["anonymous"] = {}
    return World(objects, tokens, photo)


def _dispute(session, audit: Audit, item: str, status: str, users: dict[str, Any]) -> Dispute:
    dealer_user = session.scalar(select(User).where(User.role == "dealer", User.dealer_id == audit.dealer_id))
    filer = dealer_user or users["dealer"]
    now = datetime.now(timezone.utc)
    dispute = Dispute(audit_id=audit.id, dealer_id=audit.dealer_id, item_key=item, status=status,
                      claim="The consultant greeted us at once.", requested_outcome="pass", filed_by_id=filer.id,
                      filed_at=now, **({"qa_outcome": "rejected", "qa_reason": "Timer", "qa_decided_at": now,
                                        "qa_decided_by_id": users["qa"].id} if status == "rejected" else {}))
    session.add(dispute)
    session.flush()
    return dispute


def complete_answers(quote_sha: str) -> dict[str, Any]:
    return {"greeted": {"value": "yes"}, "greet_seconds": {"value": 25},
            "written_quote": {"value": "yes", "attachments": [quote_sha]}, "pressure": {"value": 4}}


def visit() -> dict[str, Any]:
    ended = datetime.now(timezone.utc) - timedelta(minutes=5)
    return {"started_at": (ended - timedelta(minutes=30)).isoformat(), "ended_at": ended.isoformat(),
            "checkin": {"latitude": 31.2304, "longitude": 121.4737},
            "device_time": datetime.now(timezone.utc).isoformat()}


def etag(audit: Audit) -> str:
    return f'"{audit.id.hex}-{audit.revision}"'


@dataclass
class Endpoint:
    name: str
    method: str
    rule: str  # the Flask rule, to check that the grid covers every endpoint
    request: Callable[[World, str], tuple[str, dict[str, Any]]]  # (world, scope) → (path, client kwargs)
    expected: dict[str, tuple[int, int]]  # role → (status on own object, status on other object)
    scoped: bool = True


def only(role_statuses: dict[str, int], default: int = 403) -> dict[str, tuple[int, int]]:
    return {role: (role_statuses.get(role, default),) * 2 for role in ROLES if role != "anonymous"}


def scoped(**statuses: tuple[int, int]) -> dict[str, tuple[int, int]]:
    return {role: statuses.get(role, (403, 403)) for role in ROLES if role != "anonymous"}


ALL_200 = only(dict.fromkeys(ROLES, 200))
OWN_OR_404 = (200, 404)
STAFF_200 = {"admin": (200, 200), "qa": (200, 200)}
READ_PUBLISHED = scoped(**STAFF_200, manager=OWN_OR_404, dealer=OWN_OR_404, shopper=OWN_OR_404)


def _new_code() -> str:
    return uuid.uuid4().hex[:10].upper()


def _admin_collection(kind: str, create: Callable[[World], dict[str, Any]], own: str, other: str,
                      change: dict[str, Any]) -> list[Endpoint]:
    return [
        Endpoint(f"list {kind}", "GET", f"/api/v1/{kind}", lambda w, s: (f"/api/v1/{kind}", {}),
                 only({"admin": 200}), scoped=False),
        Endpoint(f"create {kind}", "POST", f"/api/v1/{kind}",
                 lambda w, s: (f"/api/v1/{kind}", {"json": create(w)}), only({"admin": 201}), scoped=False),
        Endpoint(f"read {kind}", "GET", f"/api/v1/{kind}/<int:ident>",
                 lambda w, s: (f"/api/v1/{kind}/{w[own if s == 'own' else other].id}", {}),
                 scoped(admin=(200, 200))),
        Endpoint(f"update {kind}", "PATCH", f"/api/v1/{kind}/<int:ident>",
                 lambda w, s: (f"/api/v1/{kind}/{w[own if s == 'own' else other].id}", {"json": change}),
                 scoped(admin=(200, 200))),
    ]


def _audit(w: World, state: str, scope: str) -> Audit:
    return w[f"{state}_{scope}"]


ENDPOINTS: list[Endpoint] = [
    Endpoint("me", "GET", "/api/v1/me", lambda w, s: ("/api/v1/me", {}), ALL_200, scoped=False),
    Endpoint("log out", "POST", "/api/v1/auth/logout", lambda w, s: ("/api/v1/auth/logout", {}),
             only(dict.fromkeys(ROLES, 204)), scoped=False),
    *_admin_collection("regions", lambda w: {"code": _new_code(), "name_zh": "新区", "name_en": "New"}, "r1", "r2",
                      {"name_en": "Renamed"}),
    *_admin_collection("dealers", lambda w: {"code": _new_code(), "region_id": w["r1"].id, "name_zh": "新店",
                                             "name_en": "New"}, "d1", "d2", {"name_en": "Renamed"}),
    *_admin_collection("waves", lambda w: {"code": _new_code(), "title_zh": "新一期", "title_en": "New",
                                           "starts_on": "2027-01-01", "ends_on": "2027-03-31"}, "wave", "wave",
                      {"title_en": "Renamed"}),
    Endpoint("list users", "GET", "/api/v1/users", lambda w, s: ("/api/v1/users", {}), only({"admin": 200}),
             scoped=False),
    Endpoint("create user", "POST", "/api/v1/users",
             lambda w, s: ("/api/v1/users", {"json": {"email": f"{_new_code()}@x.cn", "password": "long password",
                                                      "role": "shopper"}}), only({"admin": 201}), scoped=False),
    Endpoint("read user", "GET", "/api/v1/users/<int:user_id>",
             lambda w, s: (f"/api/v1/users/{w['s1' if s == 'own' else 's2'].id}", {}), scoped(admin=(200, 200))),
    Endpoint("update user", "PATCH", "/api/v1/users/<int:user_id>",
             lambda w, s: (f"/api/v1/users/{w['s1' if s == 'own' else 's2'].id}", {"json": {"display_name": "N"}}),
             scoped(admin=(200, 200))),
    Endpoint("revoke a user's tokens", "DELETE", "/api/v1/users/<int:user_id>/tokens",
             lambda w, s: (f"/api/v1/users/{w['s1' if s == 'own' else 's2'].id}/tokens", {}),
             scoped(admin=(200, 200))),
    Endpoint("list checklists", "GET", "/api/v1/checklists", lambda w, s: ("/api/v1/checklists", {}), ALL_200,
             scoped=False),
    Endpoint("read checklist", "GET", "/api/v1/checklists/<key>/<int:version>",
             lambda w, s: (f"/api/v1/checklists/{w['version'].key}/{w['version'].version}", {}), ALL_200,
             scoped=False),
    Endpoint("assign audit", "POST", "/api/v1/audits",
             lambda w, s: ("/api/v1/audits", {"json": {
                 "dealer_id": w["d1"].id, "wave_id": w["wave"].id, "shopper_id": w["s1"].id,
                 "checklist": {"key": w["version"].key, "version": w["version"].version},
                 "visit_window_start": "2027-06-01", "visit_window_end": "2027-06-07"}}),
             only({"admin": 201, "qa": 201}), scoped=False),
    Endpoint("list audits", "GET", "/api/v1/audits", lambda w, s: ("/api/v1/audits", {}), ALL_200, scoped=False),
    Endpoint("read published audit", "GET", "/api/v1/audits/<uuid:audit_id>",
             lambda w, s: (f"/api/v1/audits/{_audit(w, 'published', s).id}", {}), READ_PUBLISHED),
    Endpoint("read unpublished audit", "GET", "/api/v1/audits/<uuid:audit_id>",
             lambda w, s: (f"/api/v1/audits/{_audit(w, 'assigned', s).id}", {}),
             scoped(**STAFF_200, manager=(404, 404), dealer=(404, 404), shopper=OWN_OR_404)),
    Endpoint("audit history", "GET", "/api/v1/audits/<uuid:audit_id>/events",
             lambda w, s: (f"/api/v1/audits/{_audit(w, 'published', s).id}/events", {}), scoped(**STAFF_200)),
    Endpoint("save draft", "PUT", "/api/v1/audits/<uuid:audit_id>/answers",
             lambda w, s: (f"/api/v1/audits/{_audit(w, 'assigned', s).id}/answers", {
                 "json": {"answers": {"greeted": {"value": "yes"}}},
                 "headers": {"If-Match": etag(_audit(w, "assigned", s))}}),
             scoped(shopper=OWN_OR_404)),
    Endpoint("upload to an assignment", "POST", "/api/v1/audits/<uuid:audit_id>/attachments",
             lambda w, s: _upload(_audit(w, "assigned", s)),
             scoped(shopper=(201, 404), dealer=(404, 404))),
    Endpoint("upload dispute evidence", "POST", "/api/v1/audits/<uuid:audit_id>/attachments",
             lambda w, s: _upload(_audit(w, "published", s)),
             scoped(shopper=(409, 404), dealer=(201, 404))),
    Endpoint("download evidence", "GET", "/api/v1/audits/<uuid:audit_id>/attachments/<string:sha256>",
             lambda w, s: (f"/api/v1/audits/{_audit(w, 'published', s).id}/attachments/"
                           f"{w.photo['published_' + s]}", {}), READ_PUBLISHED),
    Endpoint("submit", "POST", "/api/v1/audits/<uuid:audit_id>/submit",
             lambda w, s: (f"/api/v1/audits/{_audit(w, 'assigned', s).id}/submit", {
                 "json": {"answers": complete_answers(w.photo["assigned_" + s]), "visit": visit()},
                 "headers": {"Idempotency-Key": str(uuid.uuid4())}}),
             scoped(shopper=OWN_OR_404)),
    Endpoint("sync", "POST", "/api/v1/sync",
             lambda w, s: ("/api/v1/sync", {"json": {"audits": [{
                 "audit_id": str(_audit(w, "assigned", "own").id), "action": "draft",
                 "answers": {"greeted": {"value": "no"}}, "if_match": etag(_audit(w, "assigned", "own"))}]}}),
             only({"shopper": 200}), scoped=False),
    Endpoint("approve", "POST", "/api/v1/audits/<uuid:audit_id>/approve",
             lambda w, s: (f"/api/v1/audits/{_audit(w, 'submitted', s).id}/approve", {"json": {}}),
             scoped(**STAFF_200)),
    Endpoint("return", "POST", "/api/v1/audits/<uuid:audit_id>/return",
             lambda w, s: (f"/api/v1/audits/{_audit(w, 'submitted', s).id}/return",
                           {"json": {"notes": "Photo blurred"}}),
             scoped(**STAFF_200)),
    Endpoint("audit score", "GET", "/api/v1/audits/<uuid:audit_id>/score",
             lambda w, s: (f"/api/v1/audits/{_audit(w, 'published', s).id}/score", {}),
             scoped(**STAFF_200, manager=OWN_OR_404, dealer=OWN_OR_404)),
    Endpoint("dealer scorecard", "GET", "/api/v1/dealers/<int:dealer_id>/scorecard",
             lambda w, s: (f"/api/v1/dealers/{w['d1' if s == 'own' else 'd2'].id}/scorecard?wave={w['wave'].code}", {}),
             scoped(**STAFF_200, manager=OWN_OR_404, dealer=OWN_OR_404)),
    Endpoint("region leaderboard", "GET", "/api/v1/regions/<int:region_id>/leaderboard",
             lambda w, s: (f"/api/v1/regions/{w['r1' if s == 'own' else 'r2'].id}/leaderboard?wave={w['wave'].code}",
                           {}),
             scoped(**STAFF_200, manager=OWN_OR_404)),
    # The nation's figures: every manager reads them (the nation is no region's own); dealers never.
    Endpoint("national figures", "GET", "/api/v1/waves/<string:code>/figures",
             lambda w, s: (f"/api/v1/waves/{w['wave'].code}/figures", {}),
             only({"admin": 200, "qa": 200, "manager": 200}), scoped=False),
    Endpoint("file dispute", "POST", "/api/v1/audits/<uuid:audit_id>/disputes",
             lambda w, s: (f"/api/v1/audits/{_audit(w, 'published', s).id}/disputes", {"json": {
                 "item": "written_quote", "claim": "The quote was handed over in writing.",
                 "requested_outcome": "pass"}}),
             scoped(dealer=(201, 404))),
    Endpoint("list disputes", "GET", "/api/v1/disputes", lambda w, s: ("/api/v1/disputes", {}),
             only({"admin": 200, "qa": 200, "manager": 200, "dealer": 200}), scoped=False),
    Endpoint("read dispute", "GET", "/api/v1/disputes/<int:dispute_id>",
             lambda w, s: (f"/api/v1/disputes/{w['open_dispute_' + s].id}", {}),
             scoped(**STAFF_200, manager=OWN_OR_404, dealer=OWN_OR_404)),
    Endpoint("decide dispute", "POST", "/api/v1/disputes/<int:dispute_id>/decision",
             lambda w, s: (f"/api/v1/disputes/{w['open_dispute_' + s].id}/decision",
                           {"json": {"outcome": "rejected", "reason": "The timer shows 45 s."}}),
             scoped(**STAFF_200, manager=(403, 404))),
    Endpoint("escalate dispute", "POST", "/api/v1/disputes/<int:dispute_id>/escalate",
             lambda w, s: (f"/api/v1/disputes/{w['rejected_dispute_' + s].id}/escalate",
                           {"json": {"note": "Please review the CCTV."}}),
             scoped(dealer=OWN_OR_404)),
    Endpoint("dispute history", "GET", "/api/v1/disputes/<int:dispute_id>/events",
             lambda w, s: (f"/api/v1/disputes/{w['open_dispute_' + s].id}/events", {}), scoped(**STAFF_200)),
    Endpoint("dispute statistics", "GET", "/api/v1/disputes/stats",
             lambda w, s: (f"/api/v1/disputes/stats?wave={w['wave'].code}", {}),
             only({"admin": 200, "qa": 200, "manager": 200}), scoped=False),
    Endpoint("dealer scorecard PDF", "GET", "/api/v1/dealers/<int:dealer_id>/scorecard.pdf",
             lambda w, s: (f"/api/v1/dealers/{w['d1' if s == 'own' else 'd2'].id}/scorecard.pdf"
                           f"?wave={w['wave'].code}&lang=en", {}),
             scoped(**STAFF_200, manager=OWN_OR_404, dealer=OWN_OR_404)),
    Endpoint("region report PDF", "GET", "/api/v1/regions/<int:region_id>/report.pdf",
             lambda w, s: (f"/api/v1/regions/{w['r1' if s == 'own' else 'r2'].id}/report.pdf"
                           f"?wave={w['wave'].code}&lang=en", {}),
             scoped(**STAFF_200, manager=OWN_OR_404)),
    # --- webhooks (admin only) ---
    Endpoint("list webhooks", "GET", "/api/v1/webhooks", lambda w, s: ("/api/v1/webhooks", {}),
             only({"admin": 200}), scoped=False),
    Endpoint("create webhook", "POST", "/api/v1/webhooks",
             lambda w, s: ("/api/v1/webhooks", {"json": {"url": "https://oem.example.com/in",
                                                         "events": ["audit.published"]}}),
             only({"admin": 201}), scoped=False),
    Endpoint("read webhook", "GET", "/api/v1/webhooks/<int:subscription_id>",
             lambda w, s: (f"/api/v1/webhooks/{w['webhook_' + s].id}", {}), scoped(admin=(200, 200))),
    Endpoint("update webhook", "PATCH", "/api/v1/webhooks/<int:subscription_id>",
             lambda w, s: (f"/api/v1/webhooks/{w['webhook_' + s].id}", {"json": {"active": False}}),
             scoped(admin=(200, 200))),
    Endpoint("delete webhook", "DELETE", "/api/v1/webhooks/<int:subscription_id>",
             lambda w, s: (f"/api/v1/webhooks/{w['webhook_' + s].id}", {}), scoped(admin=(204, 204))),
    Endpoint("webhook deliveries", "GET", "/api/v1/webhooks/<int:subscription_id>/deliveries",
             lambda w, s: (f"/api/v1/webhooks/{w['webhook_' + s].id}/deliveries", {}), scoped(admin=(200, 200))),
    Endpoint("bulk assignment plan", "POST", "/api/v1/waves/<string:code>/assignments",
             lambda w, s: (f"/api/v1/waves/{w['wave'].code}/assignments", {
                 "data": {"file": (io.BytesIO(
                     f"dealer,shopper,window_start,window_end,checklist\r\n{w['d1'].code},{w['s1'].email},"
                     f"2027-06-01,2027-06-07,{w['version'].key}\r\n".encode()), "plan.csv", "text/csv")},
                 "content_type": "multipart/form-data"}),
             only({"admin": 201, "qa": 201}), scoped=False),
]


# --- corrective action plans ---------------------------------------------------------------------------

def _corrective_actions(session, objects: dict[str, Any], program: str) -> None:
    """An open, a planned (with evidence) and a submitted action at each scope's dealer."""
    from datetime import date

    from auditapp.models import Action

    for scope, dealer in (("own", objects["d1"]), ("other", objects["d2"])):
        for status, item in (("open", "written_quote"), ("planned", "greet_seconds"), ("submitted", "pressure")):
            plan = {"root_cause": "No script", "measures": "Training", "responsible": "Wang",
                    "due_on": date(2027, 1, 5), "implementation_files": [{"sha256": "a" * 64, "audit_id": "x"}]} \
                if status != "open" else {}
            action = Action(dealer_id=dealer.id, wave_id=objects["wave"].id, program=program, item_key=item,
                            item_text={"zh": item, "en": item}, origin="top_gap", status=status, evidence=[],
                            points_lost=1.0, knockout_cost=0.0, due_limit=date(2027, 1, 5), **plan)
            session.add(action)
            session.flush()
            objects[f"action_{status}_{scope}"] = action


def _action(w: World, status: str, scope: str) -> str:
    return f"/api/v1/actions/{w[f'action_{status}_{scope}'].id}"


ACTION_REVIEWERS = scoped(**STAFF_200, manager=OWN_OR_404)
ENDPOINTS += [
    Endpoint("list actions", "GET", "/api/v1/actions", lambda w, s: ("/api/v1/actions", {}),
             only({"admin": 200, "qa": 200, "manager": 200, "dealer": 200}), scoped=False),
    Endpoint("raise action", "POST", "/api/v1/actions",
             lambda w, s: ("/api/v1/actions", {"json": {
                 "dealer_id": w["d1" if s == "own" else "d2"].id, "wave": w["wave"].code,
                 "program": w["version"].key, "item": "greeted"}}),
             scoped(admin=(201, 201), qa=(201, 201), manager=(201, 404))),
    Endpoint("read action", "GET", "/api/v1/actions/<int:action_id>",
             lambda w, s: (_action(w, "open", s), {}), scoped(**STAFF_200, manager=OWN_OR_404, dealer=OWN_OR_404)),
    Endpoint("edit action plan", "PATCH", "/api/v1/actions/<int:action_id>",
             lambda w, s: (_action(w, "open", s), {"json": {"root_cause": "Consultants skip the quote"}}),
             scoped(dealer=OWN_OR_404)),
    Endpoint("submit action", "POST", "/api/v1/actions/<int:action_id>/submit",
             lambda w, s: (_action(w, "planned", s) + "/submit", {}), scoped(dealer=OWN_OR_404)),
    Endpoint("accept action", "POST", "/api/v1/actions/<int:action_id>/accept",
             lambda w, s: (_action(w, "submitted", s) + "/accept", {"json": {}}), ACTION_REVIEWERS),
    Endpoint("return action", "POST", "/api/v1/actions/<int:action_id>/return",
             lambda w, s: (_action(w, "submitted", s) + "/return", {"json": {"note": "Add the training list"}}),
             ACTION_REVIEWERS),
    Endpoint("action history", "GET", "/api/v1/actions/<int:action_id>/events",
             lambda w, s: (_action(w, "open", s) + "/events", {}),
             scoped(**STAFF_200, manager=OWN_OR_404, dealer=OWN_OR_404)),
    Endpoint("close wave", "POST", "/api/v1/waves/<string:code>/close",
             lambda w, s: (f"/api/v1/waves/{w['wave'].code}/close", {}), only({"admin": 200, "qa": 200}),
             scoped=False),
    # Wave exports: every reader of results gets the rows of their scope (tests/api/test_exports.py).
    Endpoint("wave export workbook", "GET", "/api/v1/waves/<code>/export.xlsx",
             lambda w, s: (f"/api/v1/waves/{w['wave'].code}/export.xlsx", {}),
             only({"admin": 200, "qa": 200, "manager": 200, "dealer": 200}), scoped=False),
    Endpoint("wave export CSV", "GET", "/api/v1/waves/<code>/export.csv",
             lambda w, s: (f"/api/v1/waves/{w['wave'].code}/export.csv?sheet=items", {}),
             only({"admin": 200, "qa": 200, "manager": 200, "dealer": 200}), scoped=False),
]


def _upload(audit: Audit) -> tuple[str, dict[str, Any]]:
    data = jpeg_bytes()
    return (f"/api/v1/audits/{audit.id}/attachments",
            {"data": {"sha256": sha256_of(data), "file": (io.BytesIO(data), "evidence.jpg", "image/jpeg")},
             "content_type": "multipart/form-data"})


CASES = [pytest.param(endpoint, role, scope, id=f"{endpoint.name}-{role}-{scope}")
         for endpoint in ENDPOINTS for role in ROLES
         for scope in (("own", "other") if endpoint.scoped and role != "anonymous" else ("own",))]


@pytest.mark.parametrize("endpoint,role,scope", CASES)
def test_access(client, world, endpoint: Endpoint, role: str, scope: str):
    path, kwargs = endpoint.request(world, scope)
    headers = {**world.tokens[role], **kwargs.pop("headers", {})}
    response = client.open(path, method=endpoint.method, headers=headers, **kwargs)
    if role == "anonymous":
        expected = 401
    else:
        own, other = endpoint.expected[role]
        expected = own if scope == "own" else other
    assert response.status_code == expected, response.get_json() if response.is_json else response.status
    if expected >= 400:
        assert set(response.get_json()) == {"code", "status", "error", "message", "errors"}


def test_every_endpoint_is_in_the_grid(app):
    covered = {(e.method, e.rule) for e in ENDPOINTS}
    served = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"} if rule.rule != "/api/v1/auth/token"}
    assert served - covered == set()
