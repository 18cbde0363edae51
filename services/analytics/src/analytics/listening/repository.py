"""All SQL of listening."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnClause,
    Date,
    DateTime,
    Float,
    Row,
    Text,
    and_,
    cast,
    delete,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine

from analytics.listening.models import account_engagement_day, observed_post, term_hour
from analytics.listening.readings import AccountDayKey, PostKey, Totals
from beacon_shared.batch_sql import unnested

o = observed_post.c
d = account_engagement_day.c
h = term_hour.c
_KEY_COLUMNS: tuple[tuple[str, TypeEngine[Any]], ...] = tuple(
    (name, Text()) for name in PostKey._fields
)


def _same_post(source: TableValuedAlias) -> Any:
    return and_(*(o[name] == source.c[name] for name in PostKey._fields))


# --- observations -------------------------------------------------------------------------

_NEW_POST_COLUMNS: tuple[tuple[str, TypeEngine[Any]], ...] = (
    *_KEY_COLUMNS,
    ("account_external_id", Text()),
    ("competitor_id", Text()),
    ("post_created_at", DateTime(timezone=True)),
    ("day", Date()),
    ("likes", BigInteger()),
    ("comments", BigInteger()),
    ("shares", BigInteger()),
    ("observed_at", DateTime(timezone=True)),
)


async def insert_new_posts(session: AsyncSession, rows: Sequence[tuple[Any, ...]]) -> set[PostKey]:
    """Insert posts never seen (rows in _NEW_POST_COLUMNS order); the keys actually inserted."""
    if not rows:
        return set()
    names = [name for name, _ in _NEW_POST_COLUMNS]
    source = unnested("post", _NEW_POST_COLUMNS, sorted(rows))
    result = await session.execute(
        insert(observed_post)
        .from_select(names, select(*(source.c[n] for n in names)))
        .on_conflict_do_nothing()
        .returning(*(o[name] for name in PostKey._fields))
    )
    return {PostKey(*row) for row in result}


async def lock_posts(session: AsyncSession, keys: Sequence[PostKey]) -> dict[PostKey, Row[Any]]:
    """The stored rows of these posts, locked (in key order) until the transaction ends."""
    if not keys:
        return {}
    source = unnested("wanted", _KEY_COLUMNS, sorted(keys))
    result = await session.execute(
        select(observed_post)
        .join(source, _same_post(source))
        .order_by(*(o[name] for name in PostKey._fields))
        .with_for_update(of=observed_post)
    )
    return {PostKey(*(row._mapping[name] for name in PostKey._fields)): row for row in result}


_UPDATE_COLUMNS: tuple[tuple[str, TypeEngine[Any]], ...] = (
    *_KEY_COLUMNS,
    ("likes", BigInteger()),
    ("comments", BigInteger()),
    ("shares", BigInteger()),
    ("observed_at", DateTime(timezone=True)),
)


async def update_posts(
    session: AsyncSession, changes: Sequence[tuple[PostKey, Totals, datetime]]
) -> None:
    """Store each post's latest totals and when they were observed."""
    if not changes:
        return
    source = unnested(
        "latest",
        _UPDATE_COLUMNS,
        sorted((*key, *totals, at) for key, totals, at in changes),
    )
    await session.execute(
        update(observed_post)
        .where(_same_post(source))
        .values(
            likes=source.c.likes,
            comments=source.c.comments,
            shares=source.c.shares,
            observed_at=source.c.observed_at,
        )
    )


_DAY_COLUMNS: tuple[tuple[str, TypeEngine[Any]], ...] = (
    *((name, Text()) for name in AccountDayKey._fields[:-1]),
    ("day", Date()),
    ("competitor_id", Text()),
    ("account_handle", Text()),
    ("posts", BigInteger()),
    ("likes", BigInteger()),
    ("comments", BigInteger()),
    ("shares", BigInteger()),
)


async def add_account_days(
    session: AsyncSession,
    deltas: Mapping[AccountDayKey, tuple[int, Totals]],
    labels: Mapping[AccountDayKey, tuple[str | None, str | None]],
) -> None:
    """Add (posts, totals) to each account-day in one upsert; labels are (competitor, handle)."""
    if not deltas:
        return
    names = [name for name, _ in _DAY_COLUMNS]
    rows = sorted(
        (*key, *labels.get(key, (None, None)), posts, *totals)
        for key, (posts, totals) in deltas.items()
    )
    source = unnested("delta", _DAY_COLUMNS, rows)
    statement = insert(account_engagement_day).from_select(
        names, select(*(source.c[n] for n in names))
    )
    excluded = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(account_engagement_day.primary_key.columns),
            set_={
                "posts": d.posts + excluded.posts,
                "likes": d.likes + excluded.likes,
                "comments": d.comments + excluded.comments,
                "shares": d.shares + excluded.shares,
                "competitor_id": func.coalesce(excluded.competitor_id, d.competitor_id),
                "account_handle": func.coalesce(excluded.account_handle, d.account_handle),
            },
        )
    )


# --- terms --------------------------------------------------------------------------------

_TERM_COLUMNS: tuple[tuple[str, TypeEngine[Any]], ...] = (
    ("tenant_id", Text()),
    ("brand_id", Text()),
    ("term", Text()),
    ("source", Text()),
    ("hour_start", DateTime(timezone=True)),
    ("count", BigInteger()),
)


async def add_terms(
    session: AsyncSession, counts: Mapping[tuple[str, str, str, str, datetime], int]
) -> None:
    """Add to each (tenant, brand, term, source, hour) count in one upsert."""
    if not counts:
        return
    names = [name for name, _ in _TERM_COLUMNS]
    source = unnested("terms", _TERM_COLUMNS, sorted((*key, n) for key, n in counts.items()))
    statement = insert(term_hour).from_select(names, select(*(source.c[n] for n in names)))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(term_hour.primary_key.columns),
            set_={"count": h.count + statement.excluded["count"]},
        )
    )


async def delete_terms_before(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Delete at most `limit` counts of hours before `before`; the number deleted.

    Rows an upsert holds are skipped rather than waited for (the next call gets them), so a
    delete never queues behind the listening consumer nor deadlocks with it.
    """
    ctid: ColumnClause[Any] = literal_column("ctid")
    doomed = (
        select(ctid)
        .select_from(term_hour)
        .where(h.hour_start < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(delete(term_hour).where(ctid.in_(doomed)))
    return int(getattr(result, "rowcount", 0) or 0)


class TermScope(NamedTuple):
    """Whose terms, counted in which sources."""

    tenant_id: str
    brand_id: str
    sources: Sequence[str]


def _term_scope(scope: TermScope, start: datetime, end: datetime) -> list[Any]:
    return [
        h.tenant_id == scope.tenant_id,
        h.brand_id == scope.brand_id,
        h.source.in_(scope.sources),
        h.hour_start >= start,
        h.hour_start < end,
    ]


async def top_terms(
    session: AsyncSession,
    scope: TermScope,
    *,
    start: datetime,
    end: datetime,
    limit: int,
) -> list[tuple[str, int]]:
    """The most counted terms over [start, end), most first (ties by term)."""
    total = cast(func.sum(h.count), BigInteger)
    rows = await session.execute(
        select(h.term, total)
        .where(*_term_scope(scope, start, end))
        .group_by(h.term)
        .order_by(total.desc(), h.term)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


async def term_totals(
    session: AsyncSession,
    scope: TermScope,
    *,
    terms: Sequence[str],
    start: datetime,
    end: datetime,
) -> dict[str, int]:
    """The count of each of `terms` over [start, end)."""
    if not terms:
        return {}
    rows = await session.execute(
        select(h.term, cast(func.sum(h.count), BigInteger))
        .where(*_term_scope(scope, start, end), h.term.in_(terms))
        .group_by(h.term)
    )
    return {row[0]: row[1] for row in rows}


async def busiest_terms(
    session: AsyncSession,
    scope: TermScope,
    *,
    start: datetime,
    end: datetime,
    min_count: int,
    limit: int,
) -> list[str]:
    """Terms with at least `min_count` texts in one hour of [start, end), busiest hour first:
    the only ones that can spike."""
    per_hour = (
        select(h.term, h.hour_start, func.sum(h.count).label("n"))
        .where(*_term_scope(scope, start, end))
        .group_by(h.term, h.hour_start)
        .subquery()
    )
    peak = func.max(per_hour.c.n)
    rows = await session.execute(
        select(per_hour.c.term)
        .group_by(per_hour.c.term)
        .having(peak >= min_count)
        .order_by(peak.desc(), per_hour.c.term)
        .limit(limit)
    )
    return [row[0] for row in rows]


async def term_hours(
    session: AsyncSession,
    scope: TermScope,
    *,
    terms: Sequence[str],
    start: datetime,
    end: datetime,
) -> list[tuple[str, datetime, int]]:
    """(term, hour, count) of the hours where each of `terms` was counted in [start, end)."""
    if not terms:
        return []
    total = cast(func.sum(h.count), BigInteger)
    rows = await session.execute(
        select(h.term, h.hour_start, total)
        .where(*_term_scope(scope, start, end), h.term.in_(terms))
        .group_by(h.term, h.hour_start)
    )
    return [(row[0], row[1], row[2]) for row in rows]


# --- share of voice -----------------------------------------------------------------------


async def engagement_by_account(
    session: AsyncSession, *, tenant_id: str, brand_id: str, first_day: date, last_day: date
) -> list[Row[Any]]:
    """Per (owner, network, account): posts and totals published over the days, both included."""
    rows = await session.execute(
        select(
            d.owner,
            d.network,
            d.account_external_id,
            func.max(d.competitor_id).label("competitor_id"),
            func.max(d.account_handle).label("account_handle"),
            cast(func.sum(d.posts), BigInteger).label("posts"),
            cast(func.sum(d.likes), BigInteger).label("likes"),
            cast(func.sum(d.comments), BigInteger).label("comments"),
            cast(func.sum(d.shares), BigInteger).label("shares"),
        )
        .where(
            d.tenant_id == tenant_id,
            d.brand_id == brand_id,
            d.day >= first_day,
            d.day <= last_day,
        )
        .group_by(d.owner, d.network, d.account_external_id)
        .order_by(d.owner, d.network, d.account_external_id)
    )
    return list(rows)


# --- best times ---------------------------------------------------------------------------


async def brand_of_account(
    session: AsyncSession, *, tenant_id: str, network: str, account_external_id: str
) -> str | None:
    """The brand of the account's latest own post, None when none was observed."""
    found: str | None = await session.scalar(
        select(o.brand_id)
        .where(
            o.tenant_id == tenant_id,
            o.network == network,
            o.account_external_id == account_external_id,
            o.owner == "own",
        )
        .order_by(o.post_created_at.desc())
        .limit(1)
    )
    return found


async def slot_stats(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str,
    network: str,
    account_external_id: str,
    start: datetime,
    end: datetime,
    zone: str,
) -> list[Row[Any]]:
    """Per (ISO weekday, hour) in `zone` of publication over [start, end): posts, total and
    median engagement of the account's own posts."""
    local = func.timezone(zone, o.post_created_at)
    weekday = cast(func.extract("isodow", local), BigInteger).label("weekday")
    hour = cast(func.extract("hour", local), BigInteger).label("hour")
    engagement = o.likes + o.comments + o.shares
    median = func.percentile_cont(0.5).within_group(engagement)
    rows = await session.execute(
        select(
            weekday,
            hour,
            cast(func.count(), BigInteger).label("posts"),
            cast(func.sum(engagement), BigInteger).label("engagement"),
            cast(median, Float).label("median"),
        )
        .where(
            o.tenant_id == tenant_id,
            o.brand_id == brand_id,
            o.owner == "own",
            o.network == network,
            o.account_external_id == account_external_id,
            o.post_created_at >= start,
            o.post_created_at < end,
        )
        .group_by(literal_column("weekday"), literal_column("hour"))
        .order_by(literal_column("weekday"), literal_column("hour"))
    )
    return list(rows)
