"""QA and the regional manager in a real browser: the review queue filtered by a quality flag, an audit
returned with a note at an item (which the shopper's API view then shows), the dispute queue and a
decision, an escalation decided by the region's manager while a manager of another region finds no trace
of it; screenshots of each page at both sizes."""
from __future__ import annotations

import hashlib
import io
import json
import random
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fixtures.portal import PASSWORD, jpeg_with_exif, portal_login, screenshots


def api(server_url: str, method: str, path: str, *, token: str | None = None, body=None):
    request = urllib.request.Request(server_url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def api_token(server_url: str, email: str) -> str:
    return api(server_url, "POST", "/api/v1/auth/token", body={"email": email, "password": PASSWORD})["access_token"]


@pytest.fixture(scope="module")
def short_visit(portal_app, portal_world):
    """A sales visit submitted after 6 minutes by a shopper of its own: flagged short_visit, waiting for QA."""
    from sqlalchemy import select

    from auditapp.demo.answers import draw_answers
    from auditapp.extensions import db
    from auditapp.models import Dealer, User, Wave
    from auditapp.services import assignments, attachments
    from auditapp.services import shopper as shopper_flow
    from auditapp.services.checklists import checklist_of, get_version
    from auditapp.services.flags import FlagLimits
    from auditapp.services.users import create_user

    config = portal_app.config
    with portal_app.app_context():
        session = db.session
        wave = session.scalar(select(Wave).where(Wave.code == portal_world.wave))
        qa = session.scalar(select(User).where(User.email == portal_world.qa_email))
        dealer = session.get(Dealer, portal_world.dealer_id)
        email = f"quick-{uuid.uuid4().hex[:8]}@shoppers.example.com"
        shopper = create_user(session, email=email, password=PASSWORD, role="shopper", display_name="Quick Qiu 邱快")
        audit = assignments.assign(session, qa, dealer_id=dealer.id, wave_id=wave.id,
                                   checklist={"key": "sales_visit", "version": 2}, shopper_id=shopper.id,
                                   visit_window_start=wave.starts_on, visit_window_end=wave.ends_on,
                                   rotation_days=config["ROTATION_DAYS"])
        checklist = checklist_of(get_version(session, "sales_visit", 2))
        answers = draw_answers(checklist, 0.8, random.Random(11))
        store = attachments.FileStore(config["ATTACHMENT_DIR"])
        for n, (key, answer) in enumerate(answers.items()):
            if answer.get("attachments"):
                photo = jpeg_with_exif((30 + n * 7 % 200, 120, 90), "Quick Qiu")
                sha = hashlib.sha256(photo).hexdigest()
                attachments.upload(session, shopper, audit.id, stream=io.BytesIO(photo), sha256=sha,
                                   filename=f"{key}.jpg", store=store, max_bytes=config["MAX_ATTACHMENT_BYTES"])
                answer["attachments"] = [sha]
        start = datetime.combine(wave.ends_on - timedelta(days=3), datetime.min.time(), UTC) + timedelta(hours=2)
        visit = {"started_at": start, "ended_at": start + timedelta(minutes=6),
                 "device_time": start + timedelta(hours=1),
                 "checkin": {"latitude": dealer.latitude, "longitude": dealer.longitude, "accuracy_m": 9.0}}
        view = shopper_flow.View(body=lambda a, _answers: {"id": str(a.id)},
                                 etag=lambda a: f'"{a.id.hex}-{a.revision}"')
        request = shopper_flow.ShopperRequest(user=shopper, received_at=start + timedelta(hours=1),
                                              limits=FlagLimits.from_config(config), view=view)
        shopper_flow.submit(session, request, audit.id, answers, visit, str(uuid.uuid4()))
        item = next(i for s in checklist.sections for i in s.items if i.key in answers and i.type == "yes_no")
        session.commit()
        return {"audit_id": str(audit.id), "shopper_email": email, "item": item.key, "item_text": item.text.en}


def failed_items(session, portal_world) -> list[tuple[uuid.UUID, str]]:
    """(audit, item) of the world's dealer whose item failed and may be disputed, outside the visit the
    dealer pages' own tests dispute, without an open dispute; in a stable order."""
    from sqlalchemy import select

    from auditapp.models import Audit, Dispute, ScoreVersion
    from auditapp.services.checklists import checklist_of

    found = []
    disputed = set(session.execute(select(Dispute.audit_id, Dispute.item_key)).all())
    for audit in session.scalars(select(Audit).where(Audit.dealer_id == portal_world.dealer_id,
                                                     Audit.status == "published",
                                                     Audit.id != uuid.UUID(portal_world.audit_id))
                                 .order_by(Audit.published_at.desc(), Audit.id)):
        checklist = checklist_of(audit.checklist_version)
        score = session.scalar(select(ScoreVersion).where(ScoreVersion.audit_id == audit.id)
                               .order_by(ScoreVersion.version.desc())).score
        found += [(audit.id, k) for k, r in sorted(score["ratios"].items())
                  if r < 1 and checklist.items[k].disputable and k not in score["excluded"]
                  and (audit.id, k) not in disputed]
    return found


@pytest.fixture(scope="module")
def escalated(portal_app, portal_world):
    """A dispute of the world's dealer, rejected by QA and escalated: waiting for the region's manager."""
    from sqlalchemy import select

    from auditapp.extensions import db
    from auditapp.models import Audit, Dealer, User
    from auditapp.services import disputes

    policy = disputes.DisputePolicy.from_config(portal_app.config)
    with portal_app.app_context():
        session = db.session
        dealer_user = session.scalar(select(User).where(User.email == portal_world.dealer_email))
        qa = session.scalar(select(User).where(User.email == portal_world.qa_email))
        candidates = failed_items(session, portal_world)
        assert candidates, "the seeded world has no failed disputable item outside the dealer tests' visit"
        audit_id, item_key = candidates[0]
        audit = session.get(Audit, audit_id)
        filed_at = audit.published_at + timedelta(hours=1)
        dispute = disputes.file_dispute(session, dealer_user, audit.id, item_key=item_key,
                                        claim="Our salesperson did this: the CCTV shows it.",
                                        requested_outcome="pass", evidence=[], policy=policy, now=filed_at)
        disputes.decide(session, qa, dispute.id, outcome="rejected", reason="The shopper's notes say otherwise.",
                        now=filed_at + timedelta(hours=1))
        disputes.escalate(session, dealer_user, dispute.id, note="Please watch the CCTV clip.", policy=policy,
                          now=filed_at + timedelta(hours=2))
        dealer = session.get(Dealer, portal_world.dealer_id)
        session.commit()
        return {"id": dispute.id, "dealer_code": dealer.code, "dealer_name": dealer.name_en}


@pytest.fixture(scope="module")
def to_dispute(portal_app, portal_world, escalated):
    """A failed item the loop test disputes in the browser: of another visit than the escalation's."""
    from auditapp.extensions import db
    from auditapp.models import Dispute

    with portal_app.app_context():
        taken = db.session.get(Dispute, escalated["id"]).audit_id
        candidates = failed_items(db.session, portal_world)
        audit_id, item_key = next(((a, k) for a, k in candidates if a != taken), candidates[0])
        return {"audit_id": str(audit_id), "item": item_key}


def test_qa_filters_by_flag_opens_the_audit_and_returns_it_with_an_item_note(new_page, portal_world,
                                                                           portal_server, short_visit):
    page, watch = new_page()
    portal_login(page, portal_world.qa_email)
    page.goto("/portal/qa/audits")
    page.wait_for_selector("#queue-filters")
    screenshots(page, "qa-queue")
    page.select_option("select[name=flag]", "short_visit")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url("**flag=short_visit**")
    rows = page.locator("#queue tbody tr")
    assert rows.count() >= 1
    for n in range(rows.count()):  # every listed audit carries the flag
        assert rows.nth(n).locator("[data-flag='short_visit']").count() == 1
    row = page.locator(f"#queue tr[data-audit='{short_visit['audit_id']}']")
    assert "Visit too short" in row.inner_text()
    screenshots(page, "qa-queue-filtered")
    row.locator("a").click()
    page.wait_for_selector("#return-form")
    assert "Quick Qiu" in page.locator("#shopper-name").inner_text()
    assert page.locator("#flags [data-flag='short_visit']").count() == 1
    assert "0 m" in page.locator("#distance").inner_text()
    photo = page.locator(".evidence img").first
    assert photo.evaluate("img => img.complete && img.naturalWidth") > 0
    assert b"Quick Qiu" in page.request.get(photo.get_attribute("src")).body()  # QA gets the original, EXIF kept
    screenshots(page, "qa-review")

    note = "请说明是谁接待的 · Who greeted you, and when?"
    item = page.locator(f"#item-{short_visit['item']}")
    item.locator("summary").click()
    item.locator("textarea").fill(note)
    page.fill("textarea[name=notes]", "The visit lasted 6 minutes: please explain and complete it.")
    page.click("#return-button")
    page.wait_for_selector(".flash-ok")
    assert page.locator(f"#queue tr[data-audit='{short_visit['audit_id']}']").count() == 0

    token = api_token(portal_server.url, short_visit["shopper_email"])
    seen = api(portal_server.url, "GET", f"/api/v1/audits/{short_visit['audit_id']}", token=token)
    assert seen["status"] == "returned" and seen["review_item_notes"] == {short_visit["item"]: note}
    listed = api(portal_server.url, "GET", "/api/v1/audits", token=token)["items"]
    mine = [a["review_item_notes"] for a in listed if a["id"] == short_visit["audit_id"]]
    assert mine == [{short_visit["item"]: note}]
    assert watch.console_errors == [] and watch.dialogs == []


def test_a_manager_decides_an_escalation_and_another_regions_manager_finds_no_trace(new_page, portal_world,
                                                                                 escalated):
    stranger, stranger_watch = new_page()
    portal_login(stranger, portal_world.other_manager_email)
    for path in ("/portal/region/escalations", "/portal/region", f"/portal/disputes/{escalated['id']}",
                 f"/portal/disputes/{escalated['id']}/decide"):
        response = stranger.goto(path)
        html = stranger.content()
        assert escalated["dealer_code"] not in html and escalated["dealer_name"] not in html, path
        assert f"data-dispute=\"{escalated['id']}\"" not in html
    assert response.status == 404 and "#" + str(escalated["id"]) not in stranger.locator("main").inner_text()
    screenshots(stranger, "manager-other-region-not-found")

    page, watch = new_page("zh-CN")
    portal_login(page, portal_world.manager_email)
    page.goto("/portal/region")
    page.wait_for_selector("#leaderboard")
    assert page.locator("#heatmap table.heat").count() == 1 and page.locator("#leaderboard svg").count() >= 1
    screenshots(page, "manager-region")
    page.goto("/portal/region/escalations")
    row = page.locator(f"#dispute-queue tr[data-dispute='{escalated['id']}']")
    screenshots(page, "manager-escalations")
    row.locator("a").click()
    page.wait_for_selector("#decision-form")
    assert "CCTV" in page.locator("#claim").inner_text()
    screenshots(page, "manager-decide")
    page.check("input[name=outcome][value=upheld]")
    page.fill("textarea[name=reason]", "录像显示顾问确实做到了。The CCTV shows it was done.")
    page.click("#decide-button")
    page.wait_for_selector(".flash-ok")
    assert page.locator(f"tr[data-dispute='{escalated['id']}']").count() == 0
    assert watch.console_errors == [] and watch.dialogs == [] and stranger_watch.dialogs == []


def test_qa_dispute_pages_and_statistics(new_page, portal_world):
    page, watch = new_page()
    portal_login(page, portal_world.qa_email)
    page.goto("/portal/qa/disputes")
    page.wait_for_selector("h1")
    screenshots(page, "qa-dispute-queue")
    page.goto(f"/portal/qa/dispute-stats?wave={portal_world.wave}&program={portal_world.program}")
    page.wait_for_selector("#stats-overall")
    assert page.locator("#stats-shoppers").count() == 1
    screenshots(page, "qa-dispute-stats")
    assert watch.console_errors == [] and watch.dialogs == []


def test_the_dispute_loop_dealer_files_with_a_photo_qa_upholds_the_dealer_sees_the_revised_score(
        new_page, portal_world, to_dispute):
    dealer, dealer_watch = new_page()
    portal_login(dealer, portal_world.dealer_email)
    dealer.goto(f"/portal/visits/{to_dispute['audit_id']}")
    item = dealer.locator(f"#item-{to_dispute['item']}")
    before = dealer.locator(".kpis .kpi").first.locator(".score").inner_text()
    item.locator("details.dispute-form summary").click()
    item.locator("textarea[name=claim]").fill("Our consultant did this; the showroom camera recorded it.")
    item.locator("input[name=evidence]").set_input_files(files=[{
        "name": "cctv.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif((20, 160, 60), "Dealer camera")}])
    item.locator("button[type=submit]").click()
    dealer.wait_for_selector(".flash-ok")

    qa, qa_watch = new_page()
    portal_login(qa, portal_world.qa_email)
    qa.goto("/portal/qa/disputes")
    links = qa.locator("#dispute-queue tbody tr a[href$='/decide']")
    hrefs = [links.nth(n).get_attribute("href") for n in range(links.count())]
    found = None
    for href in hrefs:  # the queue names dealer and item; the claim is on the decision page
        qa.goto(href)
        if "Our consultant did this" in qa.locator("#claim").inner_text():
            found = href
            break
    assert found, "the dealer's dispute is not in QA's queue"
    assert qa.locator("#claim .evidence img").evaluate("img => img.complete && img.naturalWidth") > 0
    screenshots(qa, "qa-decide")
    qa.check("input[name=outcome][value=upheld]")
    qa.fill("textarea[name=reason]", "The camera shows the consultant doing it.")
    qa.click("#decide-button")
    qa.wait_for_selector(".flash-ok")
    assert qa.locator(f"#dispute-queue a[href='{found}']").count() == 0

    dealer.goto(f"/portal/visits/{to_dispute['audit_id']}")
    headline = dealer.locator(".kpis .kpi").first
    assert headline.locator(".chip.revised").count() == 1
    assert f"originally {before}" in headline.inner_text()
    assert dealer.locator(f"#item-{to_dispute['item']} .chip.revised").count() == 1
    screenshots(dealer, "dealer-visit-revised")
    assert dealer_watch.dialogs == [] and qa_watch.dialogs == []
    assert dealer_watch.console_errors == [] and qa_watch.console_errors == []
