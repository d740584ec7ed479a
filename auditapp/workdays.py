"""Working days (Monday to Friday, minus configured public holidays), counted in a dealer's local time.

Pure functions: deadlines for filing and deciding disputes (DESIGN 6).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def is_working_day(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Iterable[date] = ()) -> date:
    """The date `days` working days after `start` (start itself not counted).

    Friday + 1 → Monday; with 2026-10-01..07 as holidays, 2026-09-30 + 1 → 2026-10-08.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    off = frozenset(holidays)
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, off):
            remaining -= 1
    return day


def deadline(since: datetime, days: int, timezone: str, holidays: Iterable[date] = ()) -> datetime:
    """The end (local midnight) of the `days`-th working day after the local date of `since`, as an aware
    datetime: a dispute window of 5 working days from a Friday publication ends on the next Friday night."""
    zone = ZoneInfo(timezone)
    local_day = since.astimezone(zone).date()
    last = add_working_days(local_day, days, holidays)
    return datetime.combine(last + timedelta(days=1), time(0), zone)


def parse_holidays(values: Iterable[str | date]) -> frozenset[date]:
    return frozenset(v if isinstance(v, date) else date.fromisoformat(v) for v in values)
