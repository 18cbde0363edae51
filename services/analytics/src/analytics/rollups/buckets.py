"""Time buckets: UTC minutes and hours, and days starting at a brand's local midnight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from analytics.rollups.dimensions import Grain

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def as_utc(at: datetime) -> datetime:
    """`at` in UTC; a naive time is taken as UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def local_midnight(at: datetime, zone: ZoneInfo | None) -> datetime:
    """The start (in UTC) of the day `at` falls in, in `zone` (UTC when None)."""
    if zone is None:
        return as_utc(at).replace(hour=0, minute=0, second=0, microsecond=0)
    local = at.astimezone(zone)
    # Where a transition skips midnight, this is the first instant of the day all the same.
    midnight = datetime(local.year, local.month, local.day, tzinfo=zone)
    return midnight.astimezone(UTC)


def next_midnight(day_start: datetime, zone: ZoneInfo | None) -> datetime:
    """The start of the day after the one starting at `day_start` (23 or 25 hours on DST days)."""
    if zone is None:
        return day_start + timedelta(days=1)
    local = day_start.astimezone(zone)
    following = datetime(local.year, local.month, local.day, tzinfo=zone) + timedelta(days=1)
    return datetime(following.year, following.month, following.day, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Span:
    """The buckets of one grain starting in [start, end)."""

    grain: Grain
    start: datetime
    end: datetime


def _ceil_hour(at: datetime) -> datetime:
    floor = at.replace(minute=0, second=0, microsecond=0)
    return floor if floor == at else floor + HOUR


def _floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _floor_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def plan(
    start: datetime, end: datetime, zone: ZoneInfo | None, grains: tuple[Grain, ...]
) -> list[Span]:
    """Spans of rollup buckets exactly covering [start, end) with as few rows as possible:
    whole local days from day rows, whole UTC hours from hour rows, the rest from minute rows.

    With no minute rows (every dimension but the total) the ends are floored to the hour; with
    day rows only (authors) to the local day. A local midnight off the UTC hour (zones at :30
    or :45) needs minutes to reach it from the hours: without minute rows, hours cover the whole
    range instead.
    """
    start, end = as_utc(start), as_utc(end)
    if Grain.minute in grains:
        start, end = _floor_minute(start), _floor_minute(end)
    elif Grain.hour in grains:
        start, end = _floor_hour(start), _floor_hour(end)
    else:
        start, end = local_midnight(start, zone), local_midnight(end, zone)
    if start >= end:
        return []
    spans: list[Span] = []
    first_day = local_midnight(start, zone)
    if first_day < start:
        first_day = next_midnight(first_day, zone)
    last_day = local_midnight(end, zone)
    days_usable = Grain.day in grains and first_day < last_day
    if days_usable and Grain.minute not in grains and Grain.hour in grains:
        days_usable = _floor_hour(first_day) == first_day and _floor_hour(last_day) == last_day
    if not days_usable:
        return _hours_and_minutes(start, end, grains)
    spans.extend(_hours_and_minutes(start, first_day, grains))
    spans.append(Span(Grain.day, first_day, last_day))
    spans.extend(_hours_and_minutes(last_day, end, grains))
    return spans


def _hours_and_minutes(start: datetime, end: datetime, grains: tuple[Grain, ...]) -> list[Span]:
    if start >= end:
        return []
    if Grain.hour not in grains:
        return [Span(Grain.minute, start, end)] if Grain.minute in grains else []
    if Grain.minute not in grains:
        return [Span(Grain.hour, start, end)]
    first_hour, last_hour = _ceil_hour(start), _floor_hour(end)
    if first_hour >= last_hour:
        return [Span(Grain.minute, start, end)]
    spans = []
    if start < first_hour:
        spans.append(Span(Grain.minute, start, first_hour))
    spans.append(Span(Grain.hour, first_hour, last_hour))
    if last_hour < end:
        spans.append(Span(Grain.minute, last_hour, end))
    return spans
