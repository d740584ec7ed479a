"""Action-plan reminders (services/action_reminders.py): which actions a pass reminds the dealer's users
of, on hand-picked dates, in the dealer's time zone; one mail per user; each reminder once per action,
kind and due date, recorded in the action's history.

The dates: 2026-09-09 is a Wednesday. At 01:00 UTC it is Wednesday 09:00 in Shanghai (UTC+8) and still
Tuesday 2026-09-08, 18:00, in Los Angeles (UTC−7 in September). Three working days after Wednesday
9 September is Monday 14; after Tuesday 8, Friday 11."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from auditapp.models import Action, ActionEvent, OutboxMessage
from auditapp.services import action_reminders
from auditapp.services.action_reminders import DUE_SOON, OVERDUE, ReminderPolicy, reminder_kind, run_pass

POLICY = ReminderPolicy(days_before=3, holidays=frozenset())
NOW = datetime(2026, 9, 9, 1, 0, tzinfo=timezone.utc)
RAISED = datetime(2026, 8, 10, 2, 0, tzinfo=timezone.utc)
ITEMS = {"greeted": ("有人问候", "Greeted"), "written_quote": ("书面报价", "Written quote"),
         "pressure": ("无压力", "No pressure"), "greet_seconds": ("问候用时", "Seconds to greeting"),
         "card_photo": ("名片照片", "Business card photo"), "test_drive": ("试驾", "Test drive")}


@pytest.fixture
def world(make_region, make_dealer, make_wave, make_user):
    region = make_region()
    dealer = make_dealer(region=region, code="SH01", name_zh="上海一店", name_en="Shanghai One")
    return {"region": region, "dealer": dealer, "wave": make_wave(code="2026-Q3"),
            "users": [make_user("dealer", dealer=dealer, email="gm@sh01.cn"),
                      make_user("dealer", dealer=dealer, email="aftersales@sh01.cn")],
            "retired": make_user("dealer", dealer=dealer, email="left@sh01.cn", active=False),
            "manager": make_user("manager", regions=[region], email="manager@r.cn")}


@pytest.fixture
def make_action(db_session, world):
    def make(item: str, *, due_limit: date, due_on: date | None = None, status: str = "open", dealer=None) -> Action:
        zh, en = ITEMS[item]
        action = Action(dealer_id=(dealer or world["dealer"]).id, wave_id=world["wave"].id, program="mini",
                        item_key=item, item_text={"zh": zh, "en": en}, origin="knockout", status=status,
                        evidence=[], points_lost=0.0, knockout_cost=0.0, implementation_files=[], raised_at=RAISED,
                        due_limit=due_limit, due_on=due_on)
        db_session.add(action)
        db_session.commit()
        return action
    return make


def queued(db_session) -> list[dict]:
    """The reminder mails in the outbox, by recipient."""
    rows = db_session.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "reminder.action")
                              .order_by(OutboxMessage.recipient, OutboxMessage.created_at)).all()
    return [json.loads(row.body) for row in rows]


def reminded(db_session, action: Action) -> list[dict]:
    return [e.after for e in db_session.scalars(select(ActionEvent).where(
        ActionEvent.action_id == action.id, ActionEvent.kind == "reminded").order_by(ActionEvent.id))]


def test_a_pass_mails_each_active_dealer_user_once_about_the_actions_due_soon_and_overdue(
        db_session, world, make_action):
    in_three = make_action("greeted", due_limit=date(2026, 10, 1), due_on=date(2026, 9, 14))  # Mon: 3 working days
    in_four = make_action("written_quote", due_limit=date(2026, 9, 15))  # Tue: 4 working days, not yet
    today = make_action("pressure", due_limit=date(2026, 9, 9), status="planned")  # ends tonight: due soon
    late = make_action("greet_seconds", due_limit=date(2026, 9, 8), status="returned")  # ended last midnight
    make_action("card_photo", due_limit=date(2026, 9, 1), status="accepted")  # done
    make_action("test_drive", due_limit=date(2026, 9, 10), status="submitted")  # the manager's turn

    result = run_pass(db_session, POLICY, NOW)

    assert (result.due_soon, result.overdue, result.mails, result.dealers) == (2, 1, 2, 1)
    mails = queued(db_session)
    assert [m["to"] for m in mails] == ["aftersales@sh01.cn", "gm@sh01.cn"]  # not the one who left, nor the manager
    assert mails[0]["subject"] == mails[1]["subject"] and mails[0]["text"] == mails[1]["text"]
    subject, body = mails[0]["subject"], mails[0]["text"]
    assert "整改提醒" in subject and "Action plan reminder" in subject and "SH01" in subject
    assert "1 项逾期，2 项即将到期" in subject and "1 overdue, 2 due soon" in subject
    for text in ("整改计划提醒：上海一店（SH01）", "已逾期（1 项）",
                 f"- #{late.id} 问候用时（2026-Q3）：期限 2026-09-08，状态：已退回",
                 "即将到期（3 个工作日内，2 项）",
                 f"- #{in_three.id} 有人问候（2026-Q3）：期限 2026-09-14，状态：待制定",
                 f"- #{today.id} 无压力（2026-Q3）：期限 2026-09-09，状态：已计划",
                 "Action plan reminder: Shanghai One (SH01)", "Overdue (1)",
                 f"- #{late.id} Seconds to greeting (2026-Q3): due 2026-09-08, status: Returned",
                 "Due soon (within 3 working days, 2)",
                 f"- #{in_three.id} Greeted (2026-Q3): due 2026-09-14, status: Open"):
        assert text in body, text
    for absent in (f"#{in_four.id} ", "名片照片", "Business card photo", "试驾", "Test drive"):
        assert absent not in body, absent
    assert body.index("Overdue") < body.index("Due soon")  # the late ones first
    assert reminded(db_session, in_three) == [{"kind": "due_soon", "due": "2026-09-14"}]
    assert reminded(db_session, late) == [{"kind": "overdue", "due": "2026-09-08"}]
    assert reminded(db_session, in_four) == []


def test_a_second_pass_sends_nothing_and_a_moved_due_date_is_reminded_of_again(db_session, world, make_action):
    action = make_action("greeted", due_limit=date(2026, 10, 1), due_on=date(2026, 9, 14))
    assert run_pass(db_session, POLICY, NOW).reminders == 1
    assert run_pass(db_session, POLICY, NOW).reminders == 0
    assert run_pass(db_session, POLICY, NOW + timedelta(hours=20)).reminders == 0  # Thursday: the same reminder
    assert len(queued(db_session)) == 2

    action.due_on = date(2026, 9, 11)  # the dealer moves the plan's date: a new due date to remind of
    db_session.commit()
    again = run_pass(db_session, POLICY, NOW)
    assert (again.due_soon, again.overdue, again.mails) == (1, 0, 2)
    assert "期限 2026-09-11" in queued(db_session)[-1]["text"]

    # Saturday 12 September in Shanghai: 11 September has ended, so the action is overdue, once.
    saturday = datetime(2026, 9, 11, 16, 0, tzinfo=timezone.utc)
    assert (run_pass(db_session, POLICY, saturday).overdue, run_pass(db_session, POLICY, saturday).reminders) == (1, 0)
    assert reminded(db_session, action) == [{"kind": "due_soon", "due": "2026-09-14"},
                                            {"kind": "due_soon", "due": "2026-09-11"},
                                            {"kind": "overdue", "due": "2026-09-11"}]


def test_an_overdue_action_gets_no_due_soon_reminder_and_a_finished_one_none(db_session, world, make_action):
    late = make_action("greeted", due_limit=date(2026, 9, 1))
    result = run_pass(db_session, POLICY, NOW)
    assert (result.due_soon, result.overdue) == (0, 1)
    assert reminded(db_session, late) == [{"kind": "overdue", "due": "2026-09-01"}]

    soon = make_action("pressure", due_limit=date(2026, 9, 10))
    soon.status = "submitted"  # submitted before the pass: waiting for the manager, not the dealer
    db_session.commit()
    assert run_pass(db_session, POLICY, NOW).reminders == 0
    soon.status = "returned"  # sent back: the dealer's work again
    db_session.commit()
    assert run_pass(db_session, POLICY, NOW).due_soon == 1


def test_the_dealers_own_time_zone_decides(db_session, world, make_action, make_dealer, make_user):
    la = make_dealer(region=world["region"], code="LA01", name_zh="洛杉矶店", name_en="Los Angeles",
                     timezone="America/Los_Angeles")
    make_user("dealer", dealer=la, email="gm@la01.cn")
    shanghai_late = make_action("greeted", due_limit=date(2026, 9, 8))
    la_today = make_action("greeted", due_limit=date(2026, 9, 8), dealer=la)  # still the 8th there
    shanghai_soon = make_action("pressure", due_limit=date(2026, 9, 14))  # Wed + 3 working days
    la_not_yet = make_action("pressure", due_limit=date(2026, 9, 14), dealer=la)  # Tue + 3 is Friday 11

    result = run_pass(db_session, POLICY, NOW)

    assert (result.due_soon, result.overdue, result.dealers, result.mails) == (2, 1, 2, 3)
    assert reminded(db_session, shanghai_late) == [{"kind": "overdue", "due": "2026-09-08"}]
    assert reminded(db_session, la_today) == [{"kind": "due_soon", "due": "2026-09-08"}]
    assert reminded(db_session, shanghai_soon) == [{"kind": "due_soon", "due": "2026-09-14"}]
    assert reminded(db_session, la_not_yet) == []
    [la_mail] = [m for m in queued(db_session) if m["to"] == "gm@la01.cn"]
    assert "LA01" in la_mail["text"] and "SH01" not in la_mail["text"] and "2026-09-14" not in la_mail["text"]
    # Friday 11 September 00:30 in Los Angeles: three working days reach Wednesday 16, past Monday 14.
    assert run_pass(db_session, POLICY, datetime(2026, 9, 11, 7, 30, tzinfo=timezone.utc)).due_soon == 1
    assert reminded(db_session, la_not_yet) == [{"kind": "due_soon", "due": "2026-09-14"}]


@pytest.mark.parametrize(("due", "holidays", "days", "expected"), [
    (date(2026, 9, 14), (), 3, DUE_SOON),  # Wed → Mon over the weekend: 3 working days
    (date(2026, 9, 15), (), 3, None),  # 4 working days
    (date(2026, 9, 15), (date(2026, 9, 10),), 3, DUE_SOON),  # Thursday a holiday: Tuesday is 3 working days away
    (date(2026, 9, 9), (), 0, DUE_SOON),  # 0 days: on the due date itself
    (date(2026, 9, 10), (), 0, None),
    (date(2026, 9, 8), (), 3, OVERDUE),
])
def test_reminder_kind_counts_working_days_in_the_dealers_zone(make_dealer, due, holidays, days, expected):
    action = Action(status="open", due_limit=due, due_on=None, dealer=make_dealer(timezone="Asia/Shanghai"))
    assert reminder_kind(action, ReminderPolicy(days, frozenset(holidays)), NOW) == expected


def test_a_dealer_without_active_users_keeps_its_reminders_for_the_next_pass(db_session, make_dealer, make_action,
                                                                               make_user):
    alone = make_dealer()
    action = make_action("greeted", due_limit=date(2026, 9, 8), dealer=alone)
    result = run_pass(db_session, POLICY, NOW)
    assert (result.reminders, result.dealers_without_users) == (0, 1)
    assert reminded(db_session, action) == []
    make_user("dealer", dealer=alone, email="new@alone.cn")
    result = run_pass(db_session, POLICY, NOW)
    assert (result.overdue, result.mails, result.dealers_without_users) == (1, 1, 0)


@pytest.mark.parametrize("days", [-1, "3", True, 2.5])
def test_action_reminder_days_must_be_a_number_of_working_days(days):
    with pytest.raises(ValueError, match="ACTION_REMINDER_DAYS"):
        ReminderPolicy.from_config({"ACTION_REMINDER_DAYS": days, "PUBLIC_HOLIDAYS": []})


def test_the_reminded_statuses_are_those_waiting_for_the_dealer():
    assert set(action_reminders.REMINDED_STATUSES) == {"open", "planned", "returned"}


def test_two_passes_at_once_send_each_reminder_once(outbox_app):
    """The beat's pass and someone's `actions remind` at the same moment: the second waits for the first
    one's commit and then finds the reminders in the history (real connections, so a database of its own)."""
    import threading

    from fixtures.outbox import seed

    from auditapp.database import write_transaction
    from auditapp.extensions import db
    from auditapp.models import Audit

    world = seed(outbox_app)  # dealer BJ01 in Shanghai, its user gm@x.cn
    with outbox_app.app_context():
        wave_id = db.session.get(Audit, world.ids["audit"]).wave_id
        for item, due in (("greeted", date(2026, 9, 8)), ("pressure", date(2026, 9, 14))):
            db.session.add(Action(dealer_id=world.ids["dealer"], wave_id=wave_id, program="mini_ko", item_key=item,
                                  item_text={"zh": item, "en": item}, origin="knockout", status="open", evidence=[],
                                  implementation_files=[], raised_at=RAISED, due_limit=due))
        db.session.commit()

    later: list = []

    def second_pass() -> None:
        with outbox_app.app_context(), write_transaction():
            later.append(run_pass(db.session(), POLICY, NOW))
            db.session.commit()

    with outbox_app.app_context(), write_transaction():
        first = run_pass(db.session(), POLICY, NOW)  # not committed yet: holds the actions
        thread = threading.Thread(target=second_pass)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive()  # waiting for the first pass
        db.session.commit()
    thread.join(30)
    assert not thread.is_alive()
    assert (first.due_soon, first.overdue, first.mails) == (1, 1, 1)
    assert later[0].reminders == 0 and later[0].mails == 0
    with outbox_app.app_context():
        assert len(db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.event_type == "reminder.action")).all()) == 1
        assert len(db.session.scalars(select(ActionEvent).where(ActionEvent.kind == "reminded")).all()) == 2
