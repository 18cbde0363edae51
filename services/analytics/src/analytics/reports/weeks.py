"""Weekly schedules in a brand's local time: when a schedule runs next, and the week it reports.

Everything is computed from the local wall time and converted to an instant last, so a schedule
keeps its local hour across DST changes (its interval in UTC is then 167 or 169 hours).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)


class Weekday(StrEnum):
    """A day of the week, by name."""

    monday = "monday"
    tuesday = "tuesday"
    wednesday = "wednesday"
    thursday = "thursday"
    friday = "friday"
    saturday = "saturday"
    sunday = "sunday"

    @property
    def iso(self) -> int:
        """1 for Monday to 7 for Sunday."""
        return list(Weekday).index(self) + 1

    @classmethod
    def of_iso(cls, number: int) -> Weekday:
        """The day numbered `number` (1 for Monday)."""
        return list(cls)[number - 1]


def wall_time(day: date, hour: int, zone: ZoneInfo | None) -> datetime:
    """The instant (UTC) of `hour`:00 on `day` in `zone` (UTC when None).

    An hour a DST change skips is the instant the clocks jump to (02:00 becomes 03:00 on the
    spring-forward night in Europe); an hour it repeats is its first occurrence.
    """
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone or UTC).astimezone(UTC)


def next_run(after: datetime, *, weekday: int, hour: int, zone: ZoneInfo | None) -> datetime:
    """The first time strictly after `after` that is `hour`:00 on ISO `weekday`, locally."""
    today = after.astimezone(zone or UTC).date()
    day = today + timedelta(days=(weekday - today.isoweekday()) % 7)
    slot = wall_time(day, hour, zone)
    return slot if slot > after else wall_time(day + WEEK, hour, zone)


def previous_week(at: datetime, zone: ZoneInfo | None) -> tuple[datetime, datetime]:
    """The last full local week (Monday 00:00 to Monday 00:00) before the week holding `at`."""
    today = at.astimezone(zone or UTC).date()
    monday = today - timedelta(days=today.weekday())
    return wall_time(monday - WEEK, 0, zone), wall_time(monday, 0, zone)
