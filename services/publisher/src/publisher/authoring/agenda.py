"""The calendar: a brand's posts between two local dates, with the occurrences its recurring
posts will have, read on the brand's wall clock."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.bounds import Day
from beacon_shared.errors import InvalidInput
from publisher.authoring.models import PostStatus, post
from publisher.brands import service as brands
from publisher.calendar import occurrences, to_utc, zone
from publisher.delivery import targets as post_targets

MAX_DAYS = 93
MAX_ENTRIES = 2000


class AgendaQuery(BaseModel):
    """Which days, of which brand, in which zone."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    brand_id: str | None = Field(default=None, max_length=128)
    from_: Day = Field(alias="from", description="First local day, inclusive.")
    to: Day = Field(description="Last local day, inclusive.")
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA zone; default the brand's."
    )


class AgendaEntry(BaseModel):
    """One post, or one future occurrence of a recurring post, on the calendar."""

    post_id: str = Field(description="For a projected occurrence, its series' latest post.")
    projected: bool = Field(description="An occurrence not created yet (recurring posts).")
    status: str
    scheduled_at: datetime
    local_time: datetime = Field(description="On the calendar's wall clock.")
    networks: list[str]
    text: str = Field(description="The first 140 characters.")
    campaign_id: str | None


class Agenda(BaseModel):
    """The calendar's days and what is on them."""

    timezone: str
    entries: list[AgendaEntry]


class AgendaTooLong(InvalidInput):
    code, title = "calendar_range_too_long", "The calendar range is too long"

    def __init__(self) -> None:
        super().__init__(
            f"Ask for at most {MAX_DAYS} days at a time, with `to` on or after `from`.",
            errors=[
                {
                    "pointer": "/to",
                    "location": "query",
                    "type": "calendar_range_too_long",
                    "message": f"between 0 and {MAX_DAYS - 1} days after `from`",
                }
            ],
        )


async def agenda(
    session: AsyncSession, *, tenant_id: str, query: AgendaQuery, brand_ids: frozenset[str] | None
) -> Agenda:
    """Posts scheduled within the local days asked for (of `brand_ids` only, unless None),
    earliest first."""
    if not 0 <= (query.to - query.from_).days < MAX_DAYS:
        raise AgendaTooLong
    settings = await brands.get(session, tenant_id=tenant_id, brand_id=query.brand_id)
    tz = query.timezone or settings.timezone
    wall = zone(tz)
    start = to_utc(datetime.combine(query.from_, time()), tz)
    end = to_utc(datetime.combine(query.to + timedelta(days=1), time()), tz)
    networks = post_targets.networks_of(post.c.id)
    stmt = (
        select(post, networks.label("networks"))
        .where(
            post.c.tenant_id == tenant_id,
            post.c.scheduled_at.is_not(None),
            post.c.status != PostStatus.cancelled.value,
            # Recurring posts scheduled before the range may still have occurrences in it.
            (post.c.scheduled_at.between(start, end)) | (post.c.recurrence.is_not(None)),
        )
        .order_by(post.c.scheduled_at)
        .limit(MAX_ENTRIES)
    )
    if query.brand_id is not None:
        stmt = stmt.where(post.c.brand_id == query.brand_id)
    if brand_ids is not None:
        stmt = stmt.where(post.c.brand_id.in_(brand_ids))
    rows = list((await session.execute(stmt)).all())
    entries = [
        _entry(row, row.scheduled_at, wall, projected=False)
        for row in rows
        if start <= row.scheduled_at < end
    ]
    entries += _projected(rows, start, end, wall)
    entries.sort(key=lambda e: e.scheduled_at)
    return Agenda(timezone=tz, entries=entries[:MAX_ENTRIES])


def _projected(
    rows: list[Row[Any]], start: datetime, end: datetime, wall: Any
) -> list[AgendaEntry]:
    """Future occurrences of each series, after its latest created post."""
    latest: dict[Any, Row[Any]] = {}
    firsts = {row.id: row for row in rows if row.occurrence == 0}
    for row in rows:
        if row.recurrence is None or row.series_id is None:
            continue
        if row.series_id not in latest or row.occurrence > latest[row.series_id].occurrence:
            latest[row.series_id] = row
    entries = []
    for series_id, last in latest.items():
        first = firsts.get(series_id)
        if first is None or first.local_scheduled_at is None or first.timezone is None:
            continue
        for at in occurrences(
            first.recurrence,
            start_local=first.local_scheduled_at,
            tz=first.timezone,
            window_start=max(start, last.scheduled_at + timedelta(seconds=1)),
            window_end=end,
        ):
            entries.append(_entry(last, at, wall, projected=True))
    return entries


def _entry(row: Row[Any], at: datetime, wall: Any, *, projected: bool) -> AgendaEntry:
    return AgendaEntry(
        post_id=str(row.id),
        projected=projected,
        status=PostStatus.scheduled.value if projected else row.status,
        scheduled_at=at,
        local_time=at.astimezone(wall).replace(tzinfo=None),
        networks=sorted(row.networks or []),
        text=row.text[:140],
        campaign_id=row.campaign_id,
    )
