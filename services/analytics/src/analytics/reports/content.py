"""A report's content for a brand and a period, read through the rollup queries and the ROI
reports (never a scan of events): headline figures against the previous period, a series,
networks, top posts and authors, and the ROI of the brand's campaigns."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from analytics import periods
from analytics.brands import service as brands
from analytics.reports.schemas import FigureLine, NetworkLine, ReportContent, SeriesPoint
from analytics.roi import reports as roi_reports
from analytics.roi.schemas import CampaignQuery
from analytics.rollups import metrics, queries
from analytics.rollups.buckets import HOUR, local_midnight, next_midnight
from analytics.rollups.dimensions import Dimension, Grain
from analytics.rollups.schemas import TopKind, Value
from beacon_shared.pagination import MAX_LIMIT

MAX_RANGE = queries.MAX_RANGE
# The summary's figures, in the order reports show them, with their labels.
SUMMARY: tuple[tuple[str, str], ...] = (
    (metrics.INTERACTIONS, "Interactions"),
    (metrics.COMMENTS, "Comments"),
    (metrics.REPLIES, "Replies"),
    (metrics.MENTIONS, "Mentions"),
    (metrics.DIRECT_MESSAGES, "Direct messages"),
    (metrics.REACTIONS, "Reactions"),
    (metrics.SHARES, "Shares"),
    (metrics.FOLLOWS, "Follows"),
    (metrics.ENGAGEMENT, "Engagement"),
    (metrics.IMPRESSIONS, "Impressions"),
    (metrics.REACH, "Reach"),
    ("engagement_rate", "Engagement rate"),
    (metrics.POSTS_PUBLISHED, "Posts published"),
    (metrics.SENTIMENT_POSITIVE, "Positive comments"),
    (metrics.SENTIMENT_NEUTRAL, "Neutral comments"),
    (metrics.SENTIMENT_NEGATIVE, "Negative comments"),
    ("sentiment.positive_share", "Positive share"),
    ("sentiment.negative_share", "Negative share"),
    ("moderation.allow", "Allowed"),
    ("moderation.hide", "Hidden"),
    ("moderation.delete", "Deleted"),
    ("moderation.flag", "Flagged for review"),
    ("moderation.reply", "Replied by a rule"),
    ("moderation.escalate", "Escalated"),
    (metrics.MODERATION_REVISIONS, "Decisions revised"),
    (metrics.NEEDING_RESPONSE, "Needing a response"),
    (metrics.FIRST_RESPONSES, "First responses"),
    ("response_rate", "Response rate"),
    ("first_response.mean_seconds", "Mean first-response time"),
)
LABELS: dict[str, str] = dict(SUMMARY)
# Known only for posts whose metrics were observed: left out when neither period has any.
OBSERVED = frozenset({metrics.IMPRESSIONS, metrics.REACH})
SERIES_METRICS: tuple[str, ...] = (
    metrics.INTERACTIONS,
    metrics.ENGAGEMENT,
    metrics.COMMENTS,
    metrics.REACTIONS,
    metrics.SHARES,
    metrics.IMPRESSIONS,
    metrics.REACH,
    metrics.SENTIMENT_NEGATIVE,
)
NETWORK_METRICS: tuple[str, ...] = (
    metrics.INTERACTIONS,
    metrics.ENGAGEMENT,
    metrics.IMPRESSIONS,
    metrics.REACH,
)
TOP_LIMIT = 10
NETWORK_LIMIT = 50


async def build(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str,
    start: datetime,
    end: datetime,
    grain: Grain = Grain.day,
    bounds: periods.Bounds = periods.QUERY,
) -> ReportContent:
    """The brand's report over [start, end); `grain` (day or hour) cuts the series."""
    periods.check_range(start, end, max_span=MAX_RANGE, bounds=bounds)
    zone = await brands.zone_of(session, tenant_id, brand_id)
    where = queries.Filter(brand_id)
    summary = await queries.summary(session, tenant_id=tenant_id, start=start, end=end, where=where)
    lines = []
    for name, label in SUMMARY:
        figure = summary.figures[name]
        if name in OBSERVED and not figure.current and not figure.previous:
            continue
        lines.append(
            FigureLine(
                metric=name,
                label=label,
                current=figure.current,
                previous=figure.previous,
                change=figure.change,
                basis=figure.basis,
            )
        )
    top_posts = await queries.top(
        session,
        tenant_id=tenant_id,
        kind=TopKind.posts,
        start=start,
        end=end,
        brand_id=brand_id,
        limit=TOP_LIMIT,
    )
    top_authors = await queries.top(
        session,
        tenant_id=tenant_id,
        kind=TopKind.authors,
        start=start,
        end=end,
        brand_id=brand_id,
        limit=TOP_LIMIT,
    )
    # ROI is kept per UTC day: the days touching the period.
    first_day = start.astimezone(UTC).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(UTC).date()
    campaigns = await roi_reports.campaign_page(
        session,
        tenant_id=tenant_id,
        query=CampaignQuery(from_=first_day, to=last_day, brand_id=brand_id, limit=MAX_LIMIT),
        brands=frozenset((brand_id,)),
    )
    return ReportContent(
        brand_id=brand_id,
        timezone=zone.key if zone is not None else "UTC",
        period_start=start,
        period_end=end,
        previous_start=summary.previous_start,
        previous_end=summary.previous_end,
        grain=grain,
        summary=lines,
        series_metrics=list(SERIES_METRICS),
        series=await _series(session, tenant_id, where, start, end, grain, zone),
        network_metrics=list(NETWORK_METRICS),
        networks=await _networks(session, tenant_id, brand_id, start, end),
        top_posts=top_posts.posts,
        top_authors=top_authors.authors,
        roi_first_day=first_day,
        roi_last_day=last_day,
        campaigns=campaigns.items,
    )


async def _series(
    session: AsyncSession,
    tenant_id: str,
    where: queries.Filter,
    start: datetime,
    end: datetime,
    grain: Grain,
    zone: ZoneInfo | None,
) -> list[SeriesPoint]:
    """Every bucket starting in the period, empty ones as 0, with each series metric."""
    values: dict[datetime, dict[str, Value]] = {
        at: dict.fromkeys(SERIES_METRICS, 0) for at in bucket_starts(start, end, grain, zone)
    }
    for name in SERIES_METRICS:
        series = await queries.series(
            session,
            tenant_id=tenant_id,
            metric=name,
            grain=grain,
            start=start,
            end=end,
            where=where,
        )
        for point in series.points:
            # A zone change inside the period gives days of two lengths: both are kept.
            values.setdefault(point.bucket_start, dict.fromkeys(SERIES_METRICS, 0))
            values[point.bucket_start][name] = point.value
    return [SeriesPoint(bucket_start=at, values=values[at]) for at in sorted(values)]


async def _networks(
    session: AsyncSession, tenant_id: str, brand_id: str, start: datetime, end: datetime
) -> list[NetworkLine]:
    per_network: dict[str, dict[str, Value]] = defaultdict(
        lambda: dict.fromkeys(NETWORK_METRICS, 0)
    )
    for name in NETWORK_METRICS:
        breakdown = await queries.breakdown(
            session,
            tenant_id=tenant_id,
            metric=name,
            by=Dimension.network,
            start=start,
            end=end,
            brand_id=brand_id,
            limit=NETWORK_LIMIT,
        )
        for item in breakdown.items:
            per_network[item.key][name] = item.value
    ranked = sorted(
        per_network.items(), key=lambda kv: (-(kv[1][metrics.INTERACTIONS] or 0), kv[0])
    )
    return [NetworkLine(network=key, values=values) for key, values in ranked]


def bucket_starts(
    start: datetime, end: datetime, grain: Grain, zone: ZoneInfo | None
) -> list[datetime]:
    """The buckets of `grain` starting in [start, end): local days, or UTC hours."""
    if grain not in (Grain.day, Grain.hour):
        raise ValueError(f"reports are cut by day or hour, not by {grain}")

    def following(bucket: datetime) -> datetime:
        return next_midnight(bucket, zone) if grain is Grain.day else bucket + HOUR

    if grain is Grain.day:
        at = local_midnight(start, zone)
    else:
        at = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if at < start:
        at = following(at)
    starts = []
    while at < end:
        starts.append(at)
        at = following(at)
    return starts
