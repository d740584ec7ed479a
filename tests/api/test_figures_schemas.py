"""The scorecard and leaderboard response schemas lose nothing the services return.

marshmallow drops, without a word, every key a schema does not declare when it dumps a response: a
key added to `dealer_scorecard` or `region_leaderboard` without its schema field would vanish from the
API. So a realistic wave (knock-outs of both scopes, disputes in every state and a revision, movers,
dealers with too few visits, several regions, an earlier wave) goes through the services and then
through the schemas, and every key at every depth must come out with the same value.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest
from fixtures.contract import assert_conforms
from fixtures.factories import small_checklist_document

from auditapp.api.schemas import LeaderboardSchema, ScorecardSchema
from auditapp.models import Dispute
from auditapp.services.disputes import DisputePolicy, decide
from auditapp.services.figures import dealer_scorecard, load_wave, region_leaderboard

HASH = "b" * 64
PERFECT = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 10},
           "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 5}}
NO_QUOTE = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 45},
            "written_quote": {"value": "no", "comment": "No  written quote,\n only a number on a card."},
            "pressure": {"value": 5}}
SLOW = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 45},
        "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 3, "comment": "Pushy"}}
NOT_GREETED = {"greeted": {"value": "no", "comment": "Nobody came for ten minutes"},
               "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"na": True}}
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def differences(served: Any, dumped: Any, path: str = "$") -> list[str]:
    """Where the dump differs from what the service returned: missing or extra keys, other values."""
    if isinstance(served, dict):
        if not isinstance(dumped, dict):
            return [f"{path}: {type(dumped).__name__} instead of an object"]
        out = [f"{path}.{key}: dropped" for key in served.keys() - dumped.keys()]
        out += [f"{path}.{key}: added" for key in dumped.keys() - served.keys()]
        for key in sorted(served.keys() & dumped.keys()):
            out += differences(served[key], dumped[key], f"{path}.{key}")
        return out
    if isinstance(served, (list, tuple)):
        if not isinstance(dumped, list) or len(dumped) != len(served):
            return [f"{path}: {dumped!r} instead of {served!r}"]
        return [d for i, (s, x) in enumerate(zip(served, dumped)) for d in differences(s, x, f"{path}[{i}]")]
    if served != dumped or type(served) is bool and type(dumped) is not bool:
        return [f"{path}: {dumped!r} instead of {served!r}"]
    return []


def test_the_difference_check_sees_a_dropped_nested_key_and_a_changed_value():
    served = {"a": [{"b": 1.5, "c": None}], "d": {"e": "x"}}
    assert differences(served, {"a": [{"b": 1.5, "c": None}], "d": {"e": "x"}}) == []
    assert differences(served, {"a": [{"b": 1.5}], "d": {"e": "x"}}) == ["$.a[0].c: dropped"]
    assert set(differences(served, {"a": [{"b": 1, "c": None}], "d": {"e": "y"}})) == {
        "$.a[0].b: 1 instead of 1.5", "$.d.e: 'y' instead of 'x'"}


def filled(rows: list[dict[str, Any]], *keys: str) -> set[str]:
    """The keys (among `keys`) that hold something in at least one of the responses."""
    return {key for key in keys if any(row[key] for row in rows)}


@pytest.fixture
def wave_data(db_session, make_region, make_dealer, make_wave, make_checklist_version, make_published_audit,
              make_user, app):
    document = small_checklist_document()
    document["sections"][1]["items"][0]["critical"] = "audit"
    document["sections"][1]["items"][0]["owner"] = "sales_manager"
    document["sections"][1]["items"][0]["action"] = {"zh": "每次都给书面报价", "en": "Always hand a written quote"}
    document["sections"][0]["items"][1]["owner"] = "reception"
    version = make_checklist_version(document)
    east, west, north = (make_region(code=c) for c in ("EAST", "WEST", "NORTH"))
    previous = make_wave(code="2026-Q2", starts_on=date(2026, 4, 1), ends_on=date(2026, 6, 30))
    wave = make_wave(code="2026-Q3")
    e1 = make_dealer(region=east, code="E01", timezone="Asia/Shanghai")
    e2, e3, e4 = (make_dealer(region=east, code=c) for c in ("E02", "E03", "E04"))
    e5 = make_dealer(region=east, code="E05")
    w1, w2, w3 = (make_dealer(region=west, code=c) for c in ("W01", "W02", "W03"))
    n1 = make_dealer(region=north, code="N01")
    before = datetime(2026, 5, 5, 2, 0, tzinfo=timezone.utc)
    plan = {e1: ([NO_QUOTE, SLOW], [PERFECT, NO_QUOTE, SLOW]), e2: ([PERFECT, PERFECT], [NOT_GREETED, NO_QUOTE]),
            e3: ([SLOW], [NOT_GREETED, SLOW]), e4: ([], [PERFECT, PERFECT]), e5: ([], [SLOW]),
            w1: ([PERFECT, SLOW], [NO_QUOTE, NO_QUOTE]), w2: ([], [NO_QUOTE, PERFECT]), w3: ([], [NO_QUOTE, NO_QUOTE]),
            n1: ([PERFECT], [PERFECT, PERFECT])}
    audits = {}
    for dealer, (earlier, now) in plan.items():
        for visit in earlier:
            make_published_audit(visit, dealer=dealer, wave=previous, checklist_version=version, visited=before)
        for day, visit in enumerate(now, start=3):
            audits.setdefault(dealer.code, []).append(make_published_audit(
                visit, dealer=dealer, wave=wave, checklist_version=version,
                visited=datetime(2026, 8, day, 17, 30, tzinfo=timezone.utc)))
    gm = make_user("dealer", dealer=e1)
    qa = make_user("qa")

    def dispute(audit, item, filed, **fields):
        row = Dispute(audit_id=audit.id, dealer_id=audit.dealer_id, item_key=item, claim="The quote was given",
                      requested_outcome="pass", filed_by_id=gm.id, filed_at=filed, **fields)
        db_session.add(row)
        db_session.commit()
        return row

    upheld = dispute(audits["E01"][1], "written_quote", datetime(2026, 8, 6, 2, 0, tzinfo=timezone.utc))
    decide(db_session, qa, upheld.id, outcome="upheld", reason="The quote photo was filed late",
           now=datetime(2026, 8, 7, 2, 0, tzinfo=timezone.utc))
    dispute(audits["E01"][2], "pressure", datetime(2026, 8, 7, 2, 0, tzinfo=timezone.utc))
    dispute(audits["E02"][0], "greeted", datetime(2026, 8, 6, 2, 0, tzinfo=timezone.utc), status="escalated",
            qa_outcome="rejected", qa_reason="No evidence", qa_decided_by_id=qa.id,
            qa_decided_at=datetime(2026, 8, 8, 2, 0, tzinfo=timezone.utc),
            escalated_at=datetime(2026, 8, 9, 2, 0, tzinfo=timezone.utc), escalation_note="Please look again")
    dispute(audits["E02"][1], "written_quote", datetime(2026, 8, 6, 2, 0, tzinfo=timezone.utc), status="rejected",
            qa_outcome="rejected", qa_reason="The photo shows no quote", qa_decided_by_id=qa.id,
            qa_decided_at=datetime(2026, 8, 8, 2, 0, tzinfo=timezone.utc))
    db_session.commit()
    policy = DisputePolicy.from_config(app.config)
    data = load_wave(db_session, "2026-Q3", app.config["MIN_RANKED_AUDITS"], dispute_policy=policy)
    return data, policy, [e1, e2, e3, e4, e5, w1, w2, w3, n1], [east, west, north]


def test_every_scorecard_key_survives_the_schema_at_every_depth(wave_data):
    data, _, dealers, _ = wave_data
    cards = [dealer_scorecard(data, dealer) for dealer in dealers]
    # The wave holds every kind of row the scorecard can list, so that no nested schema goes untried: E04
    # fully met the greeting time in both its visits where most of the East's visits only partly did
    # (a strength); W01 and W03 never hand a written quote (a standard issue of the West).
    lists = ("knockout_summary", "sections", "dimensions", "gaps", "strengths", "trend", "audits", "revisions",
             "disputes")
    assert filled(cards, *lists, "rank", "nation_rank", "change", "change_too_few_visits") == {
        *lists, "rank", "nation_rank", "change", "change_too_few_visits"}
    assert any(d["qa_decision"] and d["escalation"] for c in cards for d in c["disputes"])
    assert any(r["dispute"] for c in cards for r in c["revisions"])
    assert any(g["observed"] and g["owner_title"] for c in cards for g in c["gaps"])
    for card in cards:
        dumped = ScorecardSchema().dump(card)
        assert differences(card, dumped) == [], card["dealer"]["code"]


def test_every_leaderboard_key_survives_the_schema_at_every_depth(wave_data):
    data, policy, _, regions = wave_data
    boards = [region_leaderboard(data, region, policy=policy, now=NOW) for region in regions]
    lists = ("trend", "regions", "ranked", "insufficient_sample", "gaps", "breaches", "standard_issues",
             "sections", "dimensions", "movers", "movers_too_few_visits")
    assert filled(boards, *lists, "region_rank") == {*lists, "region_rank"}
    assert any(b["open_disputes"]["overdue_list"] for b in boards)
    assert any(g["drivers"] for b in boards for g in b["gaps"])
    for board in boards:
        dumped = LeaderboardSchema().dump(board)
        assert differences(board, dumped) == [], board["region"]["code"]


def test_the_served_scorecards_and_leaderboards_conform_to_the_openapi_document(wave_data, client, make_user,
                                                                                 auth_for):
    """Every field typed as required and non-null really is so in what the API serves."""
    _, _, dealers, regions = wave_data
    qa = auth_for(make_user("qa"))
    document = client.get("/api/openapi.json").json
    for dealer in dealers:
        response = client.get(f"/api/v1/dealers/{dealer.id}/scorecard?wave=2026-Q3", headers=qa)
        assert response.status_code == 200, response.json
        assert_conforms(document, "GET", "/api/v1/dealers/{dealer_id}/scorecard", response)
    for region in regions:
        response = client.get(f"/api/v1/regions/{region.id}/leaderboard?wave=2026-Q3", headers=qa)
        assert response.status_code == 200, response.json
        assert_conforms(document, "GET", "/api/v1/regions/{region_id}/leaderboard", response)
