"""The app's validator against the shared table of cases (the server's validator passes the same
table in tests/checklists/test_validation_parity.py), on the checklist as the API serves it."""
from __future__ import annotations

import json
from pathlib import Path

from auditapp.checklists import checklist_from_document

CASES = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "validation_cases.json").read_text("utf-8"))


def test_the_apps_validator_gives_the_servers_results_case_by_case(new_phone):
    page = new_phone().new_page()
    page.goto("/app/")
    # The definition as GET /api/v1/checklists/{key}/{version} serves it: the loaded document.
    definition = json.loads(json.dumps(checklist_from_document(CASES["checklist"]).document))
    results = page.evaluate("""async ([definition, cases]) => {
        const { answerProblems, problemTexts } = await import('/app/js/validate.js');
        return cases.map((c) => problemTexts(answerProblems(definition, c.answers, {
            complete: c.complete, known: c.known_attachments ? new Set(c.known_attachments) : null })));
    }""", [definition, CASES["cases"]])
    mismatches = {case["name"]: (got, case["problems"])
                  for case, got in zip(CASES["cases"], results) if got != case["problems"]}
    assert mismatches == {}
    assert len(results) == len(CASES["cases"]) >= 30


def test_the_review_screen_names_what_the_server_would_refuse(new_phone, assign):
    from fixtures.phone_app import log_in, screenshot
    from test_phone_audit_online import open_audit

    job = assign("phone_enquiry", 2)
    page = new_phone("en-US").new_page()
    log_in(page, job.shopper_email)
    open_audit(page, job.audit_id)
    page.click("#item-call_answered button.choice[data-value='no']")
    page.wait_for_selector("#item-call_answered button.choice.on")
    page.goto(f"/app/#/audit/{job.audit_id}/review")
    page.wait_for_selector(".problem-list")
    listed = page.locator(".problem-list a").evaluate_all("links => links.map(a => a.dataset.key)")
    # Everything required and shown, but not the call's follow-ups that "no" hid.
    assert "lead_form_screenshot" in listed and "callback_kept" in listed
    assert "rings_before_answer" not in listed and "call_answered" not in listed
    assert page.locator("#submit").is_disabled()
    screenshot(page, "review-problems-en")


def test_the_server_stays_the_authority_its_refusals_show_at_the_items(new_phone, assign):
    from fixtures.phone_app import log_in, screenshot
    from test_phone_audit_online import open_audit

    job = assign()
    page = new_phone("en-US").new_page()
    log_in(page, job.shopper_email)
    open_audit(page, job.audit_id)
    # Named like a photo, but not one: the server decodes every upload and refuses it (415), so the
    # draft that cites it is refused too (422), and both show at the item.
    page.set_input_files("#item-showroom_exterior_photo input.camera",
                         files=[{"name": "door.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture"}])
    page.wait_for_selector("#item-showroom_exterior_photo figcaption.error:has-text('Upload refused')")
    page.wait_for_selector("#problems-showroom_exterior_photo li:has-text('attachment not uploaded')")
    screenshot(page, "refused-photo-en")
