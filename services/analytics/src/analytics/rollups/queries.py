"""Reading rollups for dashboards: series, summaries with the previous period, breakdowns and
rankings. Every read is a sum over index ranges of rollup rows, never a scan of events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from analytics import periods
from analytics.brands import service as brands
from analytics.rollups import metrics, repository
from analytics.rollups.buckets import Span, plan
from analytics.rollups.dimensions import GRAINS, Dimension, Grain
from analytics.rollups.exceptions import TooManyBuckets, UnknownMetric, UnsupportedQuery
from analytics.rollups.schemas import (
    Breakdown,
    BreakdownItem,
    Figure,
    Point,
    PreviousSeries,
    Publication,
    RankedAuthor,
    RankedPost,
    Series,
    Summary,
    Top,
    TopKind,
)

MAX_RANGE = timedelta(days=400)
# A week of minutes; hour and day series reach MAX_RANGE first.
MAX_POINTS = 7 * 24 * 60
_WIDTH = {Grain.minute: timedelta(minutes=1), Grain.hour: timedelta(hours=1)}


@dataclass(frozen=True)
class Filter:
    """Which rows: the brand (None: every brand of the tenant, or only those in `within` when
    the credential is limited to some) and at most one other dimension."""

    brand_id: str | None = None
    dimension: Dimension = Dimension.total
    key: str | None = None  # None only for the total
    within: frozenset[str] | None = None

    @classmethod
    def of(
        cls, brand_id: str | None, *, within: frozenset[str] | None = None, **keys: str | None
    ) -> Filter:
        """From query parameters named after dimensions; more than one is refused."""
        given = {name: value for name, value in keys.items() if value is not None}
        if len(given) > 1:
            raise UnsupportedQuery(
                "Filter on one of network, account, post, campaign or author at a time.",
                errors=[_error(name, "one_filter", "combine with brand_id only") for name in given],
            )
        if not given:
            return cls(brand_id, within=within)
        ((name, value),) = given.items()
        return cls(brand_id, _FILTER_DIMENSIONS[name], value, within)


_FILTER_DIMENSIONS = {
    "network": Dimension.network,
    "account": Dimension.account,
    "post_id": Dimension.post,
    "campaign_id": Dimension.campaign,
    "author": Dimension.author,
}


async def series(
    session: AsyncSession,
    *,
    tenant_id: str,
    metric: str,
    grain: Grain,
    start: datetime,
    end: datetime,
    where: Filter,
    compare: bool = False,
) -> Series:
    """One metric per bucket of `grain` starting in [start, end); empty buckets are left out.

    Days are each brand's own; without a brand, brands in different zones are summed per UTC
    day (from hour rows) so that every point covers the same instants.
    """
    definition = _metric(metric)
    periods.check_range(start, end, max_span=MAX_RANGE)
    if grain not in GRAINS[where.dimension]:
        raise UnsupportedQuery(
            f"{where.dimension.value} rows exist per "
            f"{' and '.join(g.value for g in GRAINS[where.dimension])} only.",
            errors=[_error("grain", "grain_not_kept", "use a coarser grain")],
        )
    if grain in _WIDTH and (end - start) / _WIDTH[grain] > MAX_POINTS:
        raise TooManyBuckets(
            f"At most {MAX_POINTS} {grain.value} buckets per request; use a coarser grain.",
            errors=[_error("grain", "too_many_buckets", "use a coarser grain or a shorter range")],
        )
    current = await _points(session, tenant_id, definition, grain, start, end, where)
    previous = None
    if compare:
        before = start - (end - start)
        points = await _points(session, tenant_id, definition, grain, before, start, where)
        previous = PreviousSeries(
            start=before,
            end=start,
            points=[Point(bucket_start=at, value=value) for at, value in points[0]],
            total=points[1],
        )
    return Series(
        metric=metric,
        grain=grain,
        start=start,
        end=end,
        brand_id=where.brand_id,
        dimension=where.dimension,
        key=where.key,
        points=[Point(bucket_start=at, value=value) for at, value in current[0]],
        total=current[1],
        previous=previous,
        change=_change(current[1], previous.total) if previous is not None else None,
    )


async def summary(
    session: AsyncSession, *, tenant_id: str, start: datetime, end: datetime, where: Filter
) -> Summary:
    """Every figure of the catalogue over [start, end) and over the period of the same length
    just before, from one query: whole local days from day rows, the ends from hours and minutes.
    """
    periods.check_range(start, end, max_span=MAX_RANGE)
    before = start - (end - start)
    scope = await _scope(session, tenant_id, where, [(before, start), (start, end)])
    sums = await repository.sums_by_metric(session, scope, split_at=start)
    now = {metric: pair[0] for metric, pair in sums.items()}
    then = {metric: pair[1] for metric, pair in sums.items()}
    figures = {}
    for name, definition in metrics.catalogue().items():
        current, previous = metrics.evaluate(name, now), metrics.evaluate(name, then)
        figures[name] = Figure(
            current=current,
            previous=previous,
            change=_change(current, previous),
            basis=metrics.ratio_basis(name, now) if not definition.additive else None,
        )
    return Summary(
        start=start,
        end=end,
        previous_start=before,
        previous_end=start,
        brand_id=where.brand_id,
        dimension=where.dimension,
        key=where.key,
        figures=figures,
    )


async def breakdown(
    session: AsyncSession,
    *,
    tenant_id: str,
    metric: str,
    by: Dimension | None,
    start: datetime,
    end: datetime,
    brand_id: str | None,
    limit: int,
    within: frozenset[str] | None = None,
) -> Breakdown:
    """One metric per key of a dimension (or per brand when `by` is None) over [start, end),
    highest first."""
    definition = _metric(metric)
    periods.check_range(start, end, max_span=MAX_RANGE)
    dimension = by if by is not None else Dimension.total
    scope = await _scope(
        session,
        tenant_id,
        Filter(brand_id, dimension, None, within),
        [(start, end)],
        every_key=True,
    )
    parts = sorted(metrics.stored_parts([metric]))
    if by is None:
        sums = await repository.sums_by_brand(session, scope, parts)
    elif definition.additive:
        ranked = await repository.ranking(session, scope, metrics.stored_weights(metric), limit)
        return Breakdown(
            metric=metric,
            by=by.value,
            start=start,
            end=end,
            brand_id=brand_id,
            items=[BreakdownItem(key=key, value=value) for key, value in ranked],
        )
    else:
        sums = await repository.sums_by_key(session, scope, parts)
    per_key: dict[str, dict[str, int]] = defaultdict(dict)
    for (key, part), total in sums.items():
        per_key[key][part] = total
    values = [(key, metrics.evaluate(metric, parts_of)) for key, parts_of in per_key.items()]
    values.sort(key=lambda kv: (-(kv[1] if kv[1] is not None else float("-inf")), kv[0]))
    return Breakdown(
        metric=metric,
        by="brand" if by is None else by.value,
        start=start,
        end=end,
        brand_id=brand_id,
        items=[BreakdownItem(key=key, value=value) for key, value in values[:limit]],
    )


# What each ranking ranks by unless told otherwise.
TOP_METRICS = {
    TopKind.posts: metrics.ENGAGEMENT,
    TopKind.authors: metrics.INTERACTIONS,
    TopKind.advocates: metrics.SENTIMENT_POSITIVE,
}


async def top(
    session: AsyncSession,
    *,
    tenant_id: str,
    kind: TopKind,
    start: datetime,
    end: datetime,
    brand_id: str | None,
    limit: int,
    metric: str | None = None,
    within: frozenset[str] | None = None,
) -> Top:
    """The best posts (by engagement), authors (by interactions) or advocates (by positive
    comments) over [start, end); authors count whole local days inside the range."""
    ranked_by = metric or TOP_METRICS[kind]
    definition = _metric(ranked_by)
    if not definition.additive:
        raise UnsupportedQuery(
            f"{ranked_by} is a ratio: rank by a count.",
            errors=[_error("metric", "not_additive", "use a count such as engagement")],
        )
    periods.check_range(start, end, max_span=MAX_RANGE)
    dimension = Dimension.post if kind is TopKind.posts else Dimension.author
    scope = await _scope(
        session,
        tenant_id,
        Filter(brand_id, dimension, None, within),
        [(start, end)],
        every_key=True,
    )
    ranked = await repository.ranking(session, scope, metrics.stored_weights(ranked_by), limit)
    if kind is TopKind.posts:
        publications = await repository.published_posts(
            session, tenant_id, [key for key, _ in ranked]
        )
        posts = []
        for key, value in ranked:
            found = publications.get(key, [])
            posts.append(
                RankedPost(
                    post_id=key,
                    value=value,
                    campaign_id=next((c for _, _, c, _ in found if c), None),
                    publications=[
                        Publication(network=n, external_id=e, account=a) for n, e, _, a in found
                    ],
                )
            )
        return Top(kind=kind, metric=ranked_by, start=start, end=end, posts=posts, authors=[])
    authors = []
    for key, value in ranked:
        network, _, author_id = key.partition(":")
        authors.append(RankedAuthor(author=key, network=network, author_id=author_id, value=value))
    return Top(kind=kind, metric=ranked_by, start=start, end=end, posts=[], authors=authors)


async def _points(
    session: AsyncSession,
    tenant_id: str,
    definition: metrics.Metric,
    grain: Grain,
    start: datetime,
    end: datetime,
    where: Filter,
) -> tuple[list[tuple[datetime, float | int | None]], float | int | None]:
    zones = await _zones(session, tenant_id, where)
    by_utc_day = grain is Grain.day and len(set(zones.values())) > 1
    read_grain = Grain.hour if by_utc_day else grain
    scope = repository.Scope(
        tenant_id,
        [(list(zones), [Span(read_grain, start, end)])],
        where.dimension.value,
        where.key if where.dimension is not Dimension.total else "",
    )
    parts = sorted(metrics.stored_parts([definition.name]))
    sums = await repository.sums_by_bucket(session, scope, parts)
    per_bucket: dict[datetime, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    for (at, part), value in sums.items():
        bucket = at.astimezone(UTC).replace(hour=0) if by_utc_day else at
        per_bucket[bucket][part] = per_bucket[bucket].get(part, 0) + value
        totals[part] += value
    points = [(at, metrics.evaluate(definition.name, per_bucket[at])) for at in sorted(per_bucket)]
    return points, metrics.evaluate(definition.name, totals)


async def _zones(
    session: AsyncSession, tenant_id: str, where: Filter
) -> dict[str, ZoneInfo | None]:
    if where.brand_id is not None:
        return {where.brand_id: await brands.zone_of(session, tenant_id, where.brand_id)}
    every = await brands.of_tenant(session, tenant_id)
    if where.within is None:
        return every
    return {brand_id: zone for brand_id, zone in every.items() if brand_id in where.within}


async def _scope(
    session: AsyncSession,
    tenant_id: str,
    where: Filter,
    ranges: Sequence[tuple[datetime, datetime]],
    *,
    every_key: bool = False,
) -> repository.Scope:
    """The rows covering `ranges` for the filter's brands, planned per zone."""
    zones = await _zones(session, tenant_id, where)
    by_zone: dict[ZoneInfo | None, list[str]] = defaultdict(list)
    for brand_id, zone in zones.items():
        by_zone[zone].append(brand_id)
    grains = GRAINS[where.dimension]
    spans_by_brands = [
        (sorted(brand_ids), [span for s, e in ranges for span in plan(s, e, zone, grains)])
        for zone, brand_ids in by_zone.items()
    ]
    key = None if every_key else (where.key if where.dimension is not Dimension.total else "")
    return repository.Scope(tenant_id, spans_by_brands, where.dimension.value, key)


def _metric(name: str) -> metrics.Metric:
    definition = metrics.get(name)
    if definition is None:
        known = ", ".join(sorted(metrics.catalogue()))
        raise UnknownMetric(
            f"No metric is called {name!r}.",
            errors=[_error("metric", "unknown_metric", f"one of: {known}")],
        )
    return definition


def _change(current: float | int | None, previous: float | int | None) -> float | None:
    """The relative change from `previous` to `current`; None when it has no meaning."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous)


def _error(field: str, error_type: str, message: str) -> dict[str, object]:
    # The same shape as request validation errors, so clients handle both alike.
    return {
        "pointer": f"/query/{field}",
        "location": "query",
        "type": error_type,
        "message": message,
    }
