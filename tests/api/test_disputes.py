"""Disputes through HTTP: filing rules, decisions, the one escalation, revised scores, history, notices."""
from __future__ import annotations

import math
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from fixtures.files import jpeg_bytes, sha256_of, upload
from sqlalchemy import func, select, text, update

from auditapp.models import AppendOnlyViolation, AuditEvent, Dispute, ScoreVersion
from auditapp.services.side_effects import wait_for_background

HASH = "c" * 64
# Mini checklist (fixtures.factories): greeting (W 2): greeted w2 (section knock-out), greet_seconds w1
# (≤30 s → 1, ≤60 s → 0.5, else 0); negotiation (W 1): written_quote w3, pressure (scale 1..5) w1.
ANSWERS = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 45},
           "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 3}}
# greeting = 100·(2·1 + 1·0.5)/3 = 83.33…, negotiation = 100·(3·1 + 1·0.5)/4 = 87.5
ORIGINAL = (2 * 250 / 3 + 87.5) / 3  # 84.722…
# greet_seconds upheld as a pass: greeting = 100, overall = (2·100 + 87.5)/3 = 95.833…
REVISED = (200 + 87.5) / 3


@pytest.fixture
def setting(make_region, make_dealer, make_user, make_wave, make_published_audit, auth_for):
    region, other_region = make_region(), make_region()
    dealer, other_dealer = make_dealer(region=region), make_dealer(region=other_region)
    wave = make_wave(code="2026-DSP")
    recently = datetime.now(timezone.utc) - timedelta(hours=2)
    audit = make_published_audit(ANSWERS, dealer=dealer, wave=wave, visited=recently)
    people = {"dealer": make_user("dealer", dealer=dealer), "other_dealer": make_user("dealer", dealer=other_dealer),
              "qa": make_user("qa"), "qa2": make_user("qa"), "manager": make_user("manager", regions=[region]),
              "other_manager": make_user("manager", regions=[other_region]), "admin": make_user("admin")}
    return {"audit": audit, "dealer": dealer, "wave": wave, "region": region,
            "h": {role: auth_for(user) for role, user in people.items()}}


def file(client, setting, item="greet_seconds", outcome="pass", **extra):
    body = {"item": item, "claim": "CCTV shows the receptionist greeted within 20 seconds.",
            "requested_outcome": outcome, **extra}
    return client.post(f"/api/v1/audits/{setting['audit'].id}/disputes", headers=setting["h"]["dealer"], json=body)


def test_the_whole_path_to_a_revised_score_and_pdf(client, setting, db_session, tmp_path):
    audit, h = setting["audit"], setting["h"]
    evidence = jpeg_bytes()
    assert upload(client, h["dealer"], audit.id, evidence).status_code == 201
    filed = file(client, setting, evidence=[sha256_of(evidence)])
    assert filed.status_code == 201, filed.json
    dispute_id = filed.json["id"]
    assert filed.json["status"] == "open" and filed.json["evidence"] == [sha256_of(evidence)]
    assert client.get(f"/api/v1/audits/{audit.id}", headers=h["dealer"]).json["under_dispute"] is True

    rejected = client.post(f"/api/v1/disputes/{dispute_id}/decision", headers=h["qa"],
                           json={"outcome": "rejected", "reason": "The shopper's timer shows 45 s."})
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    escalated = client.post(f"/api/v1/disputes/{dispute_id}/escalate", headers=h["dealer"],
                            json={"note": "Please look at the CCTV clip we attached."})
    assert escalated.status_code == 200 and escalated.json["status"] == "escalated"
    # QA cannot decide an escalated dispute; only a manager of the dealer's region can.
    assert client.post(f"/api/v1/disputes/{dispute_id}/decision", headers=h["qa"],
                       json={"outcome": "upheld", "reason": "changed my mind"}).status_code == 403
    assert client.post(f"/api/v1/disputes/{dispute_id}/decision", headers=h["other_manager"],
                       json={"outcome": "upheld", "reason": "not mine"}).status_code == 404
    upheld = client.post(f"/api/v1/disputes/{dispute_id}/decision", headers=h["manager"],
                         json={"outcome": "upheld", "reason": "CCTV confirms a greeting at 18 s."})
    assert upheld.status_code == 200, upheld.json
    assert upheld.json["status"] == "upheld" and upheld.json["score_version"] == 2
    assert upheld.json["override"] == {"value": 30}

    score = client.get(f"/api/v1/audits/{audit.id}/score", headers=h["dealer"]).json
    assert score["version"] == 2 and score["revised"] is True
    assert math.isclose(score["overall"], REVISED) and math.isclose(score["original_overall"], ORIGINAL)
    # The shopper's answer is untouched.
    assert client.get(f"/api/v1/audits/{audit.id}", headers=h["qa"]).json["answers"]["greet_seconds"] == {"value": 45}
    # The escalation is final.
    assert client.post(f"/api/v1/disputes/{dispute_id}/escalate", headers=h["dealer"],
                       json={"note": "again please"}).status_code == 409
    card = client.get(f"/api/v1/dealers/{setting['dealer'].id}/scorecard?wave=2026-DSP", headers=h["dealer"]).json
    assert math.isclose(card["score"]["mean"], REVISED)
    assert card["audits"][0]["revised"] is True and card["disputes"][0]["status"] == "upheld"

    pdf = client.get(f"/api/v1/dealers/{setting['dealer'].id}/scorecard.pdf?wave=2026-DSP&lang=en",
                     headers=h["dealer"])
    assert pdf.status_code == 200
    (tmp_path / "card.pdf").write_bytes(pdf.data)
    text_ = subprocess.run(["pdftotext", str(tmp_path / "card.pdf"), "-"], capture_output=True, text=True).stdout
    assert f"{REVISED:.1f}" in text_ and f"{ORIGINAL:.1f}" in text_ and "revised" in text_.lower()

    kinds = [e["kind"] for e in client.get(f"/api/v1/disputes/{dispute_id}/events", headers=h["qa"]).json]
    assert kinds == ["dispute_filed", "dispute_decided", "dispute_escalated", "dispute_decided_finally"]
    assert client.get(f"/api/v1/disputes/{dispute_id}/events", headers=h["dealer"]).status_code == 403


def test_partial_decision_sets_the_value_given(client, setting):
    dispute = file(client, setting).json
    bad = client.post(f"/api/v1/disputes/{dispute['id']}/decision", headers=setting["h"]["qa"],
                      json={"outcome": "partially_upheld", "reason": "Closer to 35 s."})
    assert bad.status_code == 422 and "value" in bad.json["errors"]
    wrong = client.post(f"/api/v1/disputes/{dispute['id']}/decision", headers=setting["h"]["qa"],
                        json={"outcome": "partially_upheld", "reason": "Closer to 35 s.", "value": "soon"})
    assert wrong.status_code == 422
    ok = client.post(f"/api/v1/disputes/{dispute['id']}/decision", headers=setting["h"]["qa"],
                     json={"outcome": "partially_upheld", "reason": "Closer to 35 s.", "value": 35})
    assert ok.status_code == 200 and ok.json["override"] == {"value": 35}
    # 35 s is still in the 0.5 band: the score does not move, but it is a new version.
    score = client.get(f"/api/v1/audits/{setting['audit'].id}/score", headers=setting["h"]["qa"]).json
    assert score["version"] == 2 and math.isclose(score["overall"], ORIGINAL)


@pytest.mark.parametrize("item,outcome,status,message", [
    ("pressure", "pass", 422, "cannot be disputed"),
    ("nope", "pass", 422, "no such item"),
    ("greeted", "pass", 422, "already passes"),
    ("greet_seconds", "not_applicable", 422, "cannot be N/A"),
])
def test_filing_refusals(client, setting, db_session, item, outcome, status, message):
    r = file(client, setting, item=item, outcome=outcome)
    assert r.status_code == status and message in r.json["message"], r.json
    assert db_session.scalar(select(func.count()).select_from(Dispute)) == 0


def test_one_open_dispute_per_item_and_only_own_dealer(client, setting):
    assert file(client, setting).status_code == 201
    second = file(client, setting)
    assert second.status_code == 409 and "already has an open dispute" in second.json["message"]
    other = client.post(f"/api/v1/audits/{setting['audit'].id}/disputes", headers=setting["h"]["other_dealer"],
                        json={"item": "greet_seconds", "claim": "This is not our audit at all.",
                              "requested_outcome": "pass"})
    assert other.status_code == 404


def test_the_window_closes_after_five_working_days(client, setting, db_session):
    from auditapp.models import Audit

    # Published on Monday 2 November 2026 at 10:00 in Shanghai: the window ends with Monday 9 November.
    db_session.execute(update(Audit).where(Audit.id == setting["audit"].id)
                       .values(published_at=datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)))
    db_session.commit()
    late = file(client, setting)
    assert late.status_code == 409
    assert "2026-11-10 00:00" in late.json["message"] and "5 working days" in late.json["message"]


def test_two_reviewers_deciding_at_once_end_with_one_decision(client, setting, db_session):
    """The second decision is made on a stale copy of the dispute: it is refused with 409."""
    from auditapp.errors import Conflict
    from auditapp.services.disputes import decide

    dispute_id = file(client, setting).json["id"]
    stale = db_session.get(Dispute, dispute_id)
    assert stale.status == "open"
    # Reviewer A decides through another connection while reviewer B still holds the 'open' copy.
    db_session.execute(update(Dispute).where(Dispute.id == dispute_id)
                       .values(status="rejected", qa_outcome="rejected", qa_reason="A was first",
                               row_version=Dispute.row_version + 1).execution_options(synchronize_session=False))
    from auditapp.models import User
    reviewer_b = db_session.scalar(select(User).where(User.role == "qa"))
    with pytest.raises(Conflict):
        # get_dispute reloads with FOR UPDATE; B's check then sees it decided already.
        decide(db_session, reviewer_b, dispute_id, outcome="upheld", reason="B was second")
    db_session.rollback()


def test_history_cannot_be_changed(client, setting, db_session):
    file(client, setting)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.dispute_id.is_not(None)))
    event.note = "rewritten"
    with pytest.raises(AppendOnlyViolation):
        db_session.flush()
    db_session.rollback()
    # Below the application, the database refuses too (trigger).
    with pytest.raises(Exception, match="append-only"), db_session.begin_nested():
        db_session.execute(text("UPDATE score_versions SET reason = 'x'"))
    with pytest.raises(Exception, match="append-only"), db_session.begin_nested():
        db_session.execute(text("DELETE FROM audit_events"))


def test_lists_overdue_and_statistics(client, setting, db_session):
    dispute_id = file(client, setting).json["id"]
    listed = client.get("/api/v1/disputes", headers=setting["h"]["qa"]).json
    assert [d["id"] for d in listed] == [dispute_id] and listed[0]["overdue"] is False
    db_session.execute(update(Dispute).where(Dispute.id == dispute_id)
                       .values(filed_at=datetime(2026, 1, 5, tzinfo=timezone.utc)))
    db_session.commit()
    overdue = client.get("/api/v1/disputes?overdue=true", headers=setting["h"]["qa"]).json
    assert [d["id"] for d in overdue] == [dispute_id]
    assert client.get("/api/v1/disputes", headers=setting["h"]["other_dealer"]).json == []
    stats = client.get("/api/v1/disputes/stats?wave=2026-DSP", headers=setting["h"]["qa"]).json
    assert stats["overall"]["disputes"] == 1 and stats["overall"]["dispute_rate"] == 1.0
    assert stats["items"][0]["item"] == "greet_seconds" and "shoppers" in stats
    manager_stats = client.get("/api/v1/disputes/stats?wave=2026-DSP", headers=setting["h"]["manager"]).json
    assert "shoppers" not in manager_stats and manager_stats["overall"]["disputes"] == 1
    other = client.get("/api/v1/disputes/stats?wave=2026-DSP", headers=setting["h"]["other_manager"]).json
    assert other["overall"]["disputes"] == 0


def test_notifications_reach_qa_and_the_dealer(client, setting, smtp_server, db_session):
    from auditapp.models import User

    dispute_id = file(client, setting).json["id"]
    assert wait_for_background(10)  # mail goes out after the response, in the background
    filed_to = sorted(m["To"] for m in smtp_server)
    client.post(f"/api/v1/disputes/{dispute_id}/decision", headers=setting["h"]["qa"],
                json={"outcome": "rejected", "reason": "Timer shows 45 s."})
    assert wait_for_background(10)
    qa_emails = sorted(db_session.scalars(select(User.email).where(User.role == "qa", User.active.is_(True))))
    assert filed_to == qa_emails
    decided = [m for m in smtp_server if "Dispute decided" in m["Subject"]]
    dealer_email = client.get("/api/v1/me", headers=setting["h"]["dealer"]).json["email"]
    assert [m["To"] for m in decided] == [dealer_email]
    assert "Timer shows 45 s." in decided[0].get_payload(decode=True).decode()


def test_a_mail_server_that_is_down_does_not_undo_a_filing(client, setting, app, monkeypatch, db_session):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", 9)  # discard port: nothing listens
    assert file(client, setting).status_code == 201
    assert db_session.scalar(select(func.count()).select_from(Dispute)) == 1


def test_score_versions_keep_the_original(client, setting, db_session):
    dispute_id = file(client, setting).json["id"]
    client.post(f"/api/v1/disputes/{dispute_id}/decision", headers=setting["h"]["qa"],
                json={"outcome": "upheld", "reason": "CCTV confirms."})
    versions = db_session.scalars(select(ScoreVersion).where(ScoreVersion.audit_id == setting["audit"].id)
                                  .order_by(ScoreVersion.version)).all()
    assert [v.version for v in versions] == [1, 2]
    assert math.isclose(versions[0].overall, ORIGINAL) and math.isclose(versions[1].overall, REVISED)
    assert versions[1].overrides == {"greet_seconds": {"value": 30}} and "CCTV confirms." in versions[1].reason
