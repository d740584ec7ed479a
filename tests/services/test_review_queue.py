"""QA's review queue (services/audits.find_audits) and the dispute queues (services/disputes.dispute_queue)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from auditapp.errors import Forbidden, NotFound
from auditapp.models import AuditFlag, Dispute
from auditapp.services.audits import find_audits
from auditapp.services.disputes import DisputePolicy, dispute_queue

UTC = timezone.utc


@pytest.fixture
def queue(make_region, make_dealer, make_user, make_wave, make_audit, db_session):
    """Four submitted audits and one draft, with known dealers, shoppers, waves, flags and times."""
    region = make_region()
    alpha, beta = make_dealer(region=region, code="ALPHA"), make_dealer(region=region, code="BETA")
    anna, zoe = make_user("shopper", display_name="Anna"), make_user("shopper", display_name="Zoe")
    w1, w2 = make_wave(), make_wave()

    def submitted(dealer, shopper, wave, at, flags=()):
        audit = make_audit(dealer=dealer, shopper=shopper, wave=wave, status="submitted", submitted_at=at,
                           flags=[{"code": c} for c in flags])
        db_session.add_all(AuditFlag(audit_id=audit.id, code=c) for c in flags)
        db_session.commit()
        return audit

    audits = {
        # 2026-08-03 01:00 UTC is 09:00 in Shanghai; 2026-08-04 17:30 UTC is 01:30 on the 5th there.
        "a": submitted(alpha, zoe, w1, datetime(2026, 8, 3, 1, 0, tzinfo=UTC), ["short_visit", "late_submission"]),
        "b": submitted(beta, anna, w1, datetime(2026, 8, 4, 17, 30, tzinfo=UTC), ["short_visit"]),
        "c": submitted(alpha, anna, w2, datetime(2026, 8, 2, 3, 0, tzinfo=UTC)),
        "d": submitted(beta, zoe, w2, datetime(2026, 8, 6, 3, 0, tzinfo=UTC),
                       ["short_visit", "late_submission", "clock_skew"]),
    }
    make_audit(dealer=alpha, shopper=anna, wave=w1, status="in_progress")
    return {"audits": audits, "alpha": alpha, "beta": beta, "anna": anna, "zoe": zoe, "w1": w1, "w2": w2,
            "qa": make_user("qa"), "region": region}


def names(found, queue) -> list[str]:
    by_id = {a.id: name for name, a in queue["audits"].items()}
    return [by_id[a.id] for a in found[0]]


def test_the_queue_sorts_by_submission_time_either_way(db_session, queue):
    qa = queue["qa"]
    assert names(find_audits(db_session, qa, status="submitted", sort="submitted"), queue) == ["c", "a", "b", "d"]
    assert names(find_audits(db_session, qa, status="submitted", sort="submitted", descending=True),
                 queue) == ["d", "b", "a", "c"]


def test_the_queue_sorts_by_dealer_shopper_and_number_of_flags_ties_by_submission(db_session, queue):
    qa = queue["qa"]
    assert names(find_audits(db_session, qa, status="submitted", sort="dealer"), queue) == ["c", "a", "b", "d"]
    assert names(find_audits(db_session, qa, status="submitted", sort="shopper"), queue) == ["c", "b", "a", "d"]
    # d has 3 flags, a 2, b 1, c none.
    assert names(find_audits(db_session, qa, status="submitted", sort="flags", descending=True),
                 queue) == ["d", "a", "b", "c"]
    assert names(find_audits(db_session, qa, status="submitted", sort="flags"), queue) == ["c", "b", "a", "d"]


def test_the_queue_filters_combine(db_session, queue):
    qa = queue["qa"]
    assert names(find_audits(db_session, qa, flag="short_visit", sort="submitted"), queue) == ["a", "b", "d"]
    assert names(find_audits(db_session, qa, flag="short_visit", wave_id=queue["w1"].id, sort="submitted"),
                 queue) == ["a", "b"]
    assert names(find_audits(db_session, qa, flag="late_submission", dealer_id=queue["beta"].id), queue) == ["d"]
    assert names(find_audits(db_session, qa, status="submitted", shopper_id=queue["anna"].id, sort="submitted"),
                 queue) == ["c", "b"]


def test_submitted_days_are_the_agencys_local_days_both_ends_included(db_session, queue):
    qa = queue["qa"]
    # b was submitted at 01:30 on 5 August in Shanghai, though 4 August in UTC.
    assert names(find_audits(db_session, qa, submitted_from=date(2026, 8, 5), submitted_to=date(2026, 8, 5)),
                 queue) == ["b"]
    assert names(find_audits(db_session, qa, submitted_from=date(2026, 8, 3), submitted_to=date(2026, 8, 5),
                             sort="submitted"), queue) == ["a", "b"]
    assert names(find_audits(db_session, qa, submitted_to=date(2026, 8, 4), sort="submitted",
                             timezone="UTC"), queue) == ["c", "a", "b"]


def test_pages_and_the_total(db_session, queue):
    qa = queue["qa"]
    first, total = find_audits(db_session, qa, status="submitted", sort="submitted", per_page=3)
    second, _ = find_audits(db_session, qa, status="submitted", sort="submitted", per_page=3, page=2)
    assert total == 4 and len(first) == 3 and len(second) == 1
    assert names((first + second, total), queue) == ["c", "a", "b", "d"]


@pytest.mark.parametrize("role", ["manager", "dealer", "shopper"])
def test_only_the_agency_filters_by_shopper(db_session, queue, make_user, role):
    scope = {"dealer": {"dealer": queue["alpha"]}, "manager": {"regions": [queue["region"]]}}.get(role, {})
    with pytest.raises(Forbidden):
        find_audits(db_session, make_user(role, **scope), shopper_id=queue["anna"].id)


# --- dispute queues -----------------------------------------------------------------------------------

POLICY = DisputePolicy(window_days=5, decision_days=5, holidays=frozenset())
NOW = datetime(2026, 8, 20, 4, 0, tzinfo=UTC)  # a Thursday


@pytest.fixture
def disputes(make_region, make_dealer, make_user, make_published_audit, db_session):
    north, south = make_region(), make_region()
    here, there = make_dealer(region=north), make_dealer(region=south)
    answers = {"greeted": {"value": "no"}, "written_quote": {"value": "no"}, "pressure": {"value": 2}}

    def dispute(dealer, item, status, filed_days_ago, escalated_days_ago=None):
        audit = make_published_audit(answers, dealer=dealer)
        d = Dispute(audit_id=audit.id, dealer_id=dealer.id, item_key=item, status=status, claim="wrong",
                    requested_outcome="pass", evidence=[], filed_by_id=make_user("dealer", dealer=dealer).id,
                    filed_at=NOW - timedelta(days=filed_days_ago),
                    escalated_at=NOW - timedelta(days=escalated_days_ago) if escalated_days_ago else None)
        db_session.add(d)
        db_session.commit()
        return d

    made = {
        "recent": dispute(here, "greeted", "open", 1),
        "overdue_old": dispute(there, "written_quote", "open", 20),
        "overdue": dispute(here, "pressure", "open", 9),
        "middle": dispute(there, "greeted", "open", 3),
        "decided": dispute(here, "written_quote", "rejected", 2),
        "escalated_here": dispute(here, "greeted", "escalated", 15, escalated_days_ago=1),
        "escalated_there": dispute(there, "pressure", "escalated", 15, escalated_days_ago=12),
    }
    db_session.expire_all()  # the disputes' audits, read back as a request would
    return {"d": made, "north": north, "south": south}


def labels(queued, disputes) -> list[str]:
    by_id = {d.id: name for name, d in disputes["d"].items()}
    return [by_id[q.dispute.id] for q in queued]


def test_qa_sees_open_disputes_overdue_first_then_by_deadline(db_session, disputes, make_user):
    queued = dispute_queue(db_session, make_user("qa"), POLICY, now=NOW)
    assert labels(queued, disputes) == ["overdue_old", "overdue", "middle", "recent"]
    assert [q.overdue for q in queued] == [True, True, False, False]
    assert all(q.deadline > NOW for q in queued if not q.overdue)
    # 5 working days from Wednesday 19 Aug, local midnight after the last: Thursday 27 Aug 00:00 Shanghai.
    recent = next(q for q in queued if q.dispute.id == disputes["d"]["recent"].id)
    assert recent.deadline == datetime(2026, 8, 26, 16, 0, tzinfo=UTC)


def test_a_manager_sees_only_the_escalations_of_their_regions(db_session, disputes, make_user):
    north_manager = make_user("manager", regions=[disputes["north"]])
    both = make_user("manager", regions=[disputes["north"], disputes["south"]])
    assert labels(dispute_queue(db_session, north_manager, POLICY, now=NOW), disputes) == ["escalated_here"]
    queued = dispute_queue(db_session, both, POLICY, now=NOW)
    # The manager's deadline counts from the escalation: 12 days ago is overdue, yesterday is not.
    assert labels(queued, disputes) == ["escalated_there", "escalated_here"]
    assert [q.overdue for q in queued] == [True, False]


@pytest.mark.parametrize("role", ["dealer", "shopper"])
def test_dealers_and_shoppers_have_no_dispute_queue(db_session, disputes, make_user, role):
    dealer = disputes["d"]["recent"].audit.dealer if role == "dealer" else None
    with pytest.raises(Forbidden):
        dispute_queue(db_session, make_user(role, dealer=dealer), POLICY, now=NOW)


def test_the_dispute_sheet_tells_who_may_decide(db_session, disputes, make_user):
    from auditapp.services.dispute_review import dispute_sheet

    north = make_user("manager", regions=[disputes["north"]])
    qa = make_user("qa")
    open_one, escalated = disputes["d"]["recent"], disputes["d"]["escalated_here"]
    sheet = dispute_sheet(db_session, qa, open_one.id, POLICY, now=NOW)
    assert sheet.may_decide and not sheet.overdue and sheet.item.key == "greeted"
    assert sheet.answer == {"value": "no"} and sheet.score_version == 1
    # The manager sees an open dispute of their region but decides only escalated ones; QA the reverse.
    assert dispute_sheet(db_session, north, open_one.id, POLICY, now=NOW).may_decide is False
    assert dispute_sheet(db_session, north, escalated.id, POLICY, now=NOW).may_decide is True
    assert dispute_sheet(db_session, qa, escalated.id, POLICY, now=NOW).may_decide is False
    assert dispute_sheet(db_session, qa, disputes["d"]["decided"].id, POLICY, now=NOW).may_decide is False
    south = make_user("manager", regions=[disputes["south"]])
    with pytest.raises(NotFound):
        dispute_sheet(db_session, south, escalated.id, POLICY, now=NOW)


def test_the_region_dashboard_opens_on_the_latest_wave_with_results(db_session, make_region, make_dealer, make_wave,
                                                                     make_user, make_published_audit, make_audit):
    """A wave being assigned (its visits not yet made) is newer, but has nothing to show: the manager's
    dashboard opens on the latest wave with published audits; the new wave stays one click away."""
    from datetime import date

    from auditapp.services.region_dashboard import dashboard_choice

    region = make_region()
    dealer = make_dealer(region=region)
    done = make_wave(starts_on=date(2026, 7, 1), ends_on=date(2026, 9, 30))
    upcoming = make_wave(starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31))
    make_published_audit({}, dealer=dealer, wave=done)
    make_audit(dealer=dealer, wave=upcoming)
    manager = make_user("manager", regions=[region])
    choice = dashboard_choice(db_session, manager, region_id=None, wave_code=None, program=None)
    assert choice.wave.id == done.id
    assert [w.id for w in choice.waves][:2] == [upcoming.id, done.id]
    assert dashboard_choice(db_session, manager, region_id=None, wave_code=upcoming.code, program=None).wave.id \
        == upcoming.id
