"""Business-time arithmetic: when a target counted in opening hours falls due, and how much
opening time passed between two instants.

Hours are wall-clock times in a time zone, per weekday; a holiday closes its whole local day.
Each opening is turned into two instants through `zoneinfo`, so a day whose clocks change is as
long as it really is: an opening from 00:00 to 24:00 holds 23 hours on the day clocks go forward
and 25 on the day they go back. A wall time the change skips (02:30 on the morning clocks jump
from 02:00 to 03:00) is read with the offset before the change, as `zoneinfo` reads it, so it
lands the length of the gap later; a wall time that happens twice is its first occurrence.

Without hours (`None`) time is counted as it passes, every hour of every day.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from beacon_shared import zones

MINUTES_A_DAY = 24 * 60
# How far ahead an opening is looked for before the hours are judged never to open: a policy is
# refused unless it opens every week, so this is only reached with holidays on every opening
# day for longer than any list of holidays can say.
HORIZON_DAYS = 366 * 100


@dataclass(frozen=True)
class Opening:
    """One opening of a weekday, in minutes from its local midnight: `opens` < `closes` <= 1440."""

    opens: int
    closes: int


@dataclass(frozen=True)
class BusinessHours:
    """Weekly opening hours in a time zone (weekday 0 is Monday), and the holidays."""

    zone: ZoneInfo
    week: tuple[tuple[Opening, ...], ...]
    holidays: frozenset[date] = frozenset()

    @classmethod
    def of(
        cls,
        zone: str,
        week: Mapping[int, Sequence[tuple[int, int]]],
        holidays: Sequence[date] = (),
    ) -> BusinessHours:
        """From a zone name and (opens, closes) minutes per weekday, each day's sorted."""
        return cls(
            zone=zones.zone(zone),
            week=tuple(
                tuple(Opening(o, c) for o, c in sorted(week.get(day, ()))) for day in range(7)
            ),
            holidays=frozenset(holidays),
        )

    def openings(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The openings, as UTC instants, from the local day of `start` on, in order."""
        day = start.astimezone(self.zone).date()
        for _ in range(HORIZON_DAYS):
            if day not in self.holidays:
                for opening in self.week[day.weekday()]:
                    yield self._instant(day, opening.opens), self._instant(day, opening.closes)
            day += timedelta(days=1)
        raise ValueError("these hours never open")

    def _instant(self, day: date, minute: int) -> datetime:
        if minute == MINUTES_A_DAY:
            day, minute = day + timedelta(days=1), 0
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
        return local.astimezone(UTC)


def add(hours: BusinessHours | None, start: datetime, seconds: float) -> datetime:
    """The instant `seconds` of opening time after `start`: counting starts at the next opening
    when `start` is outside the hours, so a due time never falls while closed (it is the next
    opening at the earliest, and a closing time at the latest)."""
    if hours is None:
        return start.astimezone(UTC) + timedelta(seconds=seconds)
    # Instants in UTC: an aware datetime of another zone adds wall-clock time.
    start = start.astimezone(UTC)
    remaining = timedelta(seconds=seconds)
    for opens, closes in hours.openings(start):
        if closes <= start:
            continue
        begin = max(opens, start)
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    raise AssertionError("unreachable: openings() ends by raising")


def elapsed(hours: BusinessHours | None, start: datetime, end: datetime) -> float:
    """Seconds of opening time between `start` and `end` (0 when `end` is not after `start`)."""
    if end <= start:
        return 0.0
    if hours is None:
        return (end - start).total_seconds()
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta()
    for opens, closes in hours.openings(start):
        if opens >= end:
            break
        overlap = min(closes, end) - max(opens, start)
        if overlap > timedelta():
            total += overlap
    return total.total_seconds()
