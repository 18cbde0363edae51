"""Recurring posts: RFC 5545 RRULEs expanded in local wall-clock time, resolved to UTC.

Policies:
- The rule is expanded from `start_local` in the zone's wall-clock time, so "daily at 09:00
  Europe/Paris" stays at 09:00 local and its UTC instant moves by an hour across DST. Each
  local occurrence is resolved with `to_utc` (gap times shift forward, repeated times take the
  first occurrence); occurrences a gap shift lands on the same instant are kept once.
- As in dateutil, `start_local` is an occurrence only when it matches the rule.
- Accepted input is one RRULE value, with or without the `RRULE:` prefix; DTSTART, EXDATE and
  RDATE are not accepted (the start comes from `start_local`).
- UNTIL may be UTC (`...Z`, RFC 5545's form with a zoned start) or floating local time; a date
  alone (`UNTIL=20270131`) includes that whole local day.
- A series must end (COUNT or UNTIL), have at least one occurrence, at most
  `MAX_OCCURRENCES` of them, and end within `MAX_YEARS` of its start. FREQ must be DAILY or
  coarser (HOURLY/MINUTELY/SECONDLY are refused), and two occurrences less than `MIN_SPACING`
  apart are refused too (e.g. FREQ=DAILY;BYMINUTE=0,10,20).
"""

from __future__ import annotations

from datetime import MAXYEAR, UTC, datetime, timedelta
from itertools import islice, pairwise

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

from beacon_shared.zones import zone
from publisher.calendar.exceptions import (
    InvalidRRule,
    RRuleNeverEnds,
    RRuleNeverMatches,
    RRuleTooFrequent,
    RRuleTooLong,
    RRuleTooMany,
)
from publisher.calendar.local_time import to_utc

MAX_OCCURRENCES = 1000
MAX_YEARS = 10
MIN_SPACING = timedelta(hours=1)
SUB_DAILY = frozenset({"HOURLY", "MINUTELY", "SECONDLY"})


def _parts(rrule: str) -> dict[str, str]:
    """Split one RRULE value into upper-cased NAME -> VALUE, refusing what is not one."""
    value = rrule.strip()
    if value[:6].upper() == "RRULE:":
        value = value[6:]
    if not value:
        raise InvalidRRule(rrule, "empty rule")
    if ":" in value or "\n" in value:
        raise InvalidRRule(rrule, "expected a single RRULE value without DTSTART, RDATE or EXDATE")
    parts: dict[str, str] = {}
    for pair in value.split(";"):
        name, sep, part = pair.partition("=")
        name = name.strip().upper()
        if not sep or not name or not part.strip():
            raise InvalidRRule(rrule, f"expected NAME=VALUE, got {pair!r}")
        if name in parts:
            raise InvalidRRule(rrule, f"{name} is given twice")
        parts[name] = part.strip().upper()
    if "FREQ" not in parts:
        raise InvalidRRule(rrule, "FREQ is required")
    return parts


def _local_until(rrule: str, value: str, tz: str) -> datetime:
    """UNTIL as a naive local wall-clock time, to compare with the naive local expansion."""
    try:
        if len(value) == 8:
            return datetime.strptime(value + "T235959", "%Y%m%dT%H%M%S")  # noqa: DTZ007
        if value.endswith("Z"):
            instant = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return instant.astimezone(zone(tz)).replace(tzinfo=None)
        return datetime.strptime(value, "%Y%m%dT%H%M%S")  # noqa: DTZ007
    except ValueError:
        raise InvalidRRule(rrule, f"invalid 'UNTIL': {value}") from None


def _shift_years(start: datetime) -> int:
    """Whole 400-year cycles that move the horizon close to datetime.MAXYEAR.

    dateutil only stops a rule that matches nothing (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) at year
    9999: millions of daily steps. The Gregorian calendar, weekdays and ISO weeks included,
    repeats exactly every 400 years, so expanding a shifted copy gives the same dates and leaves
    at most 400 years to scan past the horizon; times are shifted back before zone resolution.
    """
    return max(0, 400 * ((MAXYEAR - MAX_YEARS - 1 - start.year) // 400))


def _unshift(local: datetime, years: int) -> datetime:
    return local.replace(year=local.year - years)


def _expand(rrule: str, start_local: datetime, tz: str) -> list[datetime]:
    """Every occurrence as an aware UTC datetime, sorted, after enforcing the module policies."""
    if start_local.tzinfo is not None:
        raise ValueError("start_local must be naive; pass the zone as tz")
    zone(tz)
    start = start_local.replace(microsecond=0)
    parts = _parts(rrule)
    if "BYEASTER" in parts:
        raise InvalidRRule(rrule, "BYEASTER is a dateutil extension, not RFC 5545")
    until = _local_until(rrule, parts.pop("UNTIL"), tz) if "UNTIL" in parts else None
    shift = _shift_years(start)
    try:
        rule = rrulestr(
            ";".join(f"{name}={value}" for name, value in parts.items()),
            dtstart=start.replace(year=start.year + shift),
        )
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidRRule(rrule, str(exc)) from None

    if parts["FREQ"] in SUB_DAILY:
        raise RRuleTooFrequent(rrule, f"FREQ={parts['FREQ']}; the finest allowed is DAILY")
    if "COUNT" not in parts and until is None:
        raise RRuleNeverEnds(rrule)
    count = int(parts["COUNT"]) if "COUNT" in parts else None
    if count is not None and count > MAX_OCCURRENCES:
        raise RRuleTooMany(rrule, MAX_OCCURRENCES)

    # COUNT is applied here rather than by dateutil, which deprecates COUNT together with UNTIL.
    horizon = start + relativedelta(years=MAX_YEARS)
    stop = horizon if until is None else min(until, horizon)
    bounded = rule.replace(count=None, until=stop.replace(year=stop.year + shift))
    local = [_unshift(o, shift) for o in islice(bounded, MAX_OCCURRENCES + 1)]
    if count is not None:
        local = local[:count]
    if not local:
        raise RRuleNeverMatches(rrule, MAX_YEARS)
    if len(local) > MAX_OCCURRENCES:
        raise RRuleTooMany(rrule, MAX_OCCURRENCES)
    if (count is not None and len(local) < count) or (until is not None and until > horizon):
        raise RRuleTooLong(rrule, MAX_YEARS)

    instants = sorted({to_utc(occurrence, tz) for occurrence in local})
    for earlier, later in pairwise(instants):
        if later - earlier < MIN_SPACING:
            raise RRuleTooFrequent(
                rrule, f"two occurrences less than {MIN_SPACING} apart ({earlier.isoformat()})"
            )
    return instants


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def validate_rrule(rrule: str, *, start_local: datetime, tz: str) -> None:
    """Raise an `InvalidRecurrence` subclass (or `InvalidTimeZone`) unless the series is valid."""
    _expand(rrule, start_local, tz)


def occurrences(
    rrule: str,
    *,
    start_local: datetime,
    tz: str,
    window_start: datetime,
    window_end: datetime,
    limit: int = 1000,
) -> list[datetime]:
    """UTC occurrences in [window_start, window_end), at most `limit`, earliest first."""
    _require_aware("window_start", window_start)
    _require_aware("window_end", window_end)
    if limit < 1:
        raise ValueError("limit must be at least 1")
    inside = [t for t in _expand(rrule, start_local, tz) if window_start <= t < window_end]
    return inside[:limit]


def next_occurrence(
    rrule: str, *, start_local: datetime, tz: str, after: datetime
) -> datetime | None:
    """The first UTC occurrence strictly after `after`, or None once the series is over."""
    _require_aware("after", after)
    return next((t for t in _expand(rrule, start_local, tz) if t > after), None)
