"""Two devices on one draft (the conflict screen, both choices); an audit QA returns with a note,
corrected and resubmitted on the phone."""
from __future__ import annotations

from fixtures.phone_app import (
    ROOT,
    fill_audit,
    jpeg,
    log_in,
    screenshot,
    stored,
    wait_until_synced,
)
from test_phone_audit_online import open_audit

from auditapp.checklists.loader import load_checklist_file

PHONE_ENQUIRY = load_checklist_file(ROOT / "checklists" / "phone_enquiry.v2.yaml")
SCREENSHOTS = {"lead_form_screenshot": jpeg((90, 90, 200)), "reply_screenshot": jpeg((200, 200, 90))}


def answer_yes_no(page, key: str, value: str) -> None:
    page.click(f"#item-{key} button.choice[data-value='{value}']")
    page.wait_for_selector(f"#item-{key} button.choice.on[data-value='{value}']")


def test_two_devices_on_one_draft_get_the_conflict_screen_and_both_choices_work(new_phone, assign, api, staff):
    job = assign()
    phone, tablet = new_phone("en-US").new_page(), new_phone("en-US").new_page()
    log_in(phone, job.shopper_email)
    log_in(tablet, job.shopper_email)  # both hold the same, empty draft
    open_audit(phone, job.audit_id)
    open_audit(tablet, job.audit_id)

    answer_yes_no(phone, "greeted", "yes")
    wait_until_synced(phone, job.audit_id)
    answer_yes_no(tablet, "greeted", "no")  # edited from the draft before the phone's save: 412
    tablet.wait_for_selector(".screen.conflict")
    row = tablet.locator("table.diff tr[data-key='greeted']")
    assert row.locator("td.mine").inner_text() == "No" and row.locator("td.theirs").inner_text() == "Yes"
    screenshot(tablet, "conflict-en")

    tablet.click("#keep-mine")
    tablet.wait_for_selector("#item-greeted button.choice.on[data-value='no']")
    wait_until_synced(tablet, job.audit_id)
    qa = api.token(staff)
    server = api.call("GET", f"/api/v1/audits/{job.audit_id}", token=qa)[1]
    assert server["answers"]["greeted"]["value"] == "no"  # the tablet's version won, as chosen

    answer_yes_no(phone, "staff_appearance", "yes")  # the phone still edits the draft it saved before
    phone.wait_for_selector(".screen.conflict")
    phone.click("#take-server")
    phone.wait_for_selector("#item-greeted button.choice.on[data-value='no']")
    assert phone.locator("#item-staff_appearance button.choice.on").count() == 0
    local = stored(phone, "work", job.audit_id)
    assert local["answers"] == server["answers"] and not local["dirty"] and local["etag"] == server["etag"]
    assert api.call("GET", f"/api/v1/audits/{job.audit_id}", token=qa)[1]["etag"] == server["etag"]  # nothing sent


def test_a_returned_audit_shows_qas_note_and_is_corrected_and_resubmitted(new_phone, assign, api, staff):
    job = assign("phone_enquiry", 2)
    page = new_phone("zh-CN").new_page()
    log_in(page, job.shopper_email)
    open_audit(page, job.audit_id)
    start_visit_phone = page.locator("#start-visit")
    start_visit_phone.click()
    entered = fill_audit(page, PHONE_ENQUIRY, photos=SCREENSHOTS, choices={"call_courtesy": 3})
    page.click("#submit")
    page.wait_for_selector(f".card[data-audit='{job.audit_id}'][data-status='submitted']")

    qa = api.token(staff)
    note = "请核对通话礼貌一项。Please check the courtesy item."
    item_note = "通话礼貌应为5分：录音显示顾问全程礼貌。Courtesy should be 5: the recording shows it."
    status, _ = api.call("POST", f"/api/v1/audits/{job.audit_id}/return", token=qa,
                         json_body={"notes": note, "item_notes": {"call_courtesy": item_note}})
    assert status == 200

    page.click("button:has-text('刷新')")
    card = page.locator(f".card[data-audit='{job.audit_id}'][data-status='returned']")
    card.wait_for()
    assert note in card.inner_text()
    screenshot(page, "list-returned-zh")
    open_audit(page, job.audit_id)
    assert note in page.locator("#qa-notes").inner_text()
    listed = page.locator("#qa-item-notes li[data-key='call_courtesy']")
    courtesy = next(i for s in PHONE_ENQUIRY.sections for i in s.items if i.key == "call_courtesy")
    assert item_note in listed.inner_text() and courtesy.text.zh in listed.inner_text()
    assert page.locator("#qa-item-notes li").count() == 1
    listed.locator("a").click()  # leads to the item's section, where the note stands at the item
    page.locator("#note-call_courtesy").wait_for()
    assert item_note in page.locator("#item-call_courtesy .item-note").inner_text()
    assert page.locator(".item-note").count() == 1
    assert page.locator("#item-call_courtesy button.choice.on[data-value='3']").count() == 1  # the answers came back
    assert page.input_value("#item-phone_consultant_name textarea.text") == "王先生"
    page.click("#item-call_courtesy button.choice[data-value='5']")
    page.wait_for_selector("#item-call_courtesy button.choice.on[data-value='5']")
    screenshot(page, "returned-audit-zh")
    page.goto(f"/app/#/audit/{job.audit_id}/review")
    page.wait_for_selector("#submit:enabled")
    page.click("#submit")
    page.wait_for_selector(f".card[data-audit='{job.audit_id}'][data-status='submitted']")

    audit = api.call("GET", f"/api/v1/audits/{job.audit_id}", token=qa)[1]
    assert audit["status"] == "submitted"
    assert audit["answers"]["call_courtesy"]["value"] == 5
    unchanged = {k: v["value"] for k, v in entered.items() if "value" in v and k != "call_courtesy"}
    assert {k: audit["answers"][k]["value"] for k in unchanged} == unchanged
    assert "checkin" not in audit["visit"] or audit["visit"]["checkin"]["latitude"] is None  # a phone audit
    events = api.call("GET", f"/api/v1/audits/{job.audit_id}/events", token=qa)[1]
    assert [e["kind"] for e in events if e["kind"] in ("submitted", "returned")] == ["submitted", "returned",
                                                                                     "submitted"]
