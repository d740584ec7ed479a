"""Working-day arithmetic for dispute deadlines, across weekends and configured holidays."""
from datetime import date, datetime, timezone

import pytest

from auditapp.workdays import add_working_days, deadline, parse_holidays

NATIONAL_DAY = parse_holidays([f"2026-10-0{d}" for d in range(1, 8)])


@pytest.mark.parametrize("start,days,expected", [
    (date(2026, 11, 23), 1, date(2026, 11, 24)),   # Monday → Tuesday
    (date(2026, 11, 27), 1, date(2026, 11, 30)),   # Friday → Monday
    (date(2026, 11, 28), 1, date(2026, 11, 30)),   # Saturday → Monday
    (date(2026, 11, 23), 5, date(2026, 11, 30)),   # a working week later
    (date(2026, 11, 27), 5, date(2026, 12, 4)),
    (date(2026, 11, 23), 0, date(2026, 11, 23)),
])
def test_weekends_are_skipped(start, days, expected):
    assert add_working_days(start, days) == expected


def test_holidays_are_skipped():
    # Wednesday 30 September, then the National Day week (1-7 October; 7 October is a Wednesday).
    assert add_working_days(date(2026, 9, 30), 1, NATIONAL_DAY) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 5, NATIONAL_DAY) == date(2026, 10, 14)
    assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 7)


def test_deadline_is_counted_in_the_dealers_local_time():
    # 20:00 UTC on Friday 27 November is already Saturday 04:00 in Shanghai: the count starts from Saturday.
    published = datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc)
    end = deadline(published, 5, "Asia/Shanghai")
    assert end.isoformat() == "2026-12-05T00:00:00+08:00"  # end of Friday 4 December, Shanghai
    # The same instant counted in New York is still Friday 27 November: five working days end on 4 December too,
    # at New York midnight.
    assert deadline(published, 5, "America/New_York").isoformat() == "2026-12-05T00:00:00-05:00"
    assert deadline(datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc), 1, "Asia/Shanghai").isoformat() \
        == "2026-12-01T00:00:00+08:00"


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 1), -1)
