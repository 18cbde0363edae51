"""Each brand's SLA policy: its targets, and the opening hours they are counted in."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.principal import Principal
from beacon_shared.logging import get_logger
from beacon_shared.zones import zone
from inbox.sla import business_time
from inbox.sla.exceptions import (
    InvalidBusinessHours,
    NoSlaTarget,
    SlaPolicyNotFound,
)
from inbox.sla.models import brand_zone, sla_policy
from inbox.sla.schemas import WEEKDAYS, BusinessHours, SlaPolicyIn, holidays_of, minutes
from inbox.sla.targets import FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION

log = get_logger(__name__)
# The zone of a policy that names none, until the brand's is known.
DEFAULT_ZONE = "UTC"
TARGET_COLUMNS = {
    FIRST_RESPONSE: "first_response_seconds",
    NEXT_RESPONSE: "next_response_seconds",
    RESOLUTION: "resolution_seconds",
}


async def get(session: AsyncSession, *, tenant_id: str, brand_id: str) -> Row[Any]:
    """The brand's policy, or SlaPolicyNotFound."""
    row = await find(session, tenant_id=tenant_id, brand_id=brand_id)
    if row is None:
        raise SlaPolicyNotFound(f"The brand {brand_id!r} has no SLA policy.")
    return row


async def find(session: AsyncSession, *, tenant_id: str, brand_id: str | None) -> Row[Any] | None:
    """The brand's policy, if it has one (a conversation without a brand has none), with the
    zone its hours are counted in (`zone`)."""
    if brand_id is None:
        return None
    p, z = sla_policy.c, brand_zone.c
    in_use = func.coalesce(p.timezone, z.timezone, DEFAULT_ZONE).label("zone")
    row: Row[Any] | None = (
        await session.execute(
            select(sla_policy, in_use)
            .outerjoin(brand_zone, and_(z.tenant_id == p.tenant_id, z.brand_id == p.brand_id))
            .where(p.tenant_id == tenant_id, p.brand_id == brand_id)
        )
    ).first()
    return row


async def put(
    session: AsyncSession, *, principal: Principal, brand_id: str, body: SlaPolicyIn, now: datetime
) -> Row[Any]:
    """Create or replace the brand's policy, once its zone and hours are checked."""
    if all(getattr(body, column) is None for column in TARGET_COLUMNS.values()):
        raise NoSlaTarget(
            "Set first_response_seconds, next_response_seconds or resolution_seconds."
        )
    if body.timezone is not None:
        zone(body.timezone)
    values = {
        "tenant_id": principal.tenant_id,
        "brand_id": brand_id,
        **{column: getattr(body, column) for column in TARGET_COLUMNS.values()},
        "timezone": body.timezone,
        "business_hours": openings(body.business_hours),
        "holidays": holidays_of(body.business_hours),
        "updated_by": principal.actor,
        "created_at": now,
        "updated_at": now,
    }
    new = insert(sla_policy).values(values)
    await session.execute(
        new.on_conflict_do_update(
            index_elements=[sla_policy.c.tenant_id, sla_policy.c.brand_id],
            set_={k: v for k, v in values.items() if k not in ("tenant_id", "created_at")},
        )
    )
    row = await get(session, tenant_id=principal.tenant_id, brand_id=brand_id)
    log.info(
        "sla_policy.saved",
        tenant_id=principal.tenant_id,
        brand_id=brand_id,
        actor=principal.actor,
        business_hours=body.business_hours is not None,
    )
    return row


async def remove(session: AsyncSession, *, tenant_id: str, brand_id: str) -> None:
    """Delete the brand's policy (SlaPolicyNotFound when it has none)."""
    p = sla_policy.c
    gone = await session.scalar(
        delete(sla_policy)
        .where(p.tenant_id == tenant_id, p.brand_id == brand_id)
        .returning(p.brand_id)
    )
    if gone is None:
        raise SlaPolicyNotFound(f"The brand {brand_id!r} has no SLA policy.")


def openings(hours: BusinessHours | None) -> list[dict[str, int]] | None:
    """The openings as stored (weekday 0 is Monday, minutes from midnight), by day and time;
    InvalidBusinessHours names each opening that closes before it opens or overlaps another."""
    if hours is None:
        return None
    problems: list[tuple[str, str]] = []
    found = []
    for i, opening in enumerate(hours.weekly):
        opens, closes = minutes(opening.opens), minutes(opening.closes)
        if closes <= opens:
            problems.append(
                (
                    f"/business_hours/weekly/{i}",
                    f"closes at {opening.closes}, not after it opens at {opening.opens}: an "
                    "opening past midnight is two, one each day",
                )
            )
            continue
        found.append((WEEKDAYS.index(opening.weekday), opens, closes, i))
    found.sort()
    for (day, _, closes, i), (next_day, opens, _, j) in itertools.pairwise(found):
        if day == next_day and opens < closes:
            problems.append(
                (
                    f"/business_hours/weekly/{j}",
                    f"overlaps the opening at /business_hours/weekly/{i} on {WEEKDAYS[day]}",
                )
            )
    if problems:
        raise InvalidBusinessHours(
            f"{len(problems)} opening(s) cannot be used: each closes after it opens, and the "
            "openings of a day do not overlap.",
            problems,
        )
    return [{"weekday": day, "opens": opens, "closes": closes} for day, opens, closes, _ in found]


def hours_of(row: Row[Any] | None) -> business_time.BusinessHours | None:
    """The policy's opening hours for business-time arithmetic; None: every hour counts."""
    if row is None or row.business_hours is None:
        return None
    week: dict[int, list[tuple[int, int]]] = {}
    for o in row.business_hours:
        week.setdefault(o["weekday"], []).append((o["opens"], o["closes"]))
    return business_time.BusinessHours.of(row.zone, week, row.holidays)


def target_seconds(row: Row[Any] | None, target: str) -> int | None:
    """The policy's target for a clock, if it has one."""
    if row is None:
        return None
    seconds: int | None = getattr(row, TARGET_COLUMNS[target])
    return seconds
