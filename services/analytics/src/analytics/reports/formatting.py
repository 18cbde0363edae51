"""How a report's values and periods read for people (the PDF); the CSV keeps raw values."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from analytics.brands import service as brands
from analytics.rollups.schemas import Value

DASH = "—"
# Ratios shown as percentages.
PERCENT_SUFFIXES = ("_rate", "_share")
SECONDS_SUFFIX = "_seconds"


def zone_of(name: str) -> ZoneInfo | None:
    """The zone a report was generated in (None: UTC)."""
    return brands.zone(name)


def local(at: datetime, timezone: str) -> datetime:
    """`at` on the report zone's clock."""
    zone = zone_of(timezone)
    return at.astimezone(zone) if zone is not None else at


def period_label(start: datetime, end: datetime, timezone: str) -> str:
    """`2026-11-16 to 2026-11-22` for whole local days (both included), else the times."""
    first, last = local(start, timezone), local(end, timezone)
    if _is_midnight(first) and _is_midnight(last):
        return f"{first:%Y-%m-%d} to {(last - timedelta(days=1)):%Y-%m-%d}"
    return f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}"


def figure(metric: str, value: Value) -> str:
    """A figure as people read it: counts with separators, ratios as percentages, durations."""
    if value is None:
        return DASH
    if metric.endswith(PERCENT_SUFFIXES):
        return f"{value * 100:.1f} %"
    if metric.endswith(SECONDS_SUFFIX):
        return duration(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def change(value: float | None) -> str:
    """A relative change, signed, as a percentage."""
    return DASH if value is None else f"{value * 100:+.1f} %"


def duration(seconds: float) -> str:
    """`45 s`, `3 min 20 s`, `2 h 05 min`."""
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def money(amount: Decimal | None, currency: str) -> str:
    """An amount with its currency, as stored (rounded to the currency's unit by ROI)."""
    return DASH if amount is None else f"{amount:,} {currency}"


def ratio(value: Decimal | None) -> str:
    """An ROI or conversion rate as a percentage."""
    return DASH if value is None else f"{value * 100:.1f} %"


def _is_midnight(at: datetime) -> bool:
    return (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0)
