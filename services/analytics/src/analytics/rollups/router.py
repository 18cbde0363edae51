"""HTTP routes of the analytics API: series, summary, breakdown, top and the metric catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from analytics.rollups import metrics, queries
from analytics.rollups.dimensions import Dimension, Grain
from analytics.rollups.schemas import Breakdown, MetricInfo, Series, Summary, Top, TopKind
from beacon_shared.auth import Principal
from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import BrandDirectory, BrandNotAllowed, Brands
from beacon_shared.auth.verify import require_brand_scope
from beacon_shared.bounds import Timestamp
from beacon_shared.db import DbSession

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])
READ = "analytics:read"
Reader = Annotated[Principal, Depends(require_brand_scope(READ))]
From = Annotated[
    Timestamp, Query(alias="from", description="Start of the range, inclusive (with offset).")
]
To = Annotated[Timestamp, Query(description="End of the range, exclusive (with offset).")]
BrandId = Annotated[
    str | None,
    Query(
        max_length=128,
        description="Only this brand ('' for events without a brand); every brand when absent.",
    ),
]
Network = Annotated[str | None, Query(max_length=64, description="Only this network.")]
Account = Annotated[
    str | None,
    Query(max_length=300, description="Only this account: `<network>:<account's external id>`."),
]
PostId = Annotated[
    str | None, Query(max_length=64, description="Only this post published through Beacon.")
]
CampaignId = Annotated[str | None, Query(max_length=128, description="Only this campaign.")]
Author = Annotated[
    str | None,
    Query(max_length=300, description="Only this author: `<network>:<author's id>` (days only)."),
]
Limit = Annotated[int, Query(ge=1, le=100, description="How many items at most.")]
ERRORS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 422: {}}


@router.get("/series", summary="One metric as a time series", responses=ERRORS)
async def get_series(
    principal: Reader,
    brands: Brands,
    session: DbSession,
    metric: Annotated[str, Query(max_length=200, description="e.g. `engagement`.")],
    from_: From,
    to: To,
    grain: Grain = Grain.hour,
    brand_id: BrandId = None,
    network: Network = None,
    account: Account = None,
    post_id: PostId = None,
    campaign_id: CampaignId = None,
    author: Author = None,
    compare: Annotated[
        bool, Query(description="Also the previous period of the same length.")
    ] = False,
) -> Series:
    """Values per minute, hour or day (the brand's local days) over [from, to).

    Minutes exist for brand (or tenant) totals only, authors per day only. At most one filter
    besides `brand_id`.
    """
    return await queries.series(
        session,
        tenant_id=principal.tenant_id,
        metric=metric,
        grain=grain,
        start=from_,
        end=to,
        where=queries.Filter.of(
            brand_id,
            within=await _within(brands, principal, brand_id),
            network=network,
            account=account,
            post_id=post_id,
            campaign_id=campaign_id,
            author=author,
        ),
        compare=compare,
    )


@router.get(
    "/summary",
    summary="Every headline figure, with the previous period",
    responses=ERRORS,
)
async def get_summary(
    principal: Reader,
    brands: Brands,
    session: DbSession,
    from_: From,
    to: To,
    brand_id: BrandId = None,
    network: Network = None,
    account: Account = None,
    post_id: PostId = None,
    campaign_id: CampaignId = None,
) -> Summary:
    """Each metric of the catalogue over [from, to) and over the period of the same length
    just before it, with the relative change: the report's numbers in one request.

    Without a filter the range is exact to the minute; with one, its ends are taken to the hour.
    """
    return await queries.summary(
        session,
        tenant_id=principal.tenant_id,
        start=from_,
        end=to,
        where=queries.Filter.of(
            brand_id,
            within=await _within(brands, principal, brand_id),
            network=network,
            account=account,
            post_id=post_id,
            campaign_id=campaign_id,
        ),
    )


@router.get("/breakdown", summary="One metric per network, account, post…", responses=ERRORS)
async def get_breakdown(
    principal: Reader,
    brands: Brands,
    session: DbSession,
    metric: Annotated[str, Query(max_length=200, description="e.g. `engagement`.")],
    by: Annotated[
        str,
        Query(
            max_length=8,
            pattern="^(brand|network|account|post|campaign|author)$",
            description="brand, network, account, post, campaign or author.",
        ),
    ],
    from_: From,
    to: To,
    brand_id: BrandId = None,
    limit: Limit = 50,
) -> Breakdown:
    """The metric over [from, to) per key of the dimension, highest first."""
    return await queries.breakdown(
        session,
        tenant_id=principal.tenant_id,
        metric=metric,
        by=None if by == "brand" else Dimension(by),
        start=from_,
        end=to,
        brand_id=brand_id,
        limit=limit,
        within=await _within(brands, principal, brand_id),
    )


@router.get("/top", summary="Top posts, authors or advocates", responses=ERRORS)
async def get_top(
    principal: Reader,
    brands: Brands,
    session: DbSession,
    kind: TopKind,
    from_: From,
    to: To,
    brand_id: BrandId = None,
    metric: Annotated[
        str | None,
        Query(
            max_length=200,
            description="A count to rank by; engagement (posts), interactions (authors) or "
            "sentiment.positive (advocates) by default.",
        ),
    ] = None,
    limit: Limit = 10,
) -> Top:
    """Posts published through Beacon ranked by engagement, authors by interactions, advocates
    by positive comments, over [from, to)."""
    return await queries.top(
        session,
        tenant_id=principal.tenant_id,
        kind=kind,
        start=from_,
        end=to,
        brand_id=brand_id,
        limit=limit,
        metric=metric,
        within=await _within(brands, principal, brand_id),
    )


@router.get("/metrics", summary="The metric catalogue", responses={401: {}, 403: {}})
async def get_metrics(_principal: Reader) -> list[MetricInfo]:
    """Every metric the other endpoints accept."""
    return [
        MetricInfo(
            name=m.name,
            description=m.description,
            kind="stored" if m.stored else "sum" if m.additive else "ratio",
        )
        for m in sorted(metrics.catalogue().values(), key=lambda m: m.name)
    ]


async def _within(
    brands: BrandDirectory, principal: Principal, brand_id: str | None
) -> frozenset[str] | None:
    """The brands the figures may cover. Events without a brand ('') belong to the whole
    organization: only a credential not limited to brands reads them."""
    if brand_id == "":
        if principal.limited:
            raise BrandNotAllowed(
                "Figures of events without a brand belong to the whole organization; this "
                "credential is limited to some brands."
            )
        return None
    return await brands_to_read(brands, principal, READ, brand_id)
