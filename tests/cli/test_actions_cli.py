"""`auditapp actions remind`: one reminder pass now, without a broker run in this process (the Celery
task, eager), its mail delivered through the outbox to a real SMTP server; a second run sends nothing."""
from __future__ import annotations

from datetime import datetime, timedelta
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

from fixtures.outbox import seed
from sqlalchemy import select

from auditapp.extensions import db
from auditapp.models import Action, OutboxMessage


def add_actions(app, world) -> dict[str, int]:
    """One action overdue (its due date ended two days ago in Beijing), one due today, one due in a month."""
    from auditapp.models import Audit

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    ids = {}
    with app.app_context():
        wave_id = db.session.get(Audit, world.ids["audit"]).wave_id
        for item, zh, en, due in (("greeted", "有人问候", "Greeted", today - timedelta(days=2)),
                                  ("pressure", "无压力", "No pressure", today),
                                  ("written_quote", "书面报价", "Written quote", today + timedelta(days=30))):
            action = Action(dealer_id=world.ids["dealer"], wave_id=wave_id, program="mini_ko", item_key=item,
                            item_text={"zh": zh, "en": en}, origin="knockout", status="open", evidence=[],
                            implementation_files=[], due_limit=due)
            db.session.add(action)
            db.session.flush()
            ids[item] = action.id
        db.session.commit()
    return ids


def text_of(message) -> tuple[str, str]:
    return str(make_header(decode_header(message["Subject"]))), message.get_payload(decode=True).decode("utf-8")


def test_remind_sends_the_reminders_due_now_once(outbox_app, mail_server):
    outbox_app.config.update(mail_server.settings())
    mail_server.up()
    world = seed(outbox_app)
    ids = add_actions(outbox_app, world)

    result = outbox_app.test_cli_runner().invoke(args=["actions", "remind"])

    assert result.exit_code == 0, result.output
    assert "2 reminders sent (1 due soon, 1 overdue) in 1 emails to the users of 1 dealers" in result.output
    [mail] = mail_server.received
    assert mail["To"] == "gm@x.cn"  # the dealer's user; the region's managers are not reminded
    subject, body = text_of(mail)
    assert "整改提醒" in subject and "Action plan reminder" in subject
    for text in ("整改计划提醒：北京一店（BJ01）", f"#{ids['greeted']} 有人问候", f"#{ids['pressure']} 无压力",
                 "Action plan reminder: Beijing One (BJ01)", f"#{ids['greeted']} Greeted",
                 f"#{ids['pressure']} No pressure"):
        assert text in body, text
    assert f"#{ids['written_quote']} " not in body
    with outbox_app.app_context():
        [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "reminder.action"))
        assert row.status == "delivered"

    again = outbox_app.test_cli_runner().invoke(args=["actions", "remind"])
    assert again.exit_code == 0, again.output
    assert "0 reminders sent" in again.output
    assert len(mail_server.received) == 1


def test_remind_with_the_mail_server_down_keeps_the_mail_in_the_outbox(outbox_app):
    world = seed(outbox_app)  # SMTP points at a closed port
    add_actions(outbox_app, world)
    result = outbox_app.test_cli_runner().invoke(args=["actions", "remind"])
    assert result.exit_code == 0, result.output
    assert "2 reminders sent" in result.output
    with outbox_app.app_context():
        [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "reminder.action"))
        assert (row.status, row.attempts, row.recipient) == ("pending", 1, "gm@x.cn")  # retried by the outbox
    assert "0 reminders sent" in outbox_app.test_cli_runner().invoke(args=["actions", "remind"]).output
