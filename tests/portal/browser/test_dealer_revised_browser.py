"""After QA upholds a dealer's dispute, the dealer's visit and visit list show the revised score,
marked revised, with the original beside it (the QA side in the browser is the QA pages' test)."""
from __future__ import annotations

import uuid

from fixtures.portal import SECOND_FAILED_ITEM, portal_login, screenshots


def test_the_dealer_sees_the_revised_score_beside_the_original(new_page, portal_app, portal_world):
    from sqlalchemy import select

    from auditapp.extensions import db
    from auditapp.models import ScoreVersion, User
    from auditapp.services.disputes import DisputePolicy, decide, file_dispute

    audit_id = uuid.UUID(portal_world.audit_id)
    with portal_app.app_context():
        dealer_user = db.session.scalar(select(User).where(User.email == portal_world.dealer_email))
        qa = db.session.scalar(select(User).where(User.email == portal_world.qa_email))
        dispute = file_dispute(db.session(), dealer_user, audit_id, item_key=SECOND_FAILED_ITEM,
                               claim="The consultant asked, as the recording shows.", requested_outcome="pass",
                               evidence=[], policy=DisputePolicy.from_config(portal_app.config))
        decide(db.session(), qa, dispute.id, outcome="upheld", reason="Heard on the recording.")
        db.session.commit()
        versions = {v.version: v.overall for v in db.session.scalars(
            select(ScoreVersion).where(ScoreVersion.audit_id == audit_id))}
    original, revised = versions[1], versions[max(versions)]
    assert revised > original

    page, watch = new_page()
    portal_login(page, portal_world.dealer_email)
    page.goto(f"/portal/visits/{portal_world.audit_id}")
    headline = page.locator(".kpi").first.inner_text()
    assert f"{revised:.1f}" in headline and "revised" in headline and f"originally {original:.1f}" in headline
    assert "revised" in page.locator(f"#item-{SECOND_FAILED_ITEM}").inner_text()
    screenshots(page, "dealer-visit-revised")
    page.goto(f"/portal/dealers/{portal_world.dealer_id}/visits?wave={portal_world.wave}&program=sales_visit")
    row = page.locator("table.visits tbody tr", has=page.locator(f"a[href='/portal/visits/{portal_world.audit_id}']"))
    assert "revised" in row.inner_text() and f"original {original:.1f}" in row.inner_text()
    assert watch.console_errors == [] and watch.dialogs == []
