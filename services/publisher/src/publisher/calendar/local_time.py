"""Wall-clock times in IANA zones resolved to UTC instants, with a fixed DST policy.

Policy (what most calendars do):
- a time skipped by a spring-forward change (02:30 in Europe/Paris on the last Sunday of March)
  is shifted forward by the length of the gap, to 03:30 local (01:30 UTC);
- a time repeated by a fall-back change resolves to its first occurrence (`fold=0`, the
  summer-time offset).
Both follow from reading the wall-clock time with `fold=0` (PEP 495: the offset in force before
the transition), which is why `to_utc` needs no special case.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from beacon_shared.zones import zone


def _require_naive(local: datetime) -> None:
    if local.tzinfo is not None:
        raise ValueError("a local wall-clock time must be naive; pass the zone separately")


def to_utc(local: datetime, tz: str) -> datetime:
    """Resolve a naive wall-clock time in `tz` to an aware UTC datetime (see the module policy)."""
    _require_naive(local)
    return local.replace(tzinfo=zone(tz), fold=0).astimezone(UTC)


def is_nonexistent(local: datetime, tz: str) -> bool:
    """Whether `local` falls in a DST gap in `tz` (so `to_utc` shifts it forward)."""
    _require_naive(local)
    aware = local.replace(tzinfo=zone(tz), fold=0)
    return aware.astimezone(UTC).astimezone(aware.tzinfo).replace(tzinfo=None) != local


def is_ambiguous(local: datetime, tz: str) -> bool:
    """Whether `local` occurs twice in `tz` (so `to_utc` takes the first occurrence)."""
    _require_naive(local)
    first = local.replace(tzinfo=zone(tz), fold=0).utcoffset()
    second = local.replace(tzinfo=zone(tz), fold=1).utcoffset()
    return first is not None and second is not None and first - second > timedelta(0)
