"""The beat's schedule: the outbox pass every OUTBOX_POLL_SECONDS and the action-plan reminders once a day
at ACTION_REMINDER_AT (UTC); wrong reminder settings stop the start-up."""
from __future__ import annotations

import pytest
from celery.schedules import crontab

from auditapp.config import DEFAULTS
from auditapp.jobs import beat_schedule, reminder_time


def test_the_reminders_run_once_a_day_at_the_configured_time():
    schedule = beat_schedule({**DEFAULTS, "ACTION_REMINDER_AT": "23:05"})
    assert schedule["action-reminders"]["task"] == "auditapp.action_reminders"
    assert schedule["action-reminders"]["schedule"] == crontab(hour=23, minute=5)
    assert schedule["outbox-pass"]["schedule"] == 30.0
    assert beat_schedule(DEFAULTS)["action-reminders"]["schedule"] == crontab(hour=1, minute=0)


def test_an_empty_time_schedules_no_reminders():
    assert "action-reminders" not in beat_schedule({**DEFAULTS, "ACTION_REMINDER_AT": ""})
    assert reminder_time(None) is None and reminder_time(" 7:30 ") == (7, 30)


@pytest.mark.parametrize("setting", [{"ACTION_REMINDER_AT": "24:00"}, {"ACTION_REMINDER_AT": "9h"},
                                     {"ACTION_REMINDER_AT": "09:5"}, {"ACTION_REMINDER_DAYS": -2}])
def test_wrong_reminder_settings_stop_the_start_up(tmp_path, setting):
    from auditapp import create_app

    with pytest.raises(ValueError, match=next(iter(setting))):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}", **setting})
