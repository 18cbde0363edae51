"""All SQL of ROI."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Date,
    Numeric,
    Row,
    Select,
    Text,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on, insert
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from analytics.roi.models import (
    campaign,
    campaign_publication,
    conversion,
    conversion_day,
    utm_claim,
)
from beacon_shared.batch_sql import unnested
from beacon_shared.pagination import Cursor

T = TypeVar("T")


class DayKey(NamedTuple):
    """A row of the daily rollup; '' stands for no network, post or currency."""

    tenant_id: str
    campaign_id: UUID
    day: date
    network: str
    post_id: str
    currency: str


class DayDelta(NamedTuple):
    """What to add to a rollup row."""

    clicks: int
    conversions: int
    value: Decimal


class Claim(NamedTuple):
    """A campaign had this utm_campaign as of `claimed_at`."""

    tenant_id: str
    utm_campaign: str
    campaign_id: UUID
    claimed_at: datetime


class Period(NamedTuple):
    """UTC days, both included; None leaves that end open."""

    start: date | None
    end: date | None


# Rows per multi-row statement: a consumed batch may be large, and a statement takes at most
# 32,767 parameters.
CHUNK_ROWS = 1000


def _chunks(rows: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), CHUNK_ROWS):
        yield rows[start : start + CHUNK_ROWS]


def utm_lock_key(tenant_id: str, utm_campaign: str) -> int:
    """The advisory-lock key of a tenant's utm_campaign, the same in every process."""
    digest = hashlib.sha256(f"analytics.roi\0{tenant_id}\0{utm_campaign}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def lock_utm_campaigns(
    session: AsyncSession, keys: Iterable[tuple[str, str]], *, exclusive: bool
) -> None:
    """Lock (tenant, utm_campaign) pairs until the transaction ends, in one fixed order.

    Storing conversions takes them shared and attributing late conversions exclusive, so a
    conversion stored while its campaign arrives is either seen by the late attribution or
    finds the campaign itself.
    """
    ordered = sorted({utm_lock_key(tenant, utm) for tenant, utm in keys})
    if not ordered:
        return
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    # unnest yields the array in order, so every transaction locks in the same order.
    key = func.unnest(bindparam("keys", ordered, type_=ARRAY(BigInteger))).column_valued("k")
    await session.execute(select(func.count(lock(key))))


async def resolve_utm_campaigns(
    session: AsyncSession, *, tenant_id: str, utm_campaigns: Iterable[str]
) -> dict[str, UUID]:
    """The campaign of each utm_campaign: the one that claimed it last."""
    values = sorted(set(utm_campaigns))
    if not values:
        return {}
    c = utm_claim.c
    rows = await session.execute(
        select(c.utm_campaign, c.campaign_id)
        .ext(distinct_on(c.utm_campaign))
        .where(c.tenant_id == tenant_id, c.utm_campaign.in_(values))
        .order_by(c.utm_campaign, c.claimed_at.desc(), c.campaign_id)
    )
    return {row.utm_campaign: row.campaign_id for row in rows}


async def insert_conversions(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> set[UUID]:
    """Insert conversions whose conversion_id is new; the ids inserted."""
    if not rows:
        return set()
    result = await session.execute(
        insert(conversion).on_conflict_do_nothing().returning(conversion.c.id), list(rows)
    )
    return set(result.scalars())


async def conversions_by_client_ids(
    session: AsyncSession, *, tenant_id: str, conversion_ids: Iterable[str]
) -> list[Row[Any]]:
    """Stored conversions of the tenant holding any of these conversion ids."""
    ids = sorted(set(conversion_ids))
    if not ids:
        return []
    c = conversion.c
    rows = await session.execute(
        select(conversion).where(c.tenant_id == tenant_id, c.conversion_id.in_(ids))
    )
    return list(rows.all())


async def conversions_by_id(session: AsyncSession, ids: Iterable[UUID]) -> list[Row[Any]]:
    """Stored conversions by their ids."""
    rows = await session.execute(select(conversion).where(conversion.c.id.in_(sorted(set(ids)))))
    return list(rows.all())


# (name, type) of a conversion day's columns, in the order of its key and delta.
_DAY_COLUMNS: tuple[tuple[str, TypeEngine[Any]], ...] = (
    ("tenant_id", Text()),
    ("campaign_id", PgUUID(as_uuid=True)),
    ("day", Date()),
    ("network", Text()),
    ("post_id", Text()),
    ("currency", Text()),
    ("clicks", BigInteger()),
    ("conversions", BigInteger()),
    ("value", Numeric(20, 4)),
)


async def add_to_days(session: AsyncSession, deltas: Mapping[DayKey, DayDelta]) -> None:
    """Add each delta to its rollup row in one set-based upsert."""
    if not deltas:
        return
    # Sorted rows make concurrent writers lock rollup rows in one order.
    source = unnested(
        "delta", _DAY_COLUMNS, [(*key, *delta) for key, delta in sorted(deltas.items())]
    )
    names = [name for name, _ in _DAY_COLUMNS]
    statement = insert(conversion_day).from_select(
        names, select(*(source.c[name] for name in names))
    )
    excluded = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(conversion_day.primary_key.columns),
            set_={
                "clicks": conversion_day.c.clicks + excluded.clicks,
                "conversions": conversion_day.c.conversions + excluded.conversions,
                "value": conversion_day.c.value + excluded.value,
            },
        )
    )


async def upsert_campaigns(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store campaign versions, one per campaign: a stored version changed later is kept."""
    for chunk in _chunks(rows):
        statement = insert(campaign).values(list(chunk))
        excluded = statement.excluded
        newer = campaign.c.changed_at < excluded.changed_at
        kept = {"tenant_id", "campaign_id", "created_at"}
        set_: dict[str, ColumnElement[Any]] = {
            column.name: case((newer, excluded[column.name]), else_=column)
            for column in campaign.columns
            if column.name not in kept
        }
        # The earliest change known is the creation, whichever order the events came in.
        set_["created_at"] = func.least(campaign.c.created_at, excluded.created_at)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[campaign.c.tenant_id, campaign.c.campaign_id], set_=set_
            )
        )


async def upsert_claims(session: AsyncSession, claims: Sequence[Claim]) -> None:
    """Record that campaigns had these utm_campaigns, keeping each claim's latest time."""
    for chunk in _chunks(claims):
        statement = insert(utm_claim).values([claim._asdict() for claim in chunk])
        latest = func.greatest(utm_claim.c.claimed_at, statement.excluded.claimed_at)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=list(utm_claim.primary_key.columns), set_={"claimed_at": latest}
            )
        )


async def attribute_waiting(
    session: AsyncSession, keys: Sequence[tuple[str, str]], *, now: datetime
) -> list[Row[Any]]:
    """Give the unattributed conversions of these (tenant, utm_campaign) pairs the campaign that
    now claims each; the conversions attributed."""
    if not keys:
        return []
    pairs = unnested("pair", [("tenant_id", Text()), ("utm_campaign", Text())], list(keys))
    c = utm_claim.c
    resolved = (
        select(c.tenant_id, c.utm_campaign, c.campaign_id)
        .ext(distinct_on(c.tenant_id, c.utm_campaign))
        .join(
            pairs,
            and_(c.tenant_id == pairs.c.tenant_id, c.utm_campaign == pairs.c.utm_campaign),
        )
        .order_by(c.tenant_id, c.utm_campaign, c.claimed_at.desc(), c.campaign_id)
        .subquery("resolved")
    )
    result = await session.execute(
        update(conversion)
        .where(
            conversion.c.tenant_id == resolved.c.tenant_id,
            conversion.c.utm_campaign == resolved.c.utm_campaign,
            conversion.c.campaign_id.is_(None),
        )
        .values(campaign_id=resolved.c.campaign_id, unattributed_reason=None, attributed_at=now)
        .returning(*conversion.columns)
    )
    return list(result.all())


async def insert_publications(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> int:
    """Store publications not stored yet; how many were new."""
    if not rows:
        return 0
    result = await session.execute(
        insert(campaign_publication)
        .on_conflict_do_nothing()
        .returning(campaign_publication.c.target_id),
        list(rows),
    )
    return len(result.all())


def _any_of(campaign_ids: Sequence[UUID]) -> ColumnElement[Any]:
    # One array parameter however many campaigns a report covers.
    return any_(bindparam("campaign_ids", list(campaign_ids), type_=ARRAY(PgUUID(as_uuid=True))))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _in_period(period: Period) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if period.start is not None:
        conditions.append(conversion_day.c.day >= period.start)
    if period.end is not None:
        conditions.append(conversion_day.c.day <= period.end)
    return conditions


def _campaign_scope(
    tenant_id: str, brands: frozenset[str] | None, period: Period
) -> list[ColumnElement[bool]]:
    """The tenant's campaigns (of these brands; None: all, those without a brand too) that ran
    in the period or had conversions in it."""
    c = campaign.c
    conditions: list[ColumnElement[bool]] = [c.tenant_id == tenant_id]
    if brands is not None:
        conditions.append(c.brand_id.in_(sorted(brands)))
    if period.start is None and period.end is None:
        return conditions
    ran: list[ColumnElement[bool]] = []
    if period.end is not None:
        ran.append(or_(c.starts_at.is_(None), c.starts_at < _midnight(period.end + timedelta(1))))
    if period.start is not None:
        ran.append(or_(c.ends_at.is_(None), c.ends_at > _midnight(period.start)))
    converted = exists().where(
        conversion_day.c.tenant_id == c.tenant_id,
        conversion_day.c.campaign_id == c.campaign_id,
        *_in_period(period),
    )
    conditions.append(or_(and_(*ran), converted))
    return conditions


async def campaign_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    brands: frozenset[str] | None,
    period: Period,
    after: Cursor | None,
    limit: int,
) -> list[Row[Any]]:
    """Up to `limit` campaigns in scope, newest first, strictly after `after`."""
    c = campaign.c
    statement = select(campaign).where(*_campaign_scope(tenant_id, brands, period))
    if after is not None:
        statement = statement.where(
            tuple_(c.created_at, c.campaign_id) < tuple_(after.at, after.id)
        )
    statement = statement.order_by(c.created_at.desc(), c.campaign_id.desc()).limit(limit)
    return list((await session.execute(statement)).all())


async def campaigns_in_scope(
    session: AsyncSession, *, tenant_id: str, brands: frozenset[str] | None, period: Period
) -> list[Row[Any]]:
    """Every campaign in scope."""
    statement = select(campaign).where(*_campaign_scope(tenant_id, brands, period))
    return list((await session.execute(statement)).all())


async def get_campaign(
    session: AsyncSession, *, tenant_id: str, campaign_id: UUID
) -> Row[Any] | None:
    """One campaign of the tenant."""
    statement = select(campaign).where(
        campaign.c.tenant_id == tenant_id, campaign.c.campaign_id == campaign_id
    )
    return (await session.execute(statement)).first()


async def day_totals(
    session: AsyncSession,
    *,
    tenant_id: str,
    campaign_ids: Sequence[UUID],
    period: Period,
    by: str | None = None,
) -> list[Row[Any]]:
    """(campaign_id, [`by`,] currency, clicks, conversions, value) summed over the period, per
    campaign and currency, and per `by` ('network' or 'post_id') when given."""
    if not campaign_ids:
        return []
    d = conversion_day.c
    keys = [d.campaign_id, *([d[by]] if by else []), d.currency]
    statement: Select[Any] = (
        select(
            *keys,
            func.sum(d.clicks).cast(BigInteger).label("clicks"),
            func.sum(d.conversions).cast(BigInteger).label("conversions"),
            func.sum(d.value).label("value"),
        )
        .where(
            d.tenant_id == tenant_id, d.campaign_id == _any_of(campaign_ids), *_in_period(period)
        )
        .group_by(*keys)
    )
    return list((await session.execute(statement)).all())


async def publication_counts(
    session: AsyncSession, *, tenant_id: str, campaign_ids: Sequence[UUID], by: str | None = None
) -> list[Row[Any]]:
    """(campaign_id, [`by`,] publications) of these campaigns, per `by` ('network' or
    'post_id') when given."""
    if not campaign_ids:
        return []
    p = campaign_publication.c
    keys = [p.campaign_id, *([p[by]] if by else [])]
    statement: Select[Any] = (
        select(*keys, func.count().label("publications"))
        .where(p.tenant_id == tenant_id, p.campaign_id == _any_of(campaign_ids))
        .group_by(*keys)
    )
    return list((await session.execute(statement)).all())
