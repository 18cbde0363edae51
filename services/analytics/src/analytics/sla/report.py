"""The service-level report: per brand, network or member and per target, how many responses
(or resolutions) were timed, the share that met its target, the median and 90th percentile of
their business time, and the breaches found, over a period."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics import periods
from analytics.sla.models import sla_breach, sla_measure
from analytics.sla.schemas import SlaFigures

MAX_SPAN = timedelta(days=400)


class By(StrEnum):
    brand = "brand"
    network = "network"
    member = "member"


COLUMN = {By.brand: "brand_id", By.network: "network", By.member: "member_id"}


async def figures(
    session: AsyncSession,
    *,
    tenant_id: str,
    start: datetime,
    end: datetime,
    by: By,
    brand_ids: frozenset[str] | None,
    network: str | None,
) -> list[SlaFigures]:
    """The figures of `[start, end)` grouped by `by` and target, brands within `brand_ids`
    (None: every brand, those of no brand included): the responses by when they were made, the
    breaches by when they fell due."""
    periods.check_range(start, end, max_span=MAX_SPAN)
    m, b = sla_measure.c, sla_breach.c
    key = m[COLUMN[by]]
    seconds = m.business_seconds
    measured = await session.execute(
        select(
            key.label("key"),
            m.target,
            func.count().label("measured"),
            func.count().filter(m.met.is_(True)).label("met"),
            func.count().filter(m.met.is_(False)).label("missed"),
            cast(func.percentile_cont(0.5).within_group(seconds), Float).label("p50"),
            cast(func.percentile_cont(0.9).within_group(seconds), Float).label("p90"),
        )
        .where(*_within(sla_measure, tenant_id, brand_ids, network), m.stopped_at >= start)
        .where(m.stopped_at < end)
        .group_by(key, m.target)
    )
    found: dict[tuple[Any, str], SlaFigures] = {}
    for row in measured:
        timed = row.met + row.missed
        found[(row.key, row.target)] = SlaFigures(
            key=_key(row.key),
            target=row.target,
            measured=row.measured,
            met=row.met,
            missed=row.missed,
            hit_rate=round(row.met / timed, 4) if timed else None,
            p50_seconds=round(row.p50, 1),
            p90_seconds=round(row.p90, 1),
            breaches=0,
        )
    breach_key = b[COLUMN[by]]
    breaches = await session.execute(
        select(breach_key.label("key"), b.target, func.count().label("n"))
        .where(*_within(sla_breach, tenant_id, brand_ids, network), b.due_at >= start)
        .where(b.due_at < end)
        .group_by(breach_key, b.target)
    )
    for row in breaches:
        figures_of = found.get((row.key, row.target))
        if figures_of is None:
            found[(row.key, row.target)] = SlaFigures(
                key=_key(row.key), target=row.target, breaches=row.n
            )
        else:
            found[(row.key, row.target)] = figures_of.model_copy(update={"breaches": row.n})
    return sorted(found.values(), key=lambda f: (f.key is None, f.key or "", f.target))


def _within(
    table: Any, tenant_id: str, brand_ids: frozenset[str] | None, network: str | None
) -> Sequence[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [table.c.tenant_id == tenant_id]
    if brand_ids is not None:
        where.append(table.c.brand_id.in_(brand_ids))
    if network is not None:
        where.append(table.c.network == network)
    return where


def _key(value: object) -> str | None:
    return None if value is None else str(value)
