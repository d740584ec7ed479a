"""QA's pages and the managers' in the test client: the review queue's filters, the review screen, approving
and returning with item notes, deciding disputes (QA, then the region's manager), dispute statistics and
the region dashboard — each as services.access allows, nothing more."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from fixtures.portal import csrf_of

from auditapp.models import Answer, Audit, AuditFlag, Dispute

UTC = timezone.utc
VISITED = datetime(2026, 8, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
# Mini checklist (fixtures.factories): greeting (W 2): greeted w2 (section knock-out), greet_seconds w1;
# negotiation (W 1): written_quote w3, pressure (scale 1..5) w1.
PUBLISHED = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 45},
             "written_quote": {"value": "no", "comment": "no quote given"}, "pressure": {"value": 3}}


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def world(make_region, make_dealer, make_user, make_wave, make_audit, db_session):
    north, south = make_region(), make_region()
    here = make_dealer(region=north, code="NORTH1", name_en="Harbour Motors", name_zh="港湾汽车")
    there = make_dealer(region=south, code="SOUTH1", name_en="Valley Cars", name_zh="山谷汽车")
    wave = make_wave(code="2026-PQ")
    anna = make_user("shopper", display_name="Anna Shopper")

    def submitted(dealer, flags, minutes=30, comment=None):
        audit = make_audit(dealer=dealer, wave=wave, shopper=anna, status="submitted", visit_started_at=VISITED,
                           visit_ended_at=VISITED + timedelta(minutes=minutes),
                           submitted_at=VISITED + timedelta(hours=1),
                           device_time_at_submit=VISITED + timedelta(hours=1), checkin_latitude=dealer.latitude,
                           checkin_longitude=dealer.longitude, checkin_accuracy_m=8.0,
                           flags=[{"code": c, "messages": {"zh": f"中文说明 {c}", "en": f"English text {c}"},
                                   "message": c, "detail": {}} for c in flags])
        db_session.add_all(AuditFlag(audit_id=audit.id, code=c) for c in flags)
        db_session.add_all([Answer(audit_id=audit.id, item_key="greeted", value="no", comment=comment),
                            Answer(audit_id=audit.id, item_key="written_quote", value="yes"),
                            Answer(audit_id=audit.id, item_key="pressure", value=4)])
        db_session.commit()
        return audit

    return {"north": north, "south": south, "here": here, "there": there, "wave": wave, "anna": anna,
            "short": submitted(here, ["short_visit"], minutes=8, comment="<script>alert(1)</script> nobody"),
            "clean": submitted(there, []),
            "qa": make_user("qa"), "manager": make_user("manager", regions=[north]),
            "other_manager": make_user("manager", regions=[south]), "dealer": make_user("dealer", dealer=here)}


# --- the queue ------------------------------------------------------------------------------------------

def test_the_queue_lists_submitted_audits_and_filters_by_flag(portal_as, world):
    qa = portal_as(world["qa"])
    page = text_of(qa.get("/portal/qa/audits"))
    assert str(world["short"].id) in page and str(world["clean"].id) in page
    assert "Anna Shopper" in page  # QA knows who the shopper was
    flagged = text_of(qa.get("/portal/qa/audits?flag=short_visit"))
    assert str(world["short"].id) in flagged and str(world["clean"].id) not in flagged
    assert "Visit too short" in flagged


def test_the_queue_names_flags_in_chinese_when_asked(portal_as, world):
    qa = portal_as(world["qa"])
    page = text_of(qa.get("/portal/qa/audits", headers={"Accept-Language": "zh-CN"}))
    assert "到店时间过短" in page and "待审核的暗访" in page


def test_a_bad_filter_is_named_and_ignored(portal_as, world):
    qa = portal_as(world["qa"])
    response = qa.get("/portal/qa/audits?flag=nonsense&from=2026-13-01")
    assert response.status_code == 200
    page = text_of(response)
    assert "“flag”" in page and "“from”" in page and str(world["clean"].id) in page


@pytest.mark.parametrize("who, status", [("manager", 404), ("dealer", 404)])
def test_the_dealer_network_has_no_review_pages(portal_as, world, who, status):
    client = portal_as(world[who])
    for path in ("/portal/qa/audits", f"/portal/qa/audits/{world['short'].id}", "/portal/qa/disputes",
                 "/portal/qa/dispute-stats"):
        response = client.get(path)
        assert response.status_code == status, path
        assert "Anna Shopper" not in text_of(response)


# --- the review screen ----------------------------------------------------------------------------------

def test_the_review_screen_shows_answers_flags_and_visit_proof(portal_as, world):
    qa = portal_as(world["qa"])
    page = text_of(qa.get(f"/portal/qa/audits/{world['short'].id}"))
    assert "English text short_visit" in page  # the flag's message in the page's language
    assert "2026-08-03 10:00:00" in page and "2026-08-03 10:08:00" in page  # local times of the visit
    assert "Asia/Shanghai" in page
    assert re.search(r'id="distance">(<[^>]+>)*0 m<', page)  # checked in at the dealer
    assert "&lt;script&gt;alert(1)&lt;/script&gt; nobody" in page and "<script>alert(1)" not in page
    assert 'name="note__greeted"' in page and 'name="note__pressure"' in page


def test_returning_with_item_notes_stores_them_for_the_shopper(portal_as, world, db_session, client, auth_for):
    qa = portal_as(world["qa"])
    audit = world["short"]
    token = csrf_of(qa.get(f"/portal/qa/audits/{audit.id}").data)
    response = qa.post(f"/portal/qa/audits/{audit.id}/return", data={
        "csrf_token": token, "notes": "Please stay the full visit.", "note__greeted": "Who greeted you?",
        "note__pressure": "   "})  # an empty note box is no note
    assert response.status_code == 303
    db_session.expire_all()
    stored = db_session.get(Audit, audit.id)
    assert stored.status == "returned" and stored.review_notes == "Please stay the full visit."
    assert stored.review_item_notes == {"greeted": "Who greeted you?"}
    shopper_view = client.get(f"/api/v1/audits/{audit.id}", headers=auth_for(world["anna"])).json
    assert shopper_view["review_item_notes"] == {"greeted": "Who greeted you?"}


def test_a_return_without_its_overall_note_is_refused_on_the_form_and_changes_nothing(portal_as, world,
                                                                                    db_session):
    qa = portal_as(world["qa"])
    audit = world["short"]
    token = csrf_of(qa.get(f"/portal/qa/audits/{audit.id}").data)
    response = qa.post(f"/portal/qa/audits/{audit.id}/return", data={
        "csrf_token": token, "notes": "", "note__greeted": "kept in the form"})
    assert response.status_code == 422
    assert "kept in the form" in text_of(response) and "field-error" in text_of(response)
    db_session.expire_all()
    assert db_session.get(Audit, audit.id).status == "submitted"


def test_a_note_on_an_item_outside_the_checklist_is_named_and_nothing_is_returned(portal_as, world, db_session):
    qa = portal_as(world["qa"])
    audit = world["short"]
    token = csrf_of(qa.get(f"/portal/qa/audits/{audit.id}").data)
    response = qa.post(f"/portal/qa/audits/{audit.id}/return", data={
        "csrf_token": token, "notes": "Please redo it.", "note__no_such_item": "a forged field"})
    assert response.status_code == 422
    assert 'id="form-problem"' in text_of(response) and "no_such_item" in text_of(response)
    db_session.expire_all()
    assert db_session.get(Audit, audit.id).status == "submitted"


def test_approving_publishes_the_audit(portal_as, world, db_session):
    qa = portal_as(world["qa"])
    audit = world["clean"]
    token = csrf_of(qa.get(f"/portal/qa/audits/{audit.id}").data)
    assert qa.post(f"/portal/qa/audits/{audit.id}/approve", data={"csrf_token": token}).status_code == 303
    db_session.expire_all()
    assert db_session.get(Audit, audit.id).status == "published"
    again = qa.post(f"/portal/qa/audits/{audit.id}/approve", data={"csrf_token": token})
    assert again.status_code == 409  # not submitted any more: the error page says so


# --- disputes -------------------------------------------------------------------------------------------

@pytest.fixture
def disputed(world, make_published_audit, make_user, db_session):
    audit = make_published_audit(PUBLISHED, dealer=world["here"], wave=world["wave"],
                                 visited=datetime.now(UTC) - timedelta(hours=3))
    dispute = Dispute(audit_id=audit.id, dealer_id=world["here"].id, item_key="written_quote", status="open",
                      claim="The quote was handed over: see the signed copy.", requested_outcome="pass",
                      evidence=[], filed_by_id=world["dealer"].id, filed_at=datetime.now(UTC) - timedelta(hours=2))
    db_session.add(dispute)
    db_session.commit()
    return dispute


def decide(client, dispute, **form):
    token = csrf_of(client.get(f"/portal/disputes/{dispute.id}/decide").data)
    return client.post(f"/portal/disputes/{dispute.id}/decide", data={"csrf_token": token, **form})


def test_qa_sees_the_dispute_in_its_queue_and_upholds_it_with_a_reason(portal_as, world, disputed, db_session):
    qa = portal_as(world["qa"])
    queue = text_of(qa.get("/portal/qa/disputes"))
    assert f'data-dispute="{disputed.id}"' in queue and "NORTH1" in queue
    page = text_of(qa.get(f"/portal/disputes/{disputed.id}/decide"))
    assert "The quote was handed over" in page and "no quote given" in page  # the claim and the answer
    assert decide(qa, disputed, outcome="upheld", reason="").status_code == 422  # a reason is required
    response = decide(qa, disputed, outcome="upheld", reason="The signed quote is convincing.")
    assert response.status_code == 303
    db_session.expire_all()
    stored = db_session.get(Dispute, disputed.id)
    assert stored.status == "upheld" and stored.qa_reason == "The signed quote is convincing."
    assert stored.score_version == 2
    assert f'data-dispute="{disputed.id}"' not in text_of(qa.get("/portal/qa/disputes"))


def test_a_partial_decision_takes_the_items_value(portal_as, world, make_published_audit, db_session):
    audit = make_published_audit(PUBLISHED, dealer=world["here"], wave=world["wave"],
                                 visited=datetime.now(UTC) - timedelta(hours=3))
    dispute = Dispute(audit_id=audit.id, dealer_id=world["here"].id, item_key="pressure", status="open",
                      claim="The consultant was not pushy at all.", requested_outcome="pass", evidence=[],
                      filed_by_id=world["dealer"].id, filed_at=datetime.now(UTC))
    db_session.add(dispute)
    db_session.commit()
    qa = portal_as(world["qa"])
    assert decide(qa, dispute, outcome="partially_upheld", value="9", reason="Partly right.").status_code == 422
    assert decide(qa, dispute, outcome="partially_upheld", value="4", reason="Partly right.").status_code == 303
    db_session.expire_all()
    assert db_session.get(Dispute, dispute.id).override == {"value": 4}


def test_the_regions_manager_decides_an_escalation_finally_and_another_region_sees_nothing(
        portal_as, world, disputed, db_session):
    disputed.status, disputed.qa_outcome, disputed.qa_reason = "escalated", "rejected", "No proof."
    disputed.qa_decided_at = disputed.escalated_at = datetime.now(UTC)
    disputed.escalation_note = "We attached the signed quote."
    db_session.commit()
    stranger = portal_as(world["other_manager"])
    for path in (f"/portal/disputes/{disputed.id}/decide", "/portal/region/escalations", "/portal/region"):
        response = stranger.get(path)
        body = text_of(response)
        assert "Harbour Motors" not in body and "NORTH1" not in body and f'data-dispute="{disputed.id}"' not in body
    refused = stranger.get(f"/portal/disputes/{disputed.id}/decide")
    assert refused.status_code == 404
    token = csrf_of(stranger.get("/portal/region/escalations").data)
    assert stranger.post(f"/portal/disputes/{disputed.id}/decide", data={
        "csrf_token": token, "outcome": "upheld", "reason": "not mine to decide"}).status_code == 404

    manager = portal_as(world["manager"])
    assert f'data-dispute="{disputed.id}"' in text_of(manager.get("/portal/region/escalations"))
    assert decide(manager, disputed, outcome="rejected", reason="The quote is not signed.").status_code == 303
    db_session.expire_all()
    stored = db_session.get(Dispute, disputed.id)
    assert stored.status == "rejected" and stored.final_reason == "The quote is not signed."


def test_qa_cannot_decide_an_escalated_dispute(portal_as, world, disputed, db_session):
    disputed.status, disputed.escalated_at = "escalated", datetime.now(UTC)
    db_session.commit()
    qa = portal_as(world["qa"])
    assert 'id="decision-form"' not in text_of(qa.get(f"/portal/disputes/{disputed.id}/decide"))
    assert decide(qa, disputed, outcome="upheld", reason="changed my mind").status_code == 403


def test_dispute_statistics_name_the_shoppers_for_qa(portal_as, world, disputed):
    page = text_of(portal_as(world["qa"]).get(f"/portal/qa/dispute-stats?wave={world['wave'].code}&program=mini"))
    assert "NORTH1" in page and "Written quote" in page
    assert 'id="stats-shoppers"' in page


# --- the region dashboard -------------------------------------------------------------------------------

@pytest.fixture
def results(world, make_published_audit):
    for answers in (PUBLISHED, {**PUBLISHED, "written_quote": {"value": "yes"}}):
        make_published_audit(answers, dealer=world["here"], wave=world["wave"])
    make_published_audit(PUBLISHED, dealer=world["there"], wave=world["wave"])
    return world


def test_the_manager_sees_the_regions_dashboard_with_the_report_figures(portal_as, results):
    page = text_of(portal_as(results["manager"]).get(f"/portal/region?wave={results['wave'].code}"))
    assert 'id="leaderboard"' in page and 'data-dealer="NORTH1"' in page and "<svg" in page
    assert "SOUTH1" not in page  # the dealer of the other region is not on this board
    # Greeting 100·(2 + 0.5)/3 = 83.3 (45 s half-met); negotiation 100·(0 + 0.5)/4 = 12.5 without the
    # quote, 100·(3 + 0.5)/4 = 87.5 with it; overalls (2·83.3 + 12.5)/3 = 59.7 and (2·83.3 + 87.5)/3 = 84.7,
    # the dealer's mean 72.2.
    assert "72.2" in page


def test_a_manager_asking_for_another_region_gets_the_not_found_page(portal_as, results):
    response = portal_as(results["manager"]).get(f"/portal/region?region={results['south'].id}")
    assert response.status_code == 404
    assert "SOUTH1" not in text_of(response) and "Valley Cars" not in text_of(response)


def test_the_region_report_pdf_downloads_for_the_manager_only_of_their_region(portal_as, results):
    manager = portal_as(results["manager"])
    wave = results["wave"].code
    response = manager.get(f"/portal/region/{results['north'].id}/report.pdf?wave={wave}&program=mini&lang=en")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert manager.get(f"/portal/region/{results['south'].id}/report.pdf?wave={wave}&lang=en").status_code == 404
    assert manager.get(f"/portal/dealers/{results['there'].id}/scorecard.pdf?wave={wave}").status_code == 404
