"""Offline first: the whole visit with no network, a reload in the middle, then the queue drains;
the shell opens with no network; a submit whose response is lost is retried and stored once."""
from __future__ import annotations

import time

from fixtures.phone_app import fill_audit, log_in, screenshot, stored, wait_for_shell
from test_phone_audit_online import NO_TEST_CAR, PHOTOS, SALES_VISIT, assert_server_holds, open_audit, start_visit


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
