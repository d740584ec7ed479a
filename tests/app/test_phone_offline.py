"""Offline first: the whole visit with no network, a reload in the middle, then the queue drains;
the shell opens with no network; a submit whose response is lost is retried and stored once."""
from __future__ import annotations

import time

from fixtures.phone_app import fill_audit, log_in, screenshot, stored, wait_for_shell
from test_phone_audit_online import (
    NO_TEST_CAR,
    PHOTOS,
    SALES_VISIT,
    assert_server_holds,
    open_audit,
    start_visit,
)
from test_phone_review_and_conflict import PHONE_ENQUIRY, SCREENSHOTS


def submitted_events(api, token: str, audit_id: str) -> list[dict]:
    status, events = api.call("GET", f"/api/v1/audits/{audit_id}/events", token=token)
    assert status == 200
    return [e for e in events if e["kind"] == "submitted"]


def test_the_whole_visit_offline_with_a_reload_then_exactly_one_submit(new_phone, assign, api, staff):
    job = assign()
    context = new_phone("en-US")
    page = context.new_page()
    log_in(page, job.shopper_email)
    wait_for_shell(page)
    context.set_offline(True)

    open_audit(page, job.audit_id)
    start_visit(page)

    def reload_after_first_section(position: int) -> None:
        if position == 0:
            page.reload()  # offline: the shell comes from the service worker, the answers from IndexedDB
            page.wait_for_selector("#items .item")
            assert page.locator("#item-greeted button.choice.on[data-value='yes']").count() == 1
            assert page.locator("#item-showroom_exterior_photo figure.thumb img").count() == 1

    entered = fill_audit(page, SALES_VISIT, photos=PHOTOS, choices=NO_TEST_CAR,
                         after_section=reload_after_first_section)
    page.click("#submit")
    page.wait_for_selector(f".card[data-audit='{job.audit_id}'][data-status='queued']")
    screenshot(page, "list-queued-offline-en")
    page.reload()
    page.wait_for_selector(f".card[data-audit='{job.audit_id}'][data-status='queued']")  # still queued
    queued = stored(page, "queue", job.audit_id)
    assert queued["idempotency_key"] and queued["visit"]["checkin"]["accuracy_m"] == 12

    qa = api.token(staff)
    assert api.call("GET", f"/api/v1/audits/{job.audit_id}", token=qa)[1]["status"] == "assigned"  # nothing sent

    context.set_offline(False)  # the `online` event drains the queue: photos first, then the submit
    page.wait_for_selector(f".card[data-audit='{job.audit_id}'][data-status='submitted']", timeout=20000)
    audit = assert_server_holds(api, qa, job.audit_id, entered)
    assert audit["status"] == "submitted"
    assert len(submitted_events(api, qa, job.audit_id)) == 1
    assert stored(page, "queue") == [] and stored(page, "photos") == []


def test_the_shell_opens_offline_after_the_first_visit(new_phone, assign):
    job = assign()
    context = new_phone("zh-CN")
    page = context.new_page()
    log_in(page, job.shopper_email)
    wait_for_shell(page)
    context.set_offline(True)
    started = time.monotonic()
    page.reload()
    page.wait_for_selector(f".card[data-audit='{job.audit_id}']")
    assert time.monotonic() - started < 5
    assert "离线" in page.locator("#net").inner_text()
    screenshot(page, "list-offline-zh")
    open_audit(page, job.audit_id)  # the checklist was cached at login
    assert page.locator("#items .item").count() > 3


def test_a_submit_whose_response_is_lost_is_retried_and_stored_once(new_phone, assign, api, staff):
    job = assign("phone_enquiry", 2)
    # The page itself sends everything here (no service worker), so that the test can cut its connection.
    page = new_phone("en-US", service_workers="block").new_page()
    log_in(page, job.shopper_email)
    open_audit(page, job.audit_id)
    page.click("#start-visit")
    fill_audit(page, PHONE_ENQUIRY, photos=SCREENSHOTS)

    delivered = []

    def lose_the_response(route):
        delivered.append(route.fetch())  # the server receives and stores the submit...
        route.abort("connectionreset")  # ...and the phone never hears back

    page.route("**/api/v1/audits/*/submit", lose_the_response)
    page.click("#submit")
    page.wait_for_selector(f".card[data-audit='{job.audit_id}'][data-status='queued']")
    # The app retries at once (still cut): every attempt after the first is answered from the first.
    assert delivered and all(r.status == 200 for r in delivered)
    assert [r.headers.get("idempotent-replayed") for r in delivered[1:]] == ["true"] * (len(delivered) - 1)
    first_key = stored(page, "queue", job.audit_id)["idempotency_key"]
    page.unroute("**/api/v1/audits/*/submit")

    with page.expect_response("**/api/v1/audits/*/submit") as retry:
        page.click("button:has-text('Refresh')")
    assert retry.value.status == 200
    assert retry.value.headers.get("idempotent-replayed") == "true"  # answered from the first submit
    assert retry.value.request.headers["idempotency-key"] == first_key
    page.wait_for_selector(f".card[data-audit='{job.audit_id}'][data-status='submitted']")
    qa = api.token(staff)
    assert len(submitted_events(api, qa, job.audit_id)) == 1
    assert retry.value.json()["answers"] == delivered[0].json()["answers"]


def test_a_submit_queued_offline_is_sent_when_the_app_next_starts(new_phone, assign, api, staff):
    job = assign("phone_enquiry", 2)
    # No service worker: its Background Sync would send the queue before the app starts again.
    context = new_phone("en-US", service_workers="block")
    page = context.new_page()
    log_in(page, job.shopper_email)
    context.set_offline(True)
    open_audit(page, job.audit_id)
    page.click("#start-visit")
    entered = fill_audit(page, PHONE_ENQUIRY, photos=SCREENSHOTS)
    page.click("#submit")
    page.wait_for_selector(f".card[data-audit='{job.audit_id}'][data-status='queued']")
    page.close()  # the shopper closes the app with the submit still on the phone

    context.set_offline(False)
    page = context.new_page()
    page.goto("/app/")
    page.wait_for_selector(f".card[data-audit='{job.audit_id}'][data-status='submitted']")
    qa = api.token(staff)
    assert_server_holds(api, qa, job.audit_id, entered)
    assert len(submitted_events(api, qa, job.audit_id)) == 1
