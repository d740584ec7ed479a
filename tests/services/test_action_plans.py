"""Corrective action plans (services/actions.py): raised on publication and at wave close from the
scorecard's figures, the plan's life cycle with return and resubmit, due dates, overdue marking, and
the verdict of the program's next wave.

The checklist is the factories' mini checklist. With every item scored, the global weights are
greeted 2/3·2/3 = 4/9, greet_seconds 2/3·1/3 = 2/9 (card_photo weighs 0), written_quote 1/3·3/4 = 1/4
and pressure 1/3·1/4 = 1/12; a scale answer v scores (v − 1)/4.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from auditapp.errors import Conflict, InvalidInput, NotFound
from auditapp.models import Action, ActionEvent, Answer, AppendOnlyViolation, Attachment
from auditapp.services import actions, review

POLICY = actions.ActionPolicy(due_days=30, top_gaps=2, gaps_at="publication")
RAISED = datetime(2026, 8, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai

GOOD = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 20}, "written_quote": {"value": "yes"},
        "pressure": {"value": 5}}


@pytest.fixture
def world(make_region, make_dealer, make_wave, make_user, make_checklist_version):
    region = make_region()
    return {"region": region, "dealer": make_dealer(region=region), "other": make_dealer(),
            "wave": make_wave(starts_on=date(2026, 7, 1), ends_on=date(2026, 9, 30)),
            "next_wave": make_wave(starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31)),
            "version": make_checklist_version(), "qa": make_user("qa"),
            "manager": make_user("manager", regions=[region])}


@pytest.fixture
def publish(db_session, make_audit, world):
    """Publish an audit through QA approval (services/review.approve), as the API does."""
    def make(answers, *, dealer=None, wave=None, policy=POLICY, visited=RAISED):
        audit = make_audit(dealer=dealer or world["dealer"], wave=wave or world["wave"],
                           checklist_version=world["version"], status="submitted", submitted_at=visited,
                           visit_started_at=visited, visit_ended_at=visited + timedelta(minutes=40))
        for key, answer in answers.items():
            db_session.add(Answer(audit_id=audit.id, item_key=key, value=answer.get("value"),
                                  na=answer.get("na", False), attachments=answer.get("attachments", [])))
        db_session.flush()
        review.approve(db_session, world["qa"], audit, action_policy=policy, min_ranked=2)
        db_session.flush()
        return audit
    return make


def _actions(db_session, dealer) -> dict[str, Action]:
    return {a.item_key: a for a in db_session.scalars(select(Action).where(Action.dealer_id == dealer.id))}


def _kinds(db_session, action) -> list[str]:
    return [e.kind for e in actions.action_events(db_session, action.id)]


def test_a_failed_knockout_raises_one_action_and_a_second_failed_visit_adds_evidence(db_session, publish, world):
    first = publish({**GOOD, "greeted": {"value": "no"}})
    only = _actions(db_session, world["dealer"])
    assert list(only) == ["greeted"]  # top gaps: the knock-out is no top gap, and nothing else failed
    action = only["greeted"]
    assert (action.origin, action.status, action.program) == ("knockout", "open", world["version"].key)
    assert action.item_text == {"zh": "有人问候", "en": "Greeted"}
    assert [v["audit_id"] for v in action.evidence] == [str(first.id)]
    assert action.evidence[0]["visited_on"] == "2026-08-10" and action.evidence[0]["knockout"] is True
    # greeted no: greet_seconds hidden, so greeting = {greeted} alone; L = 100 · 2/3 · 1 = 66.67, and the
    # section knock-out costs what was left of the section: 0 (its raw score was 0 already).
    assert action.points_lost == pytest.approx(200 / 3)
    assert action.knockout_cost == pytest.approx(0.0)
    # The due limit: 30 days after the local date it was raised (published today, so today's date).
    assert action.due_limit == action.raised_at.astimezone(timezone(timedelta(hours=8))).date() + timedelta(days=30)

    second = publish({**GOOD, "greeted": {"value": "no"}}, visited=RAISED + timedelta(days=2))
    again = _actions(db_session, world["dealer"])
    assert list(again) == ["greeted"] and again["greeted"].id == action.id
    assert [v["audit_id"] for v in again["greeted"].evidence] == [str(first.id), str(second.id)]
    assert _kinds(db_session, action) == ["action_raised", "evidence_added"]


def test_top_gaps_at_publication_worked_out_by_hand(db_session, publish, world):
    # Visit A: greet_seconds 45 s → r = 0.5, L = 100 · 2/9 · 0.5 = 11.11; written_quote no → L = 25;
    #          pressure 3 → r = 0.5, L = 100 · 1/12 · 0.5 = 4.17. Top 2: written_quote, greet_seconds.
    publish({**GOOD, "greet_seconds": {"value": 45}, "written_quote": {"value": "no"}, "pressure": {"value": 3}})
    raised = _actions(db_session, world["dealer"])
    assert sorted(raised) == ["greet_seconds", "written_quote"]
    assert raised["greet_seconds"].points_lost == pytest.approx(100 * 2 / 9 * 0.5)
    # Visit B: everything met but pressure 1 → r = 0, L = 8.33. Dealer means: written_quote 12.5,
    # pressure (4.17 + 8.33) / 2 = 6.25, greet_seconds 5.56: the top 2 are now written_quote and
    # pressure; pressure is added, greet_seconds keeps its action (recomputing never deletes one).
    publish({**GOOD, "pressure": {"value": 1}}, visited=RAISED + timedelta(days=1))
    raised = _actions(db_session, world["dealer"])
    assert sorted(raised) == ["greet_seconds", "pressure", "written_quote"]
    assert raised["written_quote"].points_lost == pytest.approx(12.5)
    assert raised["pressure"].points_lost == pytest.approx(6.25)
    assert raised["greet_seconds"].points_lost == pytest.approx(100 / 18)  # evidence refreshed to the mean
    assert raised["pressure"].origin == "top_gap"
    assert [v["points_lost"] for v in raised["pressure"].evidence] == pytest.approx([100 / 24, 100 / 12])


def test_top_gaps_only_when_the_wave_is_closed_then_idempotent(db_session, publish, world):
    closing = actions.ActionPolicy(due_days=30, top_gaps=1, gaps_at="wave_close")
    publish({**GOOD, "written_quote": {"value": "no"}}, policy=closing)
    publish({**GOOD, "pressure": {"value": 3}}, policy=closing, dealer=world["other"])
    assert _actions(db_session, world["dealer"]) == {}  # nothing failed a knock-out; the wave is open

    closure, raised = actions.close_wave(db_session, world["qa"], world["wave"].code, closing, min_ranked=2)
    # dealer: written_quote L = 25; other: pressure L = 100 · 1/12 · 0.5 = 4.17 — each dealer's top 1.
    assert sorted((a.dealer_id, a.item_key) for a in raised) == sorted(
        [(world["dealer"].id, "written_quote"), (world["other"].id, "pressure")])
    events = db_session.scalars(select(ActionEvent).where(ActionEvent.kind == "wave_closed")).all()
    assert len(events) == 1 and events[0].wave_id == world["wave"].id

    again, none = actions.close_wave(db_session, world["qa"], world["wave"].code, closing, min_ranked=2)
    assert none == [] and again.closed_at == closure.closed_at
    assert len(db_session.scalars(select(ActionEvent).where(ActionEvent.kind == "wave_closed")).all()) == 1
    with pytest.raises(NotFound):
        actions.close_wave(db_session, world["qa"], "NO-SUCH-WAVE", closing, min_ranked=2)


def test_recomputed_top_gaps_add_new_ones_and_never_delete_a_started_plan(db_session, publish, world, dealer_user):
    one = actions.ActionPolicy(due_days=30, top_gaps=1, gaps_at="publication")
    publish({**GOOD, "pressure": {"value": 3}}, policy=one)
    first = _actions(db_session, world["dealer"])["pressure"]
    actions.update_plan(db_session, dealer_user, first.id, {"root_cause": "No script"})
    publish({**GOOD, "written_quote": {"value": "no"}}, policy=one)
    # Now written_quote (25 / 2 = 12.5) is the top gap; pressure (4.17 / 2) stays with its plan.
    now = _actions(db_session, world["dealer"])
    assert sorted(now) == ["pressure", "written_quote"]
    assert now["pressure"].root_cause == "No script"


@pytest.fixture
def dealer_user(make_user, world):
    return make_user("dealer", dealer=world["dealer"])


@pytest.fixture
def evidence(db_session, publish, world, dealer_user):
    """A file the dealer uploaded to one of its published audits (as POST /audits/{id}/attachments stores it)."""
    def make(audit, sha: str = "a" * 64) -> str:
        if db_session.scalar(select(Attachment).where(Attachment.audit_id == audit.id, Attachment.sha256 == sha)):
            return sha
        db_session.add(Attachment(audit_id=audit.id, sha256=sha, size=3, content_type="image/jpeg",
                                  uploaded_by_id=dealer_user.id))
        db_session.flush()
        return sha
    return make


PLAN = {"root_cause": "Consultants quote verbally to save time", "measures": "Printed quote for every customer",
        "responsible": "Sales manager Wang"}


def test_life_cycle_with_return_and_resubmit(db_session, publish, world, dealer_user, evidence):
    audit = publish({**GOOD, "written_quote": {"value": "no"}})
    action = _actions(db_session, world["dealer"])["written_quote"]
    with pytest.raises(Conflict) as incomplete:
        actions.submit(db_session, dealer_user, action.id)
    assert incomplete.value.code == "action.plan_incomplete"

    actions.update_plan(db_session, dealer_user, action.id, PLAN)
    assert action.status == "open"  # no due date yet
    actions.update_plan(db_session, dealer_user, action.id, {"due_on": action.due_limit})
    assert action.status == "planned"
    with pytest.raises(Conflict) as no_files:
        actions.submit(db_session, dealer_user, action.id)
    assert no_files.value.code == "action.evidence_required"
    sha = evidence(audit)
    actions.update_plan(db_session, dealer_user, action.id, {"evidence": [sha]})
    assert action.implementation_files == [{"sha256": sha, "audit_id": str(audit.id)}]
    actions.submit(db_session, dealer_user, action.id)
    assert action.status == "submitted"
    with pytest.raises(Conflict):
        actions.update_plan(db_session, dealer_user, action.id, {"measures": "changed after submitting"})

    actions.review(db_session, world["manager"], action.id, accept=False, note="Show the printed quotes",
                   min_ranked=2)
    assert (action.status, action.review_note) == ("returned", "Show the printed quotes")
    with pytest.raises(Conflict):
        actions.submit(db_session, dealer_user, action.id)  # edit first: a returned plan goes back to planned
    actions.update_plan(db_session, dealer_user, action.id, {"measures": "Printed quote, signed by the customer"})
    assert action.status == "planned"
    actions.submit(db_session, dealer_user, action.id)
    actions.review(db_session, world["manager"], action.id, accept=True, note=None, min_ranked=2)
    assert action.status == "accepted" and action.verification is None  # no next wave yet
    with pytest.raises(Conflict):
        actions.review(db_session, world["manager"], action.id, accept=True, note=None, min_ranked=2)

    assert _kinds(db_session, action) == ["action_raised", "plan_saved", "plan_saved", "plan_saved", "submitted",
                                          "returned", "plan_saved", "submitted", "accepted"]
    history = actions.action_events(db_session, action.id)
    assert (history[5].before["status"], history[5].after["status"]) == ("submitted", "returned")
    assert history[5].note == "Show the printed quotes" and history[5].actor_id == world["manager"].id
    history[0].note = "rewritten"
    with pytest.raises(AppendOnlyViolation):
        db_session.flush()
    db_session.rollback()


def test_due_date_limit_and_evidence_must_be_the_dealers_upload(db_session, publish, world, dealer_user,
                                                                make_user, make_audit):
    publish({**GOOD, "written_quote": {"value": "no"}})
    action = _actions(db_session, world["dealer"])["written_quote"]
    with pytest.raises(InvalidInput) as late:
        actions.update_plan(db_session, dealer_user, action.id, {"due_on": action.due_limit + timedelta(days=1)})
    assert late.value.code == "action.due_out_of_range"
    with pytest.raises(InvalidInput):
        actions.update_plan(db_session, dealer_user, action.id, {"due_on": date(2026, 1, 1)})
    # A shopper's photo on the dealer's audit is no evidence of implementation, nor an unknown hash.
    shopper_file = Attachment(audit_id=uuid.UUID(action.evidence[0]["audit_id"]), sha256="b" * 64, size=3,
                              content_type="image/jpeg", uploaded_by_id=make_user("shopper").id)
    db_session.add(shopper_file)
    db_session.flush()
    for sha in ("b" * 64, "c" * 64):
        with pytest.raises(InvalidInput) as missing:
            actions.update_plan(db_session, dealer_user, action.id, {"evidence": [sha]})
        assert missing.value.code == "action.upload_evidence_first"
    assert action.status == "open" and action.due_on is None and action.implementation_files == []
    other_dealer = make_user("dealer", dealer=world["other"])
    with pytest.raises(NotFound):
        actions.update_plan(db_session, other_dealer, action.id, PLAN)


def test_overdue_is_computed_against_the_plan_or_the_limit(db_session, publish, world, dealer_user, evidence):
    audit = publish({**GOOD, "written_quote": {"value": "no"}})
    action = _actions(db_session, world["dealer"])["written_quote"]
    limit_end = datetime.combine(action.due_limit + timedelta(days=1), datetime.min.time(),
                                 timezone(timedelta(hours=8)))
    assert not action.is_overdue(limit_end - timedelta(seconds=1))
    assert action.is_overdue(limit_end)
    raised_on = action.due_limit - timedelta(days=30)
    actions.update_plan(db_session, dealer_user, action.id, {**PLAN, "due_on": raised_on + timedelta(days=7),
                                                              "evidence": [evidence(audit)]})
    day_after = datetime.combine(raised_on + timedelta(days=8), datetime.min.time(), timezone(timedelta(hours=8)))
    assert action.is_overdue(day_after) and not action.is_overdue(day_after - timedelta(minutes=1))
    listed = actions.find_actions(db_session, world["manager"], overdue=True, now=day_after)
    assert [a.id for a in listed] == [action.id]
    assert actions.find_actions(db_session, world["manager"], overdue=False, now=day_after) == []
    actions.submit(db_session, dealer_user, action.id)
    assert action.is_overdue(day_after)  # submitted but not accepted: still late
    actions.review(db_session, world["qa"], action.id, accept=True, note="ok", min_ranked=2)
    assert not action.is_overdue(day_after + timedelta(days=365))


def _accept(db_session, action, dealer_user, world, evidence, audit):
    actions.update_plan(db_session, dealer_user, action.id, {**PLAN, "due_on": action.due_limit,
                                                              "evidence": [evidence(audit)]})
    actions.submit(db_session, dealer_user, action.id)
    actions.review(db_session, world["manager"], action.id, accept=True, note=None, min_ranked=2)


def test_next_wave_verifies_effective_and_not_effective(db_session, publish, world, dealer_user, evidence):
    audit = publish({**GOOD, "written_quote": {"value": "no"}, "pressure": {"value": 3}})
    raised = _actions(db_session, world["dealer"])
    assert sorted(raised) == ["pressure", "written_quote"]
    _accept(db_session, raised["written_quote"], dealer_user, world, evidence, audit)
    _accept(db_session, raised["pressure"], dealer_user, world, evidence, audit)
    later = datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc)

    # Next wave, visit 1: written quote given, pressure 5 (r = 1) → both effective so far (1 of 1).
    publish(GOOD, wave=world["next_wave"], visited=later)
    quote, pressure = raised["written_quote"], raised["pressure"]
    assert (quote.verification, quote.verified_visits, quote.verified_fully_met) == ("effective", 1, 1)
    assert quote.verified_wave_id == world["next_wave"].id
    assert (pressure.verification, pressure.verified_visits, pressure.verified_fully_met) == ("effective", 1, 1)

    # Visit 2: pressure 4 (r = 0.75, partly met) → not effective, 1 of 2 fully met; quote stays effective 2/2.
    publish({**GOOD, "pressure": {"value": 4}}, wave=world["next_wave"], visited=later + timedelta(days=1))
    assert (pressure.verification, pressure.verified_visits, pressure.verified_fully_met) == ("not_effective", 2, 1)
    assert (quote.verification, quote.verified_visits, quote.verified_fully_met) == ("effective", 2, 2)
    assert _kinds(db_session, pressure)[-2:] == ["verified", "verified"]
    # Actions of the new wave for the dealer are its own (pressure is its top gap there).
    assert all(a.wave_id == world["wave"].id for a in (quote, pressure))


def test_an_action_accepted_after_the_next_wave_has_results_is_verified_at_once(db_session, publish, world,
                                                                               dealer_user, evidence):
    audit = publish({**GOOD, "written_quote": {"value": "no"}})
    action = _actions(db_session, world["dealer"])["written_quote"]
    publish({**GOOD, "written_quote": {"value": "no"}}, wave=world["next_wave"],
            visited=datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc))
    assert action.verification is None  # not accepted yet: nothing to verify
    _accept(db_session, action, dealer_user, world, evidence, audit)
    assert (action.verification, action.verified_visits, action.verified_fully_met) == ("not_effective", 1, 0)


def test_raising_by_hand(db_session, publish, world, make_user):
    publish(GOOD)
    manager = world["manager"]
    action = actions.raise_action(db_session, manager, dealer_id=world["dealer"].id, wave_code=world["wave"].code,
                                  program=world["version"].key, item_key="greet_seconds", note="Seen on CCTV",
                                  policy=POLICY, min_ranked=2)
    assert (action.origin, action.evidence, action.raised_by_id) == ("manual", [], manager.id)
    with pytest.raises(Conflict):
        actions.raise_action(db_session, manager, dealer_id=world["dealer"].id, wave_code=world["wave"].code,
                             program=world["version"].key, item_key="greet_seconds", note=None, policy=POLICY,
                             min_ranked=2)
    with pytest.raises(NotFound):  # another region's dealer
        actions.raise_action(db_session, manager, dealer_id=world["other"].id, wave_code=world["wave"].code,
                             program=world["version"].key, item_key="pressure", note=None, policy=POLICY,
                             min_ranked=2)
    for kwargs, code in (({"item_key": "nope"}, "action.unknown_item"),
                         ({"program": "nope"}, "action.no_published_visits"),
                         ({"wave_code": "NOPE"}, "action.unknown_wave")):
        with pytest.raises(InvalidInput) as refused:
            actions.raise_action(db_session, world["qa"], **{
                "dealer_id": world["dealer"].id, "wave_code": world["wave"].code, "program": world["version"].key,
                "item_key": "pressure", "note": None, "policy": POLICY, "min_ranked": 2, **kwargs})
        assert refused.value.code == code


def test_report_data_lists_open_overdue_and_verified_actions(db_session, publish, world, dealer_user, evidence):
    from auditapp.services.disputes import DisputePolicy
    from auditapp.services.figures import dealer_scorecard, load_wave, region_leaderboard

    audit = publish({**GOOD, "written_quote": {"value": "no"}, "pressure": {"value": 3}})
    raised = _actions(db_session, world["dealer"])
    _accept(db_session, raised["written_quote"], dealer_user, world, evidence, audit)
    actions.update_plan(db_session, dealer_user, raised["pressure"].id, PLAN)  # still open: no due date
    later = datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc)
    publish({**GOOD, "pressure": {"value": 4}}, wave=world["next_wave"], visited=later)

    # Read long after the pressure action's 30-day limit: it is overdue.
    read_at = RAISED + timedelta(days=400)
    data = load_wave(db_session, world["next_wave"].code, 2, world["version"].key, now=read_at)
    card = dealer_scorecard(data, world["dealer"])["actions"]
    # Open: the first wave's pressure action (not accepted) and the next wave's own top gap, pressure
    # (r = 0.75 → L = 100 · 1/12 · 0.25 = 2.08), both overdue by then.
    assert sorted((a["wave"], a["item"], a["status"]) for a in card["open"]) == sorted(
        [(world["wave"].code, "pressure", "open"), (world["next_wave"].code, "pressure", "open")])
    assert card["overdue"] == 2 and all(a["overdue"] for a in card["open"])
    assert [(a["item"], a["verification"], a["verified_visits"], a["verified_fully_met"]) for a in card["verified"]] \
        == [("written_quote", "effective", 1, 1)]

    board = region_leaderboard(data, world["region"], policy=DisputePolicy(5, 5, frozenset()), now=read_at)
    row = board["action_plans"]["dealers"][0]
    assert row["dealer"]["id"] == world["dealer"].id
    assert (row["actions"], row["open"], row["overdue"], row["effective"], row["not_effective"]) == (1, 1, 1, 1, 0)
    # The first wave's own report: its two actions, one accepted, one open (and overdue by then).
    first = load_wave(db_session, world["wave"].code, 2, world["version"].key, now=read_at)
    row = region_leaderboard(first, world["region"], policy=DisputePolicy(5, 5, frozenset()),
                             now=read_at)["action_plans"]["dealers"][0]
    assert (row["actions"], row["open"], row["accepted"], row["overdue"], row["effective"]) == (2, 1, 1, 1, 0)


def test_an_upheld_dispute_updates_the_evidence_and_the_verdict(db_session, publish, world, dealer_user, evidence):
    from auditapp.models import Dispute
    from auditapp.services import disputes

    audit = publish({**GOOD, "written_quote": {"value": "no"}})
    action = _actions(db_session, world["dealer"])["written_quote"]
    _accept(db_session, action, dealer_user, world, evidence, audit)
    later = publish({**GOOD, "written_quote": {"value": "no"}}, wave=world["next_wave"],
                    visited=datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc))
    assert (action.verification, action.verified_fully_met) == ("not_effective", 0)
    # The dealer wins a dispute on the next wave's visit: the quote counts as given, and the verdict follows.
    dispute = Dispute(audit_id=later.id, dealer_id=later.dealer_id, item_key="written_quote", status="open",
                      claim="The quote was e-mailed", requested_outcome="pass", filed_by_id=dealer_user.id)
    db_session.add(dispute)
    db_session.flush()
    disputes.decide(db_session, world["qa"], dispute.id, outcome="upheld", reason="E-mail shown")
    assert (action.verification, action.verified_visits, action.verified_fully_met) == ("effective", 1, 1)
    # The next wave's own written_quote action (its top gap) lost its only failed visit.
    next_wave_action = db_session.scalar(select(Action).where(Action.wave_id == world["next_wave"].id,
                                                              Action.item_key == "written_quote"))
    assert next_wave_action is not None and next_wave_action.evidence == [] and next_wave_action.points_lost == 0
    assert _kinds(db_session, next_wave_action)[-1] == "evidence_updated"
