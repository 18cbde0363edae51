"""Brands' time zones, remembered for a few seconds per process (every batch needs them)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.brands import repository

# A zone change made through another worker process applies here within this long.
ZONE_TTL_SECONDS = 5.0

_cache: dict[tuple[str, str], tuple[float, ZoneInfo | None]] = {}


class UnknownZone(ValueError):
    """Not an IANA time zone name."""


@lru_cache(maxsize=1024)
def zone(name: str | None) -> ZoneInfo | None:
    """The zone called `name`; None (UTC days) for None, 'UTC' or an unknown name."""
    if name is None or name in ("UTC", "Etc/UTC"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def check_zone(name: str) -> None:
    """Raise UnknownZone unless `name` is an IANA zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownZone(name) from exc


async def zones(
    session: AsyncSession, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], ZoneInfo | None]:
    """The zone of each (tenant, brand); brands seen for the first time are registered."""
    now = time.monotonic()
    wanted = set(pairs)
    result: dict[tuple[str, str], ZoneInfo | None] = {}
    missing = []
    for pair in wanted:
        cached = _cache.get(pair)
        if cached is not None and cached[0] > now:
            result[pair] = cached[1]
        else:
            missing.append(pair)
    if missing:
        found = await repository.zones(session, missing)
        unknown = [pair for pair in missing if pair not in found]
        if unknown:
            await repository.register(session, unknown)
        if len(_cache) > 100_000:
            _cache.clear()
        for pair in missing:
            result[pair] = zone(found.get(pair))
            # Only brands already stored are remembered: a registration rolled back with its
            # batch is made again by the next batch that sees the brand.
            if pair in found:
                _cache[pair] = (now + ZONE_TTL_SECONDS, result[pair])
    return result


async def configure(
    session: AsyncSession, configurations: Sequence[tuple[str, str, str, datetime]]
) -> int:
    """Record (tenant, brand, zone name, configured at) unless a later one was; returns how
    many brands changed. Raises UnknownZone for a name that is no IANA zone."""
    latest: dict[tuple[str, str], tuple[str, datetime]] = {}
    for tenant_id, brand_id, name, configured_at in configurations:
        check_zone(name)
        earlier = latest.get((tenant_id, brand_id))
        if earlier is None or earlier[1] < configured_at:
            latest[(tenant_id, brand_id)] = (name, configured_at)
    changed = await repository.configure(
        session,
        [
            {"tenant_id": t, "brand_id": b, "timezone": name, "configured_at": at}
            for (t, b), (name, at) in sorted(latest.items())
        ],
    )
    for pair in changed:
        _cache.pop(pair, None)
    return len(changed)


async def of_tenant(session: AsyncSession, tenant_id: str) -> dict[str, ZoneInfo | None]:
    """Every brand of the tenant seen in an event, with its zone."""
    return {b: zone(name) for b, name in (await repository.of_tenant(session, tenant_id)).items()}


async def zone_of(session: AsyncSession, tenant_id: str, brand_id: str) -> ZoneInfo | None:
    """The brand's zone (None: UTC)."""
    return zone(await repository.zone_of(session, tenant_id, brand_id))
