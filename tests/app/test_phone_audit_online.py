"""A whole sales visit on the phone, online: every item type, the stopwatch, photos, show_if."""
from __future__ import annotations

import hashlib

from fixtures.phone_app import DEALER_AT, ROOT, fill_audit, jpeg, log_in, screenshot

from auditapp.checklists.loader import load_checklist_file

SALES_VISIT = load_checklist_file(ROOT / "checklists" / "sales_visit.v2.yaml")
PHOTOS = {"showroom_exterior_photo": jpeg((200, 30, 30)), "business_card_photo": jpeg((30, 160, 60)),
          "quote_photo": jpeg((40, 60, 220))}
# No test car: the test-drive items behind `test_car_available == yes` are hidden and skipped.
NO_TEST_CAR = {"test_car_available": "no"}
TEST_DRIVE_HIDDEN = {"licence_checked", "route_explained", "safety_briefing", "consultant_drove_first",
                     "features_demonstrated", "drive_minutes", "test_car_condition", "test_drive_debrief"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def open_audit(page, audit_id: str) -> None:
    page.click(f".card[data-audit='{audit_id}']")
    page.wait_for_selector(f".screen.audit[data-audit='{audit_id}'] #items .item")


def start_visit(page) -> None:
    page.click("#start-visit")
    page.wait_for_selector("#checkin")


def assert_server_holds(api, token: str, audit_id: str, entered: dict) -> dict:
    status, audit = api.call("GET", f"/api/v1/audits/{audit_id}", token=token)
    assert status == 200
    answers = audit["answers"]
    assert set(answers) == set(entered)
    for key, want in entered.items():
        if "photo" in want:
            assert answers[key]["attachments"] == [sha256(want["photo"])], key
        else:
            assert answers[key]["value"] == want["value"], key
    return audit


def test_a_full_sales_visit_online_reaches_the_server_as_entered(new_phone, assign, api, staff):
    job = assign()
    page = new_phone("en-US").new_page()
    log_in(page, job.shopper_email)
    open_audit(page, job.audit_id)
    start_visit(page)
    screenshot(page, "audit-section-en")
    page.click("#item-greeted .help-toggle")
    assert page.locator("#item-greeted .help").is_visible()  # the pass standard, one tap away

    entered = fill_audit(page, SALES_VISIT, photos=PHOTOS, choices=NO_TEST_CAR)
    assert not TEST_DRIVE_HIDDEN & set(entered)
    assert "greet_seconds" in entered and entered["greet_seconds"]["value"] >= 1  # timed by the stopwatch
    assert page.locator("#submit").is_enabled()
    screenshot(page, "review-en")
    page.click("#submit")
    page.wait_for_selector(f".card[data-audit='{job.audit_id}'][data-status='submitted']")

    qa = api.token(staff)
    audit = assert_server_holds(api, qa, job.audit_id, entered)
    assert audit["status"] == "submitted"
    checkin = audit["visit"]["checkin"]
    assert abs(checkin["latitude"] - DEALER_AT[0]) < 0.001 and checkin["accuracy_m"] == 12
    for data in PHOTOS.values():  # QA receives the original file the phone hashed
        status, stored = api.call("GET", f"/api/v1/audits/{job.audit_id}/attachments/{sha256(data)}", token=qa)
        assert status == 200 and stored == data

    # Every shown item at its best but the test car: the test-drive section earns
    # (0 x 3 + 1 x 3) / 6 = 50 %, and it weighs 10 of the sections' 100: 100 - 10 x 0.5 = 95.
    assert api.call("POST", f"/api/v1/audits/{job.audit_id}/approve", token=qa, json_body={})[0] == 200
    status, score = api.call("GET", f"/api/v1/audits/{job.audit_id}/score", token=qa)
    assert status == 200
    assert score["overall"] == 95.0
