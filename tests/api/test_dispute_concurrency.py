"""Two QA users deciding the same dispute at the same moment, through HTTP on a real database (not the
rolled-back test transaction): exactly one decision is made, the other request gets 409."""
from __future__ import annotations

import secrets
import threading
from datetime import date, datetime, timedelta, timezone

from fixtures.factories import small_checklist_document
from sqlalchemy import select

from auditapp.extensions import db


def _seed(app) -> tuple[int, list[dict[str, str]]]:
    from auditapp.checklists import checklist_from_document
    from auditapp.models import Answer, ApiToken, Audit, Dealer, Dispute, Region, User, Wave, utcnow
    from auditapp.services.auth import token_hash
    from auditapp.services.checklists import get_version, store_checklists
    from auditapp.services.score_versions import store_score_version

    with app.app_context():
        s = db.session
        store_checklists(s, [checklist_from_document(small_checklist_document())])
        version = get_version(s, "mini", 1)
        region = Region(code="R", name_zh="区", name_en="R")
        s.add(region)
        s.flush()
        dealer = Dealer(region_id=region.id, code="D", name_zh="店", name_en="D")
        wave = Wave(code="W", title_zh="期", title_en="W", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
        users = [User(email=f"{r}{i}@x.cn", password_hash="x", role=r) for i, r in enumerate(["shopper", "qa", "qa"])]
        s.add_all([dealer, wave, *users])
        s.flush()
        dealer_user = User(email="gm@x.cn", password_hash="x", role="dealer", dealer_id=dealer.id)
        s.add(dealer_user)
        now = datetime.now(timezone.utc)
        audit = Audit(dealer_id=dealer.id, wave_id=wave.id, checklist_version_id=version.id, shopper_id=users[0].id,
                      status="published", visit_window_start=date(2026, 8, 1), visit_window_end=date(2026, 8, 2),
                      published_at=now, visit_started_at=now, flags=[])
        s.add(audit)
        s.flush()
        for key, value in {"greeted": "yes", "greet_seconds": 45, "written_quote": "yes", "pressure": 3}.items():
            s.add(Answer(audit_id=audit.id, item_key=key, value=value, attachments=[]))
        s.flush()
        store_score_version(s, audit, None, "approved")
        dispute = Dispute(audit_id=audit.id, dealer_id=dealer.id, item_key="greet_seconds", status="open",
                          claim="Greeted at once.", requested_outcome="pass", filed_by_id=dealer_user.id, filed_at=now)
        s.add(dispute)
        headers = []
        for qa in users[1:]:
            token = secrets.token_urlsafe(16)
            s.add(ApiToken(token_hash=token_hash(token), user_id=qa.id, expires_at=utcnow() + timedelta(hours=1)))
            headers.append({"Authorization": f"Bearer {token}"})
        s.commit()
        return dispute.id, headers


def test_two_simultaneous_decisions_end_with_one(fresh_app):
    from auditapp.models import AuditEvent, Dispute, ScoreVersion

    dispute_id, headers = _seed(fresh_app)
    start = threading.Barrier(2)
    statuses: list[int] = []

    def decide(h: dict[str, str], outcome: str) -> None:
        client = fresh_app.test_client()
        start.wait()
        response = client.post(f"/api/v1/disputes/{dispute_id}/decision", headers=h,
                               json={"outcome": outcome, "reason": f"{outcome} by this reviewer"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=decide, args=(h, o)) for h, o in zip(headers, ["upheld", "rejected"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [200, 409]
    with fresh_app.app_context():
        dispute = db.session.get(Dispute, dispute_id)
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.dispute_id == dispute_id)).all()
        versions = db.session.scalars(select(ScoreVersion.version)).all()
        assert dispute.status in ("upheld", "rejected") and dispute.qa_reason == f"{dispute.status} by this reviewer"
        assert len(events) == 1
        assert sorted(versions) == ([1, 2] if dispute.status == "upheld" else [1])
