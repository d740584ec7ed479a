"""The dealer's pages through the test client: what a visit page shows and hides, disputes filed from
the item (refusals in the user's language, changing nothing; mail after the commit), the window, the
revised score beside the original, escalation once, and the scorecard PDF."""
from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from fixtures.files import png_bytes
from fixtures.portal import csrf_of
from sqlalchemy import func, select

from auditapp.models import Answer, Attachment, Dispute, utcnow

COMMENT = 'No written quote <b>bold</b> "><img src=x onerror=alert(1)>'


@pytest.fixture
def dealer_world(app, db_session, make_region, make_dealer, make_user, make_wave, make_audit, make_checklist_version):
    """A dealer with one visit published today: the written quote not given (a comment and a photo on
    it), everything else passed; its dealer user, QA, the region's manager."""
    from auditapp.services import attachments
    from auditapp.services.score_versions import store_score_version

    region = make_region()
    dealer = make_dealer(region)
    shopper = make_user("shopper", display_name="Secret Shopper Name", email="secret.shopper@example.com")
    audit = make_audit(dealer=dealer, wave=make_wave(), shopper=shopper, checklist_version=make_checklist_version(),
                       status="in_progress")
    photo = png_bytes(tag="quote")
    sha = hashlib.sha256(photo).hexdigest()
    attachments.upload(db_session, shopper, audit.id, stream=io.BytesIO(photo), sha256=sha, filename="q.png",
                       store=attachments.FileStore(app.config["ATTACHMENT_DIR"]),
                       max_bytes=app.config["MAX_ATTACHMENT_BYTES"])
    for key, value in {"greeted": "yes", "greet_seconds": 20, "written_quote": "no", "pressure": 5}.items():
        db_session.add(Answer(audit_id=audit.id, item_key=key, value=value,
                              comment=COMMENT if key == "written_quote" else None,
                              attachments=[sha] if key == "written_quote" else []))
    now = utcnow()
    audit.status, audit.published_at, audit.visit_started_at, audit.visit_ended_at = "published", now, now, now
    db_session.flush()
    store_score_version(db_session, audit, None, "approved")
    db_session.commit()
    return {"audit": audit, "dealer": dealer, "photo": sha, "shopper": shopper,
            "dealer_user": make_user("dealer", dealer=dealer), "qa": make_user("qa"),
            "manager": make_user("manager", regions=[region])}


def post_dispute(client, audit, item, *, claim="The quote was handed over on paper, see photo.", outcome="pass",
                 evidence: bytes | None = None, headers=None):
    token = csrf_of(client.get(f"/portal/visits/{audit.id}").data)
    data = {"csrf_token": token, "claim": claim, "requested_outcome": outcome}
    if evidence is not None:
        data["evidence"] = (io.BytesIO(evidence), "evidence.png")
    return client.post(f"/portal/visits/{audit.id}/items/{item}/dispute", data=data,
                       content_type="multipart/form-data", headers=headers or {})


def test_visit_page_shows_answers_comment_and_photo_but_never_the_shopper_or_the_plan(portal_as, dealer_world):
    client = portal_as(dealer_world["dealer_user"])
    audit = dealer_world["audit"]
    html = client.get(f"/portal/visits/{audit.id}").get_data(as_text=True)
    assert "No written quote &lt;b&gt;bold&lt;/b&gt; &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>bold</b>" not in html and "<img src=x" not in html
    assert f"/portal/visits/{audit.id}/files/{dealer_world['photo']}" in html
    assert 'action="/portal/visits/' in html and "/items/written_quote/dispute" in html  # failed: disputable
    assert "/items/greeted/dispute" not in html  # passed: nothing to dispute
    for page in (f"/portal/visits/{audit.id}", f"/portal/dealers/{dealer_world['dealer'].id}/results",
                 f"/portal/dealers/{dealer_world['dealer'].id}/visits"):
        body = client.get(page).get_data(as_text=True)
        assert "Secret Shopper Name" not in body and "secret.shopper@example.com" not in body, page
        assert "2026-08-01" not in body and "2026-08-14" not in body, page  # the planned visit window


def test_the_dealer_receives_the_photo_without_its_metadata(portal_as, dealer_world):
    client = portal_as(dealer_world["dealer_user"])
    audit = dealer_world["audit"]
    served = client.get(f"/portal/visits/{audit.id}/files/{dealer_world['photo']}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert b"quote" not in served.data  # the tEXt chunk of the original is gone
    assert hashlib.sha256(served.data).hexdigest() != dealer_world["photo"]


def test_filing_a_dispute_with_evidence_from_the_item(portal_as, dealer_world, db_session, smtp_server):
    from auditapp.services.side_effects import wait_for_background

    client = portal_as(dealer_world["dealer_user"])
    audit = dealer_world["audit"]
    evidence = png_bytes(tag="dealer's proof")
    response = post_dispute(client, audit, "written_quote", evidence=evidence)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/portal/visits/{audit.id}#item-written_quote")
    dispute = db_session.scalar(select(Dispute).where(Dispute.audit_id == audit.id))
    assert dispute.status == "open" and dispute.requested_outcome == "pass"
    assert dispute.evidence == [hashlib.sha256(evidence).hexdigest()]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The dispute was filed." in page and "under dispute" in page
    assert "/items/written_quote/dispute" not in page  # one open dispute per item: no second form
    assert wait_for_background(10)
    assert any(dealer_world["qa"].email in message["To"] for message in smtp_server)  # mailed after the commit


@pytest.mark.parametrize(("item", "claim", "status", "zh"), [
    ("greeted", "It passes already, but we insist on it.", 422, "该检查项在当前得分中已达标"),
    ("written_quote", "too short", 422, "长度必须在 10 到 4000 之间"),
])
def test_a_refused_dispute_says_why_in_the_users_language_and_changes_nothing(portal_as, dealer_world, db_session,
                                                                              item, claim, status, zh):
    client = portal_as(dealer_world["dealer_user"])
    audit = dealer_world["audit"]
    attachments_before = db_session.scalar(select(func.count()).select_from(Attachment))
    response = post_dispute(client, audit, item, claim=claim, evidence=png_bytes(tag="refused evidence"),
                            headers={"Accept-Language": "zh-CN"})
    assert response.status_code == status
    assert zh in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Dispute)) == 0
    assert db_session.scalar(select(func.count()).select_from(Attachment)) == attachments_before


def test_after_the_window_the_form_is_gone_and_the_page_says_why(portal_as, dealer_world, db_session):
    audit = dealer_world["audit"]
    audit.published_at = utcnow() - timedelta(days=30)
    db_session.commit()
    client = portal_as(dealer_world["dealer_user"])
    html = client.get(f"/portal/visits/{audit.id}").get_data(as_text=True)
    assert "/items/written_quote/dispute" not in html
    assert "The dispute window closed on" in html
    refused = post_dispute(client, audit, "written_quote")
    assert refused.status_code == 409  # the service's own refusal, shown on the page
    assert "closed" in refused.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Dispute)) == 0


def test_an_upheld_dispute_shows_the_revised_score_beside_the_original(app, portal_as, dealer_world, db_session):
    from auditapp.services.disputes import DisputePolicy, decide, file_dispute

    audit = dealer_world["audit"]
    dispute = file_dispute(db_session, dealer_world["dealer_user"], audit.id, item_key="written_quote",
                           claim="The quote was handed over on paper.", requested_outcome="pass", evidence=[],
                           policy=DisputePolicy.from_config(app.config))
    decide(db_session, dealer_world["qa"], dispute.id, outcome="upheld", reason="The photo shows the quote.")
    db_session.commit()
    client = portal_as(dealer_world["dealer_user"])
    html = client.get(f"/portal/visits/{audit.id}").get_data(as_text=True)
    # Mini checklist: greeting (weight 2) scores 100; negotiation (weight 1) had the quote (3) failed and no
    # pressure (1) at 5 of 5, so 1/4 = 25.0; overall (2 × 100 + 25) / 3 = 75.0. Upheld: 100.
    assert "originally 75.0" in html and "revised" in html
    assert '<span class="score score-green">100.0</span>' in html
    visits = client.get(f"/portal/dealers/{dealer_world['dealer'].id}/visits").get_data(as_text=True)
    assert "revised" in visits and "original 75.0" in visits
    disputes = client.get("/portal/disputes").get_data(as_text=True)
    assert "upheld" in disputes and "The photo shows the quote." in disputes


def test_a_rejected_dispute_is_escalated_once(app, portal_as, dealer_world, db_session):
    from auditapp.services.disputes import DisputePolicy, decide, file_dispute

    audit = dealer_world["audit"]
    dispute = file_dispute(db_session, dealer_world["dealer_user"], audit.id, item_key="written_quote",
                           claim="The quote was handed over on paper.", requested_outcome="pass", evidence=[],
                           policy=DisputePolicy.from_config(app.config))
    decide(db_session, dealer_world["qa"], dispute.id, outcome="rejected", reason="No quote in the photo.")
    db_session.commit()
    client = portal_as(dealer_world["dealer_user"])
    page = client.get(f"/portal/disputes/{dispute.id}").get_data(as_text=True)
    assert "Escalate to the region manager" in page and "No quote in the photo." in page
    token = csrf_of(page)
    too_short = client.post(f"/portal/disputes/{dispute.id}/escalate", data={"csrf_token": token, "note": "no"})
    assert too_short.status_code == 422 and db_session.get(Dispute, dispute.id).status == "rejected"
    done = client.post(f"/portal/disputes/{dispute.id}/escalate",
                       data={"csrf_token": token, "note": "The manager saw the paper quote himself."})
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.get(Dispute, dispute.id).status == "escalated"
    page = client.get(f"/portal/disputes/{dispute.id}").get_data(as_text=True)
    assert "The dispute was escalated." in page and 'name="note"' not in page
    again = client.post(f"/portal/disputes/{dispute.id}/escalate",
                        data={"csrf_token": token, "note": "And once more, please."})
    assert again.status_code == 409


def test_the_scorecard_pdf_is_the_reports_own(portal_as, dealer_world):
    client = portal_as(dealer_world["dealer_user"])
    dealer = dealer_world["dealer"]
    results = client.get(f"/portal/dealers/{dealer.id}/results").get_data(as_text=True)
    assert "<svg" in results and "style=" not in results  # the report's chart, presentation attributes only
    pdf = client.get(f"/portal/dealers/{dealer.id}/scorecard.pdf?lang=en")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert client.get(f"/portal/dealers/{dealer.id}/scorecard.pdf?lang=fr").status_code == 404
